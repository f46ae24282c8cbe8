"""``tic evaluate``: exit status, terminal summary, --json, --out, --record; ``tic template evaluation``."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from toolkit.adapters.config_file import load_config
from toolkit.adapters.evaluation_workbook import evaluate_file, write_evaluation_template
from toolkit.adapters.ledger import open_ledger
from toolkit.cli.main import cli
from toolkit.resources import samples_dir

SAMPLE = "评估打分表-2026.xlsx"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    target = tmp_path / SAMPLE
    shutil.copy(samples_dir() / SAMPLE, target)
    return target


def bad_scores(tmp_path: Path, dims: tuple = (16, 16, 24, 16, 12)) -> Path:
    """A small scoring workbook whose first score is above its maximum (SCORE.RANGE)."""
    path = write_evaluation_template(tmp_path / "有误.xlsx")
    wb = load_workbook(path)
    roster = ("SJZTIC-2017-001", "石家庄市智能传感器技术创新中心", "河北华芯智能传感科技有限公司", None, None, None,
              "长安区", "参评")
    for c, v in enumerate(roster, start=1):
        wb["中心名单"].cell(row=4, column=c, value=v)
    for i in range(1, 6):
        expert = (f"E{i}", f"专家{i}", None, f"单位{i}", None, "省内" if i % 2 else "省外", None,
                  "管理专家" if i == 1 else "同行专家")
        scores = ("SJZTIC-2017-001", f"E{i}", *(dims if i == 1 else (12, 16, 24, 16, 12)))
        for c, v in enumerate(expert, start=1):
            wb["专家名单"].cell(row=3 + i, column=c, value=v)
        for c, v in enumerate(scores, start=1):
            wb["专家打分"].cell(row=3 + i, column=c, value=v)
    wb.save(path)
    return path


def test_sample_exit_0_json_equals_library_and_input_untouched(sample: Path, config_file: Path, tmp_path: Path) -> None:
    before = sha(sample)
    out = tmp_path / "结果"
    result = CliRunner().invoke(cli, ["evaluate", str(sample), "--config", str(config_file), "--json",
                                      str(tmp_path / "r.json"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sha(sample) == before
    assert "共15个中心，定级13个（优秀3个、合格8个、不合格2个），回避剔除评分5条，错误0处，警告4处。" in result.stdout
    assert "第3名   SJZTIC-2021-001" in result.stdout and "85.0分  优秀" in result.stdout
    assert "ZJ002（刘志远）→ SJZTIC-2017-001：评估专家为依托单位人员（按统一社会信用代码匹配），未申报，自动发现" in result.stdout
    recusals = result.stdout.split("回避剔除（第三十三条）：\n")[1].split("问题：")[0].splitlines()
    assert len(recusals) == 5  # one line per excluded score, as the summary counts them
    assert "A33." not in result.stdout and "SCORE." not in result.stdout and "DATA." not in result.stdout
    assert (out / "评估打分表-2026.评估结果.xlsx").is_file()
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report == json.loads(json.dumps(evaluate_file(sample, load_config(config_file)).to_dict()))


def test_json_to_stdout_keeps_the_summary_on_stderr(sample: Path, config_file: Path) -> None:
    result = CliRunner().invoke(cli, ["evaluate", str(sample), "--config", str(config_file), "--json", "-"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["report"] == "evaluation" and report["summary"]["优秀"] == 3
    assert "共15个中心" in result.stderr
    assert (sample.parent / "评估打分表-2026.评估结果.xlsx").is_file()  # default: beside the input


def test_score_error_exits_1(tmp_path: Path, config_file: Path) -> None:
    path = bad_scores(tmp_path)
    result = CliRunner().invoke(cli, ["evaluate", str(path), "--config", str(config_file), "-q"])
    assert result.exit_code == 1
    assert "[错误] 专家打分!C4：专家E1对中心SJZTIC-2017-001的“组织管理”评分16超出0至15分的范围。" in result.stdout
    assert "共1个中心" not in result.stdout  # --quiet: problems only


def test_unreadable_file_exits_2_and_the_batch_goes_on(sample: Path, config_file: Path, tmp_path: Path) -> None:
    bad = tmp_path / "损坏.xlsx"
    bad.write_bytes(b"not a zip file at all")
    result = CliRunner().invoke(cli, ["evaluate", str(bad), str(sample), "--config", str(config_file),
                                      "--json", str(tmp_path / "all.json")])
    assert result.exit_code == 2
    assert "【无法读取】" in result.stderr and "共15个中心" in result.stdout
    batch = json.loads((tmp_path / "all.json").read_text(encoding="utf-8"))
    assert batch["report"] == "evaluate-batch" and [r["source"]["file"] for r in batch["reports"]] == ["损坏.xlsx", SAMPLE]
    assert [f["rule"] for f in batch["reports"][0]["file_findings"]] == ["FILE.UNREADABLE"]
    assert batch["reports"][0]["centers"] == []


def _ledger_with_sample_centers(config_file: Path) -> Path:
    config = load_config(config_file)
    centers = json.loads((samples_dir() / "sample_centers.json").read_text(encoding="utf-8"))["centers"]
    with open_ledger(config, command="test") as led:
        for c in centers:
            led.conn.execute(
                "INSERT INTO centers (center_id, name, lead_name, lead_uscc, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, '2026-01-01T00:00:00', '2026-01-01T00:00:00')",
                (c["center_id"], c["name"], c["lead_name"], c["lead_uscc"]))
    return config.ledger_path


def test_record_writes_exact_totals_into_the_ledger(sample: Path, config_file: Path) -> None:
    db = _ledger_with_sample_centers(config_file)
    runner = CliRunner()
    result = runner.invoke(cli, ["evaluate", str(sample), "--config", str(config_file), "--record"])
    assert result.exit_code == 0, result.output + result.stderr
    assert "已登记到台账（2026年度评估）" in result.stdout
    conn = sqlite3.connect(db)
    rows = {r[0]: r[1:] for r in conn.execute("SELECT center_id, status, grade, total FROM evaluations WHERE year = 2026")}
    conn.close()
    assert rows["SJZTIC-2021-001"] == ("参评", "优秀", "85")
    assert rows["SJZTIC-2019-002"][1] == "不合格" and rows["SJZTIC-2020-002"][1] == "不合格"
    assert rows["SJZTIC-2020-003"] == ("视同合格", "合格", None) and rows["SJZTIC-2023-001"] == ("缓评", None, None)
    assert rows["SJZTIC-2017-001"][2] == "1091/14"  # exact, not 77.9


def test_record_refused_when_the_file_has_errors(tmp_path: Path, config_file: Path) -> None:
    db = _ledger_with_sample_centers(config_file)
    result = CliRunner().invoke(cli, ["evaluate", str(bad_scores(tmp_path)), "--config", str(config_file), "--record"])
    assert result.exit_code == 1 and "未登记到台账" in result.stderr
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0] == 0
    conn.close()


def test_template_evaluation_command(tmp_path: Path, config_file: Path) -> None:
    target = tmp_path / "空白打分表.xlsx"
    result = CliRunner().invoke(cli, ["template", "evaluation", "-o", str(target), "--config", str(config_file)])
    assert result.exit_code == 0 and "绩效评估打分表" in result.stdout
    assert load_workbook(target).defined_names["TIC_TEMPLATE"].attr_text == '"evaluation/1"'


def test_help() -> None:
    result = CliRunner().invoke(cli, ["evaluate", "--help"])
    assert result.exit_code == 0 and "--record" in result.stdout and "第三十一条至第三十五条" in result.stdout


def test_same_named_scoring_files_get_their_own_results(sample: Path, config_file: Path, tmp_path: Path) -> None:
    import shutil

    for name in ("第一组", "第二组"):
        (tmp_path / name).mkdir()
        shutil.copy(sample, tmp_path / name / "打分表.xlsx")
    out = tmp_path / "结果"
    args = ["evaluate", str(tmp_path / "第一组" / "打分表.xlsx"), str(tmp_path / "第二组" / "打分表.xlsx"),
            "--config", str(config_file), "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["打分表.评估结果.xlsx", "打分表（第二组）.评估结果.xlsx"]
    again = CliRunner().invoke(cli, ["evaluate", *map(str, sorted(out.iterdir())), "--config", str(config_file),
                                     "--out", str(out)])
    assert again.exit_code == 0 and again.output.count("是 tic 生成的评估结果，不是打分表，已跳过。") == 2
