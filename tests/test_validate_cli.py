"""``tic validate``: exit status, summary, JSON equal to the library's report, input untouched, annotated copy."""

from __future__ import annotations

import hashlib
import json

from click.testing import CliRunner
from openpyxl import load_workbook

from tests.conftest import good_row
from toolkit.adapters.config_file import load_config
from toolkit.cli.main import COMMANDS, cli
from toolkit.intake import validate_file


def digest(path) -> str:  # type: ignore[no-untyped-def]
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_validate_cli_end_to_end(tmp_path, config_file, intake_file):
    rows = [good_row(), good_row(seq=2, center_name="石家庄市乙技术创新中心", key_field="新材料", sales=1500)]
    path = intake_file(rows)
    before = digest(path)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["validate", str(path), "--config", str(config_file), "--json",
                                      str(tmp_path / "r.json"), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "共 2 行：符合 1，待核实 0，不符合 1。" in result.output
    assert "K5 依托单位上年度销售收入1500万元，低于2000万元（第十条第（二）项）。" in result.output
    assert digest(path) == before
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    expected = validate_file(path, load_config(config_file)).to_dict()
    assert data == json.loads(json.dumps(expected, ensure_ascii=False))
    assert data["rows"][1]["findings"][0] == {
        "rule": "A10.2.SALES", "severity": "error", "article": "第十条第（二）项", "field": "sales", "cell": "K5",
        "value": 1500, "message": "依托单位上年度销售收入1500万元，低于2000万元"}

    copy = out / "长安区.校验结果.xlsx"
    wb = load_workbook(copy)
    ws = wb["申报汇总"]
    assert ws["K5"].fill.fgColor.rgb.endswith("FFC7CE")
    assert "第十条第（二）项" in ws["K5"].comment.text
    verdict_col = max(c.column for c in ws[3] if c.value == "校验结论")
    assert [ws.cell(row=r, column=verdict_col).value for r in (4, 5)] == ["符合", "不符合"]
    listing = wb["校验结果"]
    links = [c.hyperlink.location for row in listing.iter_rows() for c in row if c.hyperlink]
    assert links == ["'申报汇总'!K5"]


def test_eligible_file_exits_zero_and_json_to_stdout(tmp_path, config_file, intake_file):
    path = intake_file([good_row()])
    result = CliRunner().invoke(cli, ["validate", str(path), "--config", str(config_file), "--json", "-",
                                      "--no-copy", "--quiet"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["summary"]["eligible"] == 1 and data["report"] == "intake"
    assert not (tmp_path / "长安区.校验结果.xlsx").exists()


def test_bad_file_among_good_ones(tmp_path, config_file, intake_file):
    good = intake_file([good_row()])
    bad = tmp_path / "坏文件.xlsx"
    bad.write_text("序号,中心名称\n1,甲\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(bad), str(good), "--config", str(config_file),
                                      "--json", str(tmp_path / "r.json")])
    assert result.exit_code == 2
    assert "【无法读取】" in result.output and "坏文件.xlsx" in result.output
    assert "Traceback" not in result.output
    assert (tmp_path / "长安区.校验结果.xlsx").exists()
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert [r["summary"]["rows"] for r in data["reports"]] == [0, 1]
    assert data["reports"][0]["file_findings"][0]["rule"] == "FILE.UNREADABLE"
    # an unreadable workbook is still the file it is: its checksum says which one was refused
    assert data["reports"][0]["source"]["sha256"] == hashlib.sha256(bad.read_bytes()).hexdigest()


def test_missing_config_is_one_sentence(tmp_path, intake_file):
    result = CliRunner().invoke(cli, ["validate", str(intake_file([good_row()])), "--config",
                                      str(tmp_path / "nope.toml")])
    assert result.exit_code == 2
    assert result.output.startswith("错误：找不到配置文件")
    assert len(result.output.strip().splitlines()) == 1


def test_bad_config_names_the_key(tmp_path, intake_file):
    cfg = tmp_path / "tic.toml"
    cfg.write_text('[cycle]\nyear = 2026\nreference_date = 2026-03-31\n[evaluation]\nexcelent = 85\n',
                   encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(intake_file([good_row()])), "--config", str(cfg)])
    assert result.exit_code == 2
    assert "evaluation.excelent" in result.output


def test_output_held_open_is_reported(tmp_path, config_file, intake_file):
    path = intake_file([good_row()])
    out = tmp_path / "out"
    (out / "长安区.校验结果.xlsx").mkdir(parents=True)  # a target that cannot be replaced
    result = CliRunner().invoke(cli, ["validate", str(path), "--config", str(config_file), "--out", str(out)])
    assert result.exit_code == 2
    assert "无法写入" in result.output


def test_version_and_help():
    runner = CliRunner()
    assert runner.invoke(cli, ["--version"]).output.startswith("tic 0.")
    for command in COMMANDS:
        result = runner.invoke(cli, [command, "--help"])
        assert result.exit_code == 0, command


def test_template_intake(tmp_path, config_file):
    target = tmp_path / "blank.xlsx"
    result = CliRunner().invoke(cli, ["template", "intake", "-o", str(target), "--config", str(config_file)])
    assert result.exit_code == 0, result.output
    wb = load_workbook(target)
    ws = wb["申报汇总"]
    assert ws.freeze_panes == "D4"
    assert "填表说明" in wb.sheetnames
    assert wb.defined_names["TIC_TEMPLATE"].attr_text == '"intake/1"'
    sqrefs = {str(dv.sqref).split(":")[0][:-1]: dv for dv in ws.data_validations.dataValidation}
    assert any(dv.type == "list" for dv in sqrefs.values())
    again = CliRunner().invoke(cli, ["template", "intake", "-o", str(target), "--config", str(config_file)])
    assert again.exit_code == 2 and "已存在" in again.output
    xls = CliRunner().invoke(cli, ["template", "intake", "-o", str(tmp_path / "表.xls"), "--config", str(config_file)])
    assert xls.exit_code == 2 and "“表.xls”不是 .xlsx 文件名" in xls.output and not (tmp_path / "表.xls").exists()


def test_init_writes_a_valid_commented_config(tmp_path):
    folder = tmp_path / "2026年度"
    result = CliRunner().invoke(cli, ["init", str(folder)])
    assert result.exit_code == 0
    cfg = load_config(folder / "tic.toml")
    assert cfg.year == 2026 and cfg.reference_date.isoformat() == "2026-03-31"
    assert CliRunner().invoke(cli, ["init", str(folder)]).exit_code == 2


def test_init_takes_the_year_from_the_folder_or_the_date_and_refuses_a_bad_date(tmp_path):
    """The year and the reference date agree (a --year alone moved only the year), a date written
    2027/3/31 is read, and a date that does not exist is one sentence instead of a config that cannot load."""
    cases = [(["2027年度"], (2027, "2027-03-31")),
             (["周期甲", "--reference-date", "2027/3/31"], (2027, "2027-03-31")),
             (["周期乙", "--year", "2028"], (2028, "2028-03-31")),
             (["2029年度", "--reference-date", "2029年6月30日"], (2029, "2029-06-30"))]
    for args, (year, reference) in cases:
        result = CliRunner().invoke(cli, ["init", str(tmp_path / args[0]), *args[1:]])
        assert result.exit_code == 0, result.output
        cfg = load_config(tmp_path / args[0] / "tic.toml")
        assert (cfg.year, cfg.reference_date.isoformat()) == (year, reference)
    bad = CliRunner().invoke(cli, ["init", str(tmp_path / "2030年度"), "--reference-date", "2030-02-30"])
    assert bad.exit_code == 2 and "基准日期“2030-02-30”不是有效的日期" in bad.output
    assert not (tmp_path / "2030年度").exists()


def test_outputs_never_overwrite_inputs(tmp_path, config_file, intake_file):
    path = intake_file([good_row()])
    before = digest(path)
    for args in (["validate", str(path), "--json", str(path)],
                 ["evaluate", str(path), "--json", str(path)],
                 ["validate", str(path), "--json", str(tmp_path / "r.xlsx")],
                 ["collect", str(tmp_path), "--out", str(tmp_path / "city.xlsx")]):
        result = CliRunner().invoke(cli, [*args, "--config", str(config_file)])
        assert result.exit_code == 2, (args, result.output)
        assert "未做任何处理" in result.output or "JSON 报告不能写入" in result.output
        assert digest(path) == before
    assert not (tmp_path / "city.xlsx").exists()


def test_same_named_files_get_their_own_copies_and_copies_are_not_validated_again(tmp_path, config_file):
    """Two 申报汇总表.xlsx of different folders into one --out: each its own copy (the second named by its
    folder); running *.xlsx again skips the copies instead of making *.校验结果.校验结果.xlsx."""
    from tests.conftest import write_intake

    for name in ("长安区", "桥西区"):
        (tmp_path / name).mkdir()
    a = write_intake(tmp_path / "长安区" / "申报汇总表.xlsx", [good_row()])
    b = write_intake(tmp_path / "桥西区" / "申报汇总表.xlsx", [good_row(sales=1500)])
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["validate", str(a), str(b), "--config", str(config_file), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert sorted(p.name for p in out.iterdir()) == ["申报汇总表.校验结果.xlsx", "申报汇总表（桥西区）.校验结果.xlsx"]
    second = load_workbook(out / "申报汇总表（桥西区）.校验结果.xlsx")["申报汇总"]
    assert second["K4"].comment is not None  # the 1500 of 桥西区's file, not 长安区's copy again
    again = CliRunner().invoke(cli, ["validate", *map(str, sorted(out.iterdir())), str(a), "--config",
                                     str(config_file), "--out", str(out)])
    assert again.exit_code == 0, again.output
    assert again.output.count("是 tic 生成的校验结果副本，不是申报表，已跳过。") == 2
    assert "（替换了此前的副本）" in again.output
    assert sorted(p.name for p in out.iterdir()) == ["申报汇总表.校验结果.xlsx", "申报汇总表（桥西区）.校验结果.xlsx"]


def test_a_very_long_name_gets_a_shortened_copy_and_os_errors_are_chinese(tmp_path, config_file):
    from tests.conftest import write_intake

    long_name = "石家庄市某某区科学技术局关于报送二〇二六年度市级技术创新中心申报材料的汇总表格" * 2 + ".xlsx"
    path = write_intake(tmp_path / long_name, [good_row()])
    result = CliRunner().invoke(cli, ["validate", str(path), "--config", str(config_file)])
    assert result.exit_code == 0, result.output
    copies = [p for p in tmp_path.iterdir() if ".校验结果." in p.name]
    assert len(copies) == 1 and len(copies[0].name) <= 100 and copies[0].name.startswith("石家庄市某某区")
    assert f"已生成校验结果副本：{copies[0]}" in result.output
    # the copy's name taken by a folder: one Chinese sentence, no English strerror
    short = write_intake(tmp_path / "长安区.xlsx", [good_row()])
    (tmp_path / "长安区.校验结果.xlsx").mkdir()
    result = CliRunner().invoke(cli, ["validate", str(short), "--config", str(config_file)])
    assert result.exit_code == 2
    assert "无法写入" in result.output and "已有同名的文件夹" in result.output
    assert "Is a directory" not in result.output


def test_usage_mistakes_and_help_are_in_chinese():
    """A clerk who mistypes reads one Chinese sentence (click's own English words replaced)."""
    runner = CliRunner()
    cases = {
        ("validate",): "错误：缺少参数 FILES...。",
        ("valdiate", "x.xlsx"): "错误：没有命令“valdiate”，运行 tic --help 可查看全部命令。",
        ("validate", "--quite", "x.xlsx"): "错误：没有选项 --quite（是否要输入其中之一：--out, --quiet？）",
        ("submit", "x.xlsx"): "错误：缺少选项 --district。",
        ("ledger", "change", "X", "--field", "主任", "--to", "a"):
            "错误：--field 的取值有误：“主任”不是可选的值，可选：name, reg_place, director, other。",
    }
    for args, sentence in cases.items():
        result = runner.invoke(cli, list(args), prog_name="tic")
        assert result.exit_code == 2, (args, result.output)
        lines = result.output.splitlines()
        assert lines[0] == sentence, args
        assert lines[1].startswith("用法：tic ") and "--help”可查看说明" in lines[1]
        assert not any(w in result.output for w in ("Error", "Usage", "Try ", "No such", "Missing"))
    text = runner.invoke(cli, ["validate", "--help"]).output
    assert text.startswith("用法：") and "选项" in text and "显示本说明并退出。" in text
    assert not any(w in text for w in ("Usage:", "Options:", "Show this message"))


def test_the_wrong_kind_of_workbook_is_one_sentence_not_a_finding_per_row(tmp_path, config_file):
    """The annual-report workbook given to validate (and an intake workbook given to annual) shares a few
    headers with the form; it was read as the form with a missing-column finding on every row (~330 lines)."""
    from toolkit.resources import samples_dir

    result = CliRunner().invoke(cli, ["validate", str(samples_dir() / "年度报告汇总表-2025.xlsx"), "--config",
                                      str(config_file), "--no-copy"])
    assert result.exit_code == 2
    lines = [x for x in result.output.splitlines() if x.strip()]
    assert len(lines) <= 3 and "看起来不是申报汇总表" in lines[0]


def test_the_copy_of_a_workbook_with_merged_cells_notes_and_comments_keeps_them(tmp_path, config_file):
    """A district column merged down, a note typed right of the form, the clerk's own comment on a header: the
    copy is written (it was a traceback that stopped the batch), marks the top-left cell of a merged range,
    leaves the note in place and keeps the clerk's comment before ours."""
    from openpyxl.comments import Comment

    from tests.conftest import write_intake

    src = write_intake(tmp_path / "长安区.xlsx", [good_row(), good_row(seq=2, center_name="石家庄市乙技术创新中心",
                                                                       lead_uscc="bad", district=None)])
    wb = load_workbook(src)
    ws = wb.active
    ws.merge_cells("F4:F5")  # 依托单位统一社会信用代码 merged down: F5's own text is lost, F4's code is F5's too
    ws["AP3"] = "备注：本表经局长审核"  # a note of the clerk's right of the form
    ws["B5"].comment = Comment("县区待补", "科员")  # B5 (district missing) gets a finding too
    wb.save(src)
    other = tmp_path / "other.xlsx"
    from tests.conftest import write_intake as again

    again(other, [good_row(center_name="石家庄市丙技术创新中心")])
    result = CliRunner().invoke(cli, ["validate", str(src), str(other), "--out", str(tmp_path / "out"),
                                      "--config", str(config_file)])
    assert "Traceback" not in result.output and result.exit_code in (1, 2)
    copy = load_workbook(tmp_path / "out" / "长安区.校验结果.xlsx")
    ws = copy["申报汇总"]
    assert ws["AP3"].value == "备注：本表经局长审核"
    assert ws["AQ3"].value == "校验结论" and ws["AR3"].value == "校验问题"
    assert ws["B5"].comment.text.startswith("县区待补") and "县（市、区）" in ws["B5"].comment.text
    # F5 reads F4's code (merged down): the two rows are the same lead unit in the same field, and F5's finding
    # is on the merged range's top-left cell
    assert ws["F4"].comment.text.count("重复申报") == 2
    assert (tmp_path / "out" / "other.校验结果.xlsx").is_file()  # the next file still gets its copy


def test_json_on_stdout_is_utf8_whatever_the_console_code_page(tmp_path, config_file):
    """On a GBK console (Chinese Windows) --json - wrote GBK, and 𫓧 (not in GBK) as '?'."""
    import os
    import subprocess
    import sys

    from tests.conftest import write_intake

    name = "石家庄市𫓧合金技术创新中心"
    src = write_intake(tmp_path / "长安区.xlsx", [good_row(center_name=name)])
    env = {**os.environ, "PYTHONIOENCODING": "gbk"}
    for extra in ([], ["--no-copy"]):
        done = subprocess.run([sys.executable, "-m", "toolkit", "validate", str(src), "--config", str(config_file),
                               "--json", "-", "--out", str(tmp_path / "out"), *extra], capture_output=True, env=env)
        assert done.returncode == 0, done.stderr.decode("gbk", "replace")
        assert json.loads(done.stdout.decode("utf-8"))["rows"][0]["center_name"] == name


def test_a_console_that_goes_away_never_stops_the_work(tmp_path, config_file, intake_file):
    """tic validate … | head -1: the first lines printed, head exits, the next print broke the pipe and the command
    stopped before writing its copies (2 runs in 3), exit 1 and no word."""
    import subprocess
    import sys
    from pathlib import Path

    rows = [good_row(seq=i, center_name=f"石家庄市第{i}技术创新中心", sales=10) for i in range(1, 40)]
    files = [intake_file(rows, name=f"区{i}.xlsx") for i in range(3)]
    out = tmp_path / "副本"
    proc = subprocess.Popen([sys.executable, "-m", "toolkit", "validate", *map(str, files), "--out", str(out),
                             "--config", str(config_file)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=Path(__file__).resolve().parents[1])
    assert proc.stdout is not None
    proc.stdout.readline()
    proc.stdout.close()  # as head does after its line
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err.decode()  # the files' findings, not a broken pipe
    assert sorted(p.name for p in out.glob("*.xlsx")) == [f"区{i}.校验结果.xlsx" for i in range(3)]
    assert b"Traceback" not in err and b"BrokenPipe" not in err


def test_a_sheet_too_big_to_copy_is_checked_and_said_in_one_sentence(tmp_path, config_file, intake_file, monkeypatch):
    """214 MB of empty formatted rows took 4.5 GB to copy (openpyxl holds every cell): the copy is refused above a
    limit with what to do, the validation and its JSON stand."""
    import toolkit.adapters.annotate as annotate

    path = intake_file([good_row()])
    monkeypatch.setattr(annotate, "COPY_LIMIT", 1024)  # the sample's sheet is a few kB: "too big" here
    result = CliRunner().invoke(cli, ["validate", str(path), "--json", str(tmp_path / "r.json"),
                                      "--config", str(config_file)])
    assert result.exit_code == 2 and "太大，未生成校验结果副本" in result.output and "--no-copy" in result.output
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["summary"]["eligible"] == 1
    assert not list(tmp_path.glob("*.校验结果.xlsx"))


def test_an_unforeseen_error_is_one_sentence_not_a_traceback(tmp_path, config_file, intake_file, monkeypatch):
    import toolkit.cli.validate as validate_cli

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]  # stands for a bug no check foresaw
        raise KeyError("县（市、区）")

    monkeypatch.setattr(validate_cli, "validate_file", broken)
    result = CliRunner().invoke(cli, ["validate", str(intake_file([good_row()])), "--config", str(config_file)])
    assert result.exit_code == 2 and result.output.startswith("错误：程序内部错误（KeyError")
    assert "Traceback" not in result.output
