"""Read ``tic.toml`` and write a commented one (``tic init``)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from toolkit.core.config import Config, config_from_dict
from toolkit.errors import ConfigError, os_reason

DEFAULT_NAME = "tic.toml"


def load_config(path: Path | str) -> Config:
    """Read and check a config file; every problem is a :class:`ConfigError` naming the key."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            f"找不到配置文件“{path}”：请在周期文件夹中运行，或用 --config 指定，或先运行 tic init 生成。"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise ConfigError(f"配置文件“{path}”不是 UTF-8 编码，请用记事本另存为 UTF-8。") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_toml_message(path, exc)) from None
    except OSError as exc:
        raise ConfigError(f"无法读取配置文件“{path}”：{os_reason(exc)}。") from None
    return config_from_dict(data, base_dir=path.resolve().parent, source=path)


def _toml_message(path: Path, exc: Exception) -> str:
    """A TOML syntax error in one Chinese sentence, with the line and column."""
    import re

    m = re.search(r"line (\d+), column (\d+)", str(exc))
    where = f"第{m.group(1)}行第{m.group(2)}列" if m else "某处"
    line = ""
    if m:
        try:
            line = path.read_text(encoding="utf-8").splitlines()[int(m.group(1)) - 1]
        except (OSError, UnicodeDecodeError, IndexError):
            line = ""
    item = re.match(r"\s*([A-Za-z_][\w-]*)\s*=\s*(\d{4}-\d{1,2}-\d{1,2})\s*(?:#.*)?$", line)
    if item:  # 2026-02-30: a date TOML reads as a date, that does not exist
        return (f"配置文件“{path.name}”{where}：配置项 {item.group(1)} 的日期 {item.group(2)} 不存在或写法不对，"
                "请按 2026-03-31 的格式填写一个真实的日期。")
    return (f"配置文件“{path.name}”{where}格式有误（常见原因：文字没有用英文双引号括起来、使用了中文标点、"
            "缺少等号或括号不配对），请对照 tic init 生成的示例修改。")


def default_config_text(year: int = 2026, reference_date: str = "2026-03-31", ledger_path: str | None = None) -> str:
    """The commented config that ``tic init`` writes."""
    ledger_line = f'path = "{ledger_path}"' if ledger_path else '# path = "../tic-ledger.sqlite"'
    return f"""\
# 石家庄市技术创新中心批处理工具（tic）配置文件
# 每个周期（年度）一个文件夹、一个配置文件。修改后保存为 UTF-8 编码。
# 以 # 开头的行是说明；去掉 # 即可启用该项。

[cycle]
# 本周期年度
year = {year}
# 基准日期：申报通知截止日或评估日。“上年度”“注册时间三年以上”“主任年龄”等均按此日期计算，
# 不取电脑当天日期，因此下个月重新运行结果相同。
reference_date = {reference_date}
# 本年度申报通知确定的重点领域（第十条第（三）项）
key_fields = ["新一代电子信息", "生物医药健康", "先进装备制造", "新材料", "现代食品", "节能环保"]

[intake]
# “一定数量的具有自主知识产权的技术成果”的最低件数（第十条第（三）项）
min_ip = 1
# 本周期新增的园区等区划（名称 = 6位区划代码）
# extra_divisions = {{ "石家庄综合保税区" = "130173" }}

[evaluation]
# 五个评估维度及满分（第三十四条），合计100分
dimensions = {{ "组织管理" = 15, "研发条件" = 20, "研发产出" = 30, "转化应用" = 20, "开放协作" = 15 }}
# 每个中心的有效（未回避）专家至少人数
min_experts = 5
# 计分方法：mean = 有效专家平均；trimmed = 去掉一个最高分和一个最低分后平均（有效专家5人以上时）
aggregation = "mean"
# 等级线（第三十五条）：总分 ≥ excellent 为优秀；≥ passing 为合格；否则不合格
excellent = 85
passing = 60
# 优秀名额比例（按排名），不设则不限。例如 0.2 表示至多20%
# excellent_quota = 0.2
# 专家总分偏离专家组中位数超过此分数时提示
outlier_points = 15

[annual]
# 某年度的年度报告须在次年此日期（月-日）前报送（第二十九条、第三十八条第（一）项）
deadline = "03-31"

[ledger]
# 台账数据库（跨年度保存，建议放在各周期文件夹的上一级）
{ledger_line}
# 每次写入前保留的台账备份份数
backups = 5
# 新认定中心编号格式
id_format = "SJZTIC-{{year}}-{{seq:03d}}"

[letters]
# 发文字号前缀，如 石科字〔2026〕12号
prefix = "石科字"
issuer = "石家庄市科学技术局"
# 整改通知：整改方案须在发文后多少天内报送
rectification_plan_days = 30
# 撤销通知：发文后多少天生效（0 为自发文之日起）
revocation_effective_days = 0
# 成文日期，不设则为基准日期
# letter_date = 2026-04-15
# 每份公文的抄送单位（归口管理部门自动抄送）
# copy_to = ["市财政局"]
"""


def write_default_config(path: Path | str, **kwargs: str | int | None) -> Path:
    """Write a commented default config at ``path``; never overwrites an existing file."""
    from toolkit.adapters.atomic import write_text

    path = Path(path)
    if path.exists():
        raise ConfigError(f"配置文件“{path}”已存在，未覆盖。")
    write_text(path, default_config_text(**kwargs))  # type: ignore[arg-type]
    return path
