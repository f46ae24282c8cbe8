"""The ledger (台账): one SQLite file on the shared drive that keeps the programme's history.

Contract: ``/work/briefs/ledger-contract.md`` (schema version 1, :func:`open_ledger`,
:func:`record_evaluation`). What this module guarantees:

- **Schema** created and upgraded by numbered migrations from an empty file;
  ``PRAGMA user_version`` is the schema version; foreign keys on; journal_mode
  DELETE (no WAL: the file lives on a network share).
- **One transaction per command**: :func:`open_ledger` commits at the end of its
  ``with`` block and rolls back on any exception.
- **One writer at a time**: a lock file ``<db>.lock`` made by an exclusive create
  names the OS user, host, pid, time and command. A second writer gets
  :class:`~toolkit.errors.LedgerLockedError` in one sentence; :func:`unlock`
  clears a stale lock and says whose it was. Re-entrant within a process.
- **Backups**: before each writing command a copy goes to ``台账备份`` beside the
  file, named with a timestamp; only the newest ``config.ledger.backups`` stay.
- **Audit**: an append-only table (triggers refuse UPDATE and DELETE) of what
  changed, the command, the input file (name and SHA-256), OS user, host, time.

Library functions behind the commands also live here: :func:`record_evaluation`,
:func:`decide_cycle`, :func:`center_timeline`, :func:`record_change`, :func:`unlock`.
Windows-safe: pathlib and ``os.open(O_EXCL)``, no fcntl.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
import os
import platform
import secrets
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

from toolkit import __version__
from toolkit.core.config import Config
from toolkit.core.dates import format_zh
from toolkit.core.disposition import (
    OUTCOME_ZH,
    RETIRED,
    REVOKED,
    RUNNING,
    STATUS_OF_OUTCOME,
    CenterState,
    Disposition,
    EvaluationRecord,
    EventRecord,
    ReportRecord,
    decide,
    format_total,
    judged_since,
    missed_reevaluations,
)
from toolkit.core.findings import rule_info
from toolkit.errors import LedgerError, LedgerLockedError, os_reason

SCHEMA_VERSION = 3
READABLE_FROM = 2
"""The oldest schema a read-only command reads as it is (v3 only added ``cycles``, which only tic decide reads
and writes: a writing command upgrades first)."""
BACKUP_DIR = "台账备份"
LETTER_KIND_OF_OUTCOME = {"reward": "reward", "rectify": "rectification", "revoke": "revocation", "retire": "retire"}
OUTCOME_OF_LETTER_KIND = {v: k for k, v in LETTER_KIND_OF_OUTCOME.items()}
CHANGE_FIELDS = {"name": "中心名称", "reg_place": "注册地", "director": "中心主任", "other": "其他重大事项"}

_V1 = [
    """CREATE TABLE centers (
  center_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  name_en TEXT,
  lead_name TEXT NOT NULL, lead_uscc TEXT,
  partners TEXT NOT NULL DEFAULT '[]', partner_usccs TEXT NOT NULL DEFAULT '[]',
  district TEXT, key_field TEXT, rd_direction TEXT, director TEXT, reg_place TEXT,
  approved_year INTEGER, approval_doc TEXT,
  status TEXT NOT NULL DEFAULT '运行' CHECK (status IN ('运行','撤销','不再保留')),
  status_cycle INTEGER, status_date TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL)""",
    """CREATE TABLE evaluations (
  center_id TEXT NOT NULL REFERENCES centers(center_id), year INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('参评','未参评','中途退出','缓评','视同合格')),
  grade TEXT CHECK (grade IN ('优秀','合格','不合格')),
  rectification_reeval INTEGER NOT NULL DEFAULT 0,
  total TEXT,
  source TEXT, recorded_at TEXT NOT NULL,
  PRIMARY KEY (center_id, year))""",
    """CREATE TABLE events (
  id INTEGER PRIMARY KEY, center_id TEXT NOT NULL REFERENCES centers(center_id),
  rule TEXT NOT NULL,
  article TEXT NOT NULL,
  occurred_on TEXT NOT NULL, description TEXT NOT NULL DEFAULT '', basis TEXT NOT NULL DEFAULT '',
  UNIQUE (center_id, rule, occurred_on, description))""",
    """CREATE TABLE annual_reports (
  center_id TEXT NOT NULL REFERENCES centers(center_id), year INTEGER NOT NULL,
  submitted_on TEXT,
  source TEXT, PRIMARY KEY (center_id, year))""",
    """CREATE TABLE changes (
  id INTEGER PRIMARY KEY, center_id TEXT NOT NULL REFERENCES centers(center_id),
  field TEXT NOT NULL CHECK (field IN ('name','reg_place','director','other')),
  old_value TEXT, new_value TEXT NOT NULL, effective_on TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',
  cycle_year INTEGER NOT NULL, recorded_at TEXT NOT NULL,
  UNIQUE (center_id, field, effective_on, new_value))""",
    """CREATE TABLE dispositions (
  center_id TEXT NOT NULL REFERENCES centers(center_id), cycle_year INTEGER NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('reward','rectify','revoke','retire','none')),
  rules TEXT NOT NULL, reasons TEXT NOT NULL,
  decided_at TEXT NOT NULL, PRIMARY KEY (center_id, cycle_year))""",
    """CREATE TABLE registrations (
  center_id TEXT PRIMARY KEY REFERENCES centers(center_id), cycle_year INTEGER NOT NULL,
  source_file TEXT, source_row INTEGER, registered_at TEXT NOT NULL)""",
    """CREATE TABLE letters (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  center_id TEXT,
  cycle_year INTEGER NOT NULL,
  subject TEXT NOT NULL DEFAULT '',
  prefix TEXT NOT NULL, doc_year INTEGER NOT NULL, seq INTEGER NOT NULL,
  doc_number TEXT NOT NULL,
  file TEXT NOT NULL, sha256 TEXT NOT NULL, issued_at TEXT NOT NULL,
  superseded_by INTEGER REFERENCES letters(id),
  UNIQUE (prefix, doc_year, seq))""",
    """CREATE TABLE audit (
  id INTEGER PRIMARY KEY, at TEXT NOT NULL, command TEXT NOT NULL, action TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '', input_file TEXT, input_sha256 TEXT, os_user TEXT, host TEXT)""",
    """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END""",
    """CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END""",
    "CREATE INDEX evaluations_year ON evaluations(year)",
    "CREATE INDEX events_center ON events(center_id)",
    "CREATE INDEX letters_center ON letters(center_id, cycle_year)",
]

# version -> statements that bring a ledger of version-1 to it
# v2: each evaluation keeps its dimension scores (the rectification notice names the weak dimensions, Art. 37)
_V2 = ["ALTER TABLE evaluations ADD COLUMN dimensions TEXT"]  # JSON {"scores": {dim: x}, "maxima": {dim: max}}
# v3: the reference date each cycle was decided on (the next cycle judges what happened after it, Art. 38)
_V3 = ["""CREATE TABLE cycles (
  cycle_year INTEGER PRIMARY KEY, reference_date TEXT NOT NULL, decided_at TEXT NOT NULL)"""]
MIGRATIONS: dict[int, list[str]] = {1: _V1, 2: _V2, 3: _V3}


# ------------------------------------------------------------------ who and when


def now_text() -> str:
    """Local time as ISO text with seconds (audit and bookkeeping timestamps)."""
    return datetime.now().isoformat(timespec="seconds")


def os_user() -> str:
    """The OS user name (Windows: USERNAME), or 未知用户."""
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):  # no login name (service account without env)
        return os.environ.get("USERNAME") or os.environ.get("USER") or "未知用户"


def host_name() -> str:
    """This computer's name."""
    try:
        name = socket.gethostname()
    except OSError:
        name = ""
    return name or platform.node() or "未知计算机"


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes (hex)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:  # noqa: PTH123
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _key(path: Path) -> str:
    return os.path.normcase(str(path.resolve()))


# ------------------------------------------------------------------------ lock


def articles_text(rules: Sequence[str]) -> str:
    """Rule ids as the clerk reads them: their articles (第三十八条第（一）项、第（三）项 style is left to the
    letters), each once, in order; a rule without an article by its title."""
    from toolkit.core.findings import rule_info

    out: list[str] = []
    for rule in rules:
        info = rule_info(rule)
        text = info.get("article") or info.get("title") or rule
        if text not in out:
            out.append(text)
    return "、".join(out)


def lock_path(db: Path) -> Path:
    """The lock file beside the ledger: ``<db>.lock``."""
    return db.with_name(db.name + ".lock")


def read_lock(db: Path) -> dict[str, Any] | None:
    """The holder written in the lock file (None: no lock). An unreadable lock gives placeholders."""
    lp = lock_path(db)
    for attempt in range(5):
        try:
            text = lp.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError:
            text = ""
        try:
            data = json.loads(text)
            if isinstance(data, dict):
                return data
        except ValueError:
            pass
        if attempt < 4:  # the holder may be between creating and writing the file
            time.sleep(0.05)
    return {"user": "未知用户", "host": "未知计算机", "time": "", "command": "未知"}


def _describe_holder(holder: dict[str, Any]) -> tuple[str, str, str, str]:
    when = str(holder.get("time") or "")
    with contextlib.suppress(ValueError):
        when = datetime.fromisoformat(when).strftime("%Y-%m-%d %H:%M:%S")
    return (str(holder.get("user") or "未知用户"), str(holder.get("host") or "未知计算机"),
            when or "未知时间", str(holder.get("command") or "未知"))


def locked_message(holder: dict[str, Any]) -> str:
    user, host, when, command = _describe_holder(holder)
    return (f"台账正由 {user}（{host}）自 {when} 起使用（命令：{command}），请稍后再试；"
            "如确认对方已退出，可运行 tic ledger unlock 清除。")


@dataclass
class _Hold:
    token: str
    count: int = 0
    ledger: Ledger | None = None


_holds: dict[str, _Hold] = {}
_holds_guard = threading.RLock()


def _acquire(db: Path, command: str) -> None:
    key = _key(db)
    with _holds_guard:
        hold = _holds.get(key)
        if hold is not None:
            hold.count += 1
            return
        token = secrets.token_hex(8)
        info = {"user": os_user(), "host": host_name(), "pid": os.getpid(), "time": now_text(),
                "command": command, "token": token}
        lp = lock_path(db)
        flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_BINARY", 0)
        try:
            try:
                fd = os.open(lp, flags)
            except FileExistsError:
                if not _clear_if_stale(db):
                    raise
                fd = os.open(lp, flags)  # the holder had died on this computer: its lock is gone
        except FileExistsError:
            holder = read_lock(db)
            if not holder:  # released (or being written) between our try and our look: once more, then say so
                time.sleep(0.2)
                try:
                    fd = os.open(lp, flags)
                except FileExistsError:
                    raise LedgerLockedError(locked_message(read_lock(db) or {})) from None
            else:
                raise LedgerLockedError(locked_message(holder)) from None
        except PermissionError:
            if lp.exists():  # Windows: the lock is being created or removed by someone else
                raise LedgerLockedError(locked_message(read_lock(db) or {})) from None
            raise LedgerError(f"无法在“{db.parent}”中创建台账锁文件：没有写权限。") from None
        except OSError as exc:
            raise LedgerError(f"无法创建台账锁文件“{lp}”：{os_reason(exc)}。") from None
        try:
            os.write(fd, json.dumps(info, ensure_ascii=False).encode("utf-8"))
            with contextlib.suppress(OSError):
                os.fsync(fd)
        finally:
            os.close(fd)
        _holds[key] = _Hold(token=token, count=1)


def process_alive(pid: int) -> bool | None:
    """Whether process ``pid`` of this computer is running; None when it cannot be told. (Never
    ``os.kill`` on Windows: there it ends the process.)"""
    if pid <= 0:
        return None
    if os.name == "nt":
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        kernel32.OpenProcess.restype = ctypes.c_void_p  # a handle is pointer-sized (c_int would truncate it)
        kernel32.OpenProcess.argtypes = (ctypes.c_ulong, ctypes.c_int, ctypes.c_ulong)
        kernel32.GetExitCodeProcess.argtypes = (ctypes.c_void_p, ctypes.POINTER(ctypes.c_ulong))
        kernel32.CloseHandle.argtypes = (ctypes.c_void_p,)
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False if kernel32.GetLastError() == 87 else None  # ERROR_INVALID_PARAMETER: no such process
        try:
            code = ctypes.c_ulong()
            if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
                return None
            return code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return None
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    """A process that ended but was not reaped (a run killed where init does not reap at once): it answers
    ``kill(pid, 0)`` but holds nothing. Linux: the state in /proc; elsewhere unknown (False)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    state = stat[stat.rfind(")") + 1:].split()  # "pid (name) S ...": the name may hold spaces and parentheses
    return bool(state) and state[0] == "Z"


def _clear_if_stale(db: Path) -> bool:
    """Remove a lock left by a run of this computer that no longer runs (killed, power cut): True when
    removed, after making sure the file is still that run's. A lock of another computer is never touched."""
    holder = read_lock(db)
    if not holder or holder.get("host") != host_name() or not isinstance(holder.get("pid"), int):
        return False
    if holder["pid"] == os.getpid() or process_alive(holder["pid"]) is not False:
        return False
    again = read_lock(db)
    if again is None or again.get("token") != holder.get("token"):
        return False
    try:
        lock_path(db).unlink()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    _stale_cleared.append(holder)
    return True


_stale_cleared: list[dict[str, Any]] = []  # locks of dead runs removed in this process (said by the CLI)


def _release(db: Path) -> None:
    key = _key(db)
    with _holds_guard:
        hold = _holds.get(key)
        if hold is None:
            return
        hold.count -= 1
        if hold.count > 0:
            return
        del _holds[key]
        holder = read_lock(db)
        if holder is not None and holder.get("token") == hold.token:
            with contextlib.suppress(FileNotFoundError):
                lock_path(db).unlink()


@contextlib.contextmanager
def ledger_lock(config: Config, *, command: str, path: Path | None = None) -> Iterator[Path]:
    """Hold the ledger lock (re-entrant in this process) without opening the database.

    ``tic run`` holds it for a whole run; every :func:`open_ledger` inside reuses it.
    """
    db = Path(path or config.ledger_path)
    _check_folder(db)
    _acquire(db, command)
    try:
        _refuse_lost_ledger(db)
        yield db
    finally:
        _release(db)


def unlock(config: Config, *, path: Path | None = None) -> str:
    """Clear the lock file (a stale lock left by a crashed run); returns one sentence saying what it cleared."""
    db = Path(path or config.ledger_path)
    holder = read_lock(db)
    if holder is None:
        return f"台账“{db}”当前没有被锁定，无需清除。"
    with _holds_guard:
        if _key(db) in _holds:
            return "台账锁由本程序自己持有，未清除。"
    user, host, when, command = _describe_holder(holder)
    try:
        lock_path(db).unlink()
    except FileNotFoundError:
        return f"台账“{db}”当前没有被锁定，无需清除。"
    except OSError as exc:
        raise LedgerError(f"无法删除台账锁文件“{lock_path(db)}”：{os_reason(exc)}。") from None
    message = f"已清除台账锁：原由 {user}（{host}）自 {when} 起持有（命令：{command}）。"
    if db.exists():
        with open_ledger(config, command="ledger unlock", path=db) as led:
            led.audit("清除台账锁", message)
    return message


# ---------------------------------------------------------------------- backups


def _fingerprint(path: Path) -> tuple[Any, ...] | None:
    """What tells two copies of a ledger apart: its last audit row and the rows of each table (every change the
    tool makes leaves an audit row). None when it cannot be read."""
    try:
        with contextlib.closing(sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)) as conn:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
            counts = tuple(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables)
            last = conn.execute("SELECT max(id) FROM audit").fetchone()[0] if "audit" in tables else None
            version = conn.execute("PRAGMA user_version").fetchone()[0]
    except (sqlite3.Error, OSError):
        return None
    return (version, last, tuple(tables), counts)


def backup_ledger(db: Path, keep: int) -> Path | None:
    """Copy the ledger into ``台账备份`` beside it and keep only the newest ``keep`` copies. A ledger unchanged
    since its newest copy is not copied again: commands that change nothing (a monthly run with nothing new,
    tic decide run twice) no longer push the copies of earlier states out."""
    if keep <= 0 or not db.exists() or db.stat().st_size == 0:
        return None
    folder = db.parent / BACKUP_DIR
    copies = _backups_of(db)
    if copies:
        now = _fingerprint(db)
        if now is not None and now == _fingerprint(copies[-1]):
            return None
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = folder / f"{db.stem}-{stamp}{db.suffix}"
    tmp = folder / f".~{target.name}"
    try:
        folder.mkdir(exist_ok=True)
        src = sqlite3.connect(db)
        try:
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
        os.replace(tmp, target)
    except (OSError, sqlite3.Error) as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        reason = os_reason(exc) if isinstance(exc, OSError) else _sqlite_reason(exc)
        raise LedgerError(f"无法备份台账到“{folder}”：{reason}；台账未作任何改动。") from None
    prefix, suffix = f"{db.stem}-", db.suffix
    copies = sorted(p for p in folder.iterdir()
                    if p.is_file() and p.name.startswith(prefix) and p.name.endswith(suffix))
    for old in copies[:-keep]:
        with contextlib.suppress(OSError):
            old.unlink()
    return target


# ------------------------------------------------------------------- the ledger


class Ledger:
    """An open ledger: ``conn`` (rows as :class:`sqlite3.Row`), ``path``, and the command using it."""

    def __init__(self, conn: sqlite3.Connection, path: Path, command: str, config: Config) -> None:
        self.conn = conn
        self.path = path
        self.command = command
        self.config = config
        self._sha: dict[str, str] = {}

    def audit(self, action: str, detail: str = "", input_file: Path | None = None) -> None:
        """Append one audit row (who, where, when, which command, which input file)."""
        name = digest = None
        if input_file is not None:
            input_file = Path(input_file)
            name = input_file.name
            key = str(input_file.resolve())
            if key not in self._sha:
                try:
                    self._sha[key] = file_sha256(input_file)
                except OSError:
                    self._sha[key] = ""
            digest = self._sha[key] or None
        self.conn.execute(
            "INSERT INTO audit (at, command, action, detail, input_file, input_sha256, os_user, host)"
            " VALUES (?,?,?,?,?,?,?,?)",
            (now_text(), self.command, action, detail, name, digest, os_user(), host_name()),
        )

    def audit_many(self, rows: Sequence[tuple[str, str]], input_file: Path | None = None) -> None:
        """Append several audit rows (action, detail) for one input file."""
        if not rows:
            return
        self.audit(*rows[0], input_file=input_file)
        name = digest = None
        if input_file is not None:
            name = Path(input_file).name
            digest = self._sha.get(str(Path(input_file).resolve())) or None
        at, user, host = now_text(), os_user(), host_name()
        self.conn.executemany(
            "INSERT INTO audit (at, command, action, detail, input_file, input_sha256, os_user, host)"
            " VALUES (?,?,?,?,?,?,?,?)",
            [(at, self.command, a, d, name, digest, user, host) for a, d in rows[1:]],
        )

    def center(self, center_id: str) -> sqlite3.Row | None:
        return self.conn.execute("SELECT * FROM centers WHERE center_id = ?", (center_id,)).fetchone()

    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])


def _check_folder(db: Path) -> None:
    if not db.parent.is_dir():
        raise LedgerError(f"台账所在的文件夹“{db.parent}”不存在，请检查配置项 ledger.path 或 --ledger。")


def _backups_of(db: Path) -> list[Path]:
    folder = db.parent / BACKUP_DIR
    try:
        return sorted(p for p in folder.iterdir()
                      if p.is_file() and p.name.startswith(f"{db.stem}-") and p.name.endswith(db.suffix))
    except OSError:
        return []


def _newest_backup(db: Path) -> str:
    """"最近的一份是“…”" naming the newest backup of ``db``, or "" when it has none."""
    backups = _backups_of(db)
    return f"最近的一份是“{backups[-1].name}”" if backups else ""


def _refuse_lost_ledger(db: Path) -> None:
    """A ledger of 0 bytes, or a missing ledger that has backups, was emptied or moved (an interrupted copy, a
    sync tool): SQLite would quietly start a new, empty ledger and give 发文字号 already used. Refused, with the
    newest backup to restore."""
    backups = _backups_of(db)
    newest = _newest_backup(db)
    folder = db.parent / BACKUP_DIR
    if db.is_file() and db.stat().st_size == 0:
        if not backups:
            raise LedgerError(
                f"台账文件“{db}”是空文件（0 字节），可能在复制或同步时损坏，为免发文字号重复本次未使用它，"
                "请找回原台账文件后重试（如确要新建台账，请先删除这个空文件）。")
        raise LedgerError(
            f"台账文件“{db}”是空文件（0 字节），可能在复制或同步时损坏，为免发文字号重复本次未使用它，"
            f"请从“{folder}”中恢复备份（{newest}）：把它复制为“{db.name}”后重试。")
    if not db.exists() and backups:
        raise LedgerError(
            f"找不到台账文件“{db}”，但“{folder}”中有它的备份（{newest}），台账可能被移走或删除，为免发文字号重复本次未新建台账，"
            f"请把最近的备份复制为“{db.name}”后重试（如确要从头新建台账，请先把“{BACKUP_DIR}”文件夹移走）。")


def _connect(db: Path) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(db, timeout=15, isolation_level=None)
    except sqlite3.Error as exc:
        raise LedgerError(f"无法打开台账“{db}”：{exc}。") from None
    conn.row_factory = sqlite3.Row
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        if str(mode).lower() != "delete":
            raise LedgerError(f"无法把台账“{db}”设为 DELETE 日志模式（当前为 {mode}），请确认没有其他程序正在使用它。")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise _db_error(db, exc) from None
    return conn


def _db_error(db: Path, exc: sqlite3.Error) -> LedgerError:
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        newest = _newest_backup(db)
        return LedgerError(f"“{db}”不是有效的台账数据库文件（可能已损坏），请从“{db.parent / BACKUP_DIR}”中恢复备份"
                           f"{f'（{newest}）' if newest else ''}：把它复制为“{db.name}”后重试。")
    if "locked" in text or "busy" in text:
        return LedgerLockedError(f"台账“{db}”正被其他程序占用（数据库忙），请稍后再试。")
    if "readonly" in text or "read-only" in text:
        return LedgerError(f"台账“{db}”是只读的，无法写入：请检查文件权限。")
    return LedgerError(f"台账“{db}”读写失败：{_sqlite_reason(exc)}。")


def _sqlite_reason(exc: sqlite3.Error) -> str:
    """SQLite's English error in Chinese (disk full, I/O error …); an unforeseen one as it is."""
    text = str(exc)
    for key, zh in (("disk is full", "磁盘空间不足"), ("disk I/O error", "磁盘读写出错（网络盘断开或磁盘故障）"),
                    ("unable to open", "无法打开文件（文件夹不存在或没有权限）"), ("readonly", "文件是只读的"),
                    ("locked", "正被其他程序占用"), ("malformed", "文件已损坏"), ("not a database", "不是台账数据库文件"),
                    ("no such table", "结构不对（不是本工具的台账，或已损坏）"),
                    ("no such column", "结构不对（不是本工具的台账，或已损坏）")):
        if key in text:
            return zh
    return text


def migrate(conn: sqlite3.Connection, db: Path) -> int:
    """Bring the schema to :data:`SCHEMA_VERSION` inside the open transaction; returns the old version."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise LedgerError(f"台账“{db}”由较新版本的工具创建（结构版本 {version}），请升级 tic 后再使用。")
    if version == 0:
        tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        if tables:
            raise LedgerError(f"“{db}”是一个 SQLite 数据库，但不是台账（没有结构版本），未做任何修改。")
    for target in range(version + 1, SCHEMA_VERSION + 1):
        for statement in MIGRATIONS[target]:
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {target}")
    return version


def _check_version(conn: sqlite3.Connection, db: Path) -> None:
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version == 0:
        raise LedgerError(f"“{db}”不是台账文件（或是空文件），请先运行 tic ledger import 导入台账。")
    if version > SCHEMA_VERSION:
        raise LedgerError(f"台账“{db}”由较新版本的工具创建（结构版本 {version}），请升级 tic 后再使用。")
    if version < READABLE_FROM:
        raise LedgerError(f"台账“{db}”的结构版本为 {version}，需要升级后才能读取：运行任一写入台账的命令"
                          "（如 tic decide、tic ledger import）即可自动升级（升级前自动备份）。")


@contextlib.contextmanager
def open_ledger(
    config: Config, *, command: str, write: bool = True, path: Path | None = None, create: bool = True
) -> Iterator[Ledger]:
    """Open the ledger for one command (see the module docstring).

    ``write=True``: lock, back up, migrate, one transaction committed at the end of the
    block (rolled back on an exception), unlock. Nested calls in the same process reuse
    the open ledger inside a savepoint. ``write=False``: no lock, no backup; a missing
    ledger is a :class:`LedgerError`. ``create=False`` refuses to create a missing ledger
    even for writing.
    """
    db = Path(path or config.ledger_path)
    key = _key(db) if db.parent.exists() else None
    with _holds_guard:
        active = _holds.get(key).ledger if key and key in _holds else None  # type: ignore[union-attr]
    if active is not None:
        yield from _nested(active, command, write)
        return
    if not write or not create:
        if db.is_file() and db.stat().st_size == 0 and (holder := read_lock(db)) is not None:
            raise LedgerLockedError(locked_message(holder))  # being created by the holder: not yet written
        _refuse_lost_ledger(db)
        if not db.is_file():
            raise LedgerError(f"找不到台账文件“{db}”：请先运行 tic ledger import 导入台账，或用 --ledger 指定台账位置。")
    if not write:
        yield from _read_only(db, command, config)
        return
    _check_folder(db)
    _acquire(db, command)
    try:
        _refuse_lost_ledger(db)  # under the lock: a first ledger being created by another is not yet written
        hold = _holds[_key(db)]
        conn = _connect(db)
        ledger = Ledger(conn, db, command, config)
        try:
            backup_ledger(db, config.ledger.backups)
            conn.execute("BEGIN IMMEDIATE")
            upgraded_from = migrate(conn, db)
        except sqlite3.Error as exc:
            conn.close()
            raise _db_error(db, exc) from None
        except LedgerError:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            conn.close()
            raise
        hold.ledger = ledger
        if 0 < upgraded_from < SCHEMA_VERSION:
            ledger.audit("升级台账结构", f"结构版本 {upgraded_from} → {SCHEMA_VERSION}（升级前的台账已备份到“{BACKUP_DIR}”）")
        for holder in _stale_cleared:
            if holder.setdefault("audited", False):
                continue
            holder["audited"] = True
            ledger.audit("清除遗留锁", f"{holder.get('user')}（{holder.get('host')}）{holder.get('time')} 运行"
                                  f"“{holder.get('command')}”留下的锁，进程 {holder.get('pid')} 已不在运行")
        try:
            yield ledger
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise _db_error(db, exc) from exc
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise
        finally:
            hold.ledger = None
            conn.close()
    finally:
        _release(db)


def _nested(active: Ledger, command: str, write: bool) -> Iterator[Ledger]:
    outer = active.command
    name = f"nested_{secrets.token_hex(4)}"
    active.command = command if write else outer
    active.conn.execute(f"SAVEPOINT {name}")
    try:
        yield active
    except BaseException:
        active.conn.execute(f"ROLLBACK TO {name}")
        active.conn.execute(f"RELEASE {name}")
        raise
    else:
        active.conn.execute(f"RELEASE {name}")
    finally:
        active.command = outer


def _read_only(db: Path, command: str, config: Config) -> Iterator[Ledger]:
    conn = _connect_ro(db)
    try:
        try:
            conn.execute("BEGIN")
            _check_version(conn, db)
        except sqlite3.Error as exc:
            raise _db_error(db, exc) from None
        try:
            yield Ledger(conn, db, command, config)
        except sqlite3.Error as exc:
            raise _db_error(db, exc) from exc
        finally:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
    finally:
        conn.close()


def _connect_ro(db: Path) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(db, timeout=15, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA query_only = ON")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as exc:
        raise _db_error(db, exc) from None
    return conn


# --------------------------------------------------------------- evaluations


def _exact_total(entry: dict[str, Any]) -> str | None:
    raw = entry.get("total_exact")
    if raw is None:
        raw = entry.get("total")
    if raw is None or raw == "":
        return None
    try:
        value = Fraction(str(raw))
    except (ValueError, ZeroDivisionError):
        return str(raw)
    if "total_exact" in entry and entry["total_exact"] is not None:
        return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    return str(raw)


def _dimensions_json(entry: dict[str, Any], report: dict[str, Any]) -> str | None:
    """The center's dimension scores (exact, "p/q", when the report carries them: the rectification notice
    compares them with 60 % of the maximum, rules.md rounds only for display) and their maxima as JSON, in the
    order of the evaluation (Art. 34); None when it was not scored."""
    scores = entry.get("dimensions_exact") or entry.get("dimensions")
    if not isinstance(scores, dict) or not scores:
        return None
    maxima = (report.get("settings") or {}).get("dimensions") or {}
    return json.dumps({"scores": scores, "maxima": maxima}, ensure_ascii=False)


def record_evaluation(
    config: Config, report: dict[str, Any], source: Path | None = None, *, ledger_path: Path | None = None
) -> int:
    """Write the graded results of an evaluation report for ``config.year`` into ``evaluations``.

    Idempotent; centers missing from the ledger make a :class:`LedgerError` listing them and
    nothing is written. Returns the number of rows written or updated.
    """
    centers = report.get("centers")
    if not isinstance(centers, list):
        raise LedgerError("评估结果中没有中心名单（centers），无法登记到台账。")
    db = Path(ledger_path or config.ledger_path)
    with open_ledger(config, command="evaluate --record", path=db, create=False) as led:
        known = {r[0] for r in led.conn.execute("SELECT center_id FROM centers")}
        missing = [str(c.get("center_id")) for c in centers if c.get("center_id") not in known]
        if missing:
            raise LedgerError(f"评估结果中的中心{'、'.join(missing)}不在台账中，未登记任何评估结果；"
                              "请先导入台账或登记新认定中心。")
        year = config.year
        written = 0
        audits: list[tuple[str, str]] = []
        stamp = now_text()
        src_name = Path(source).name if source else None
        for entry in centers:
            cid = entry["center_id"]
            status = entry.get("status") or "参评"
            if status not in ("参评", "未参评", "中途退出", "缓评", "视同合格"):
                raise LedgerError(f"评估结果中{cid}的参评状态“{status}”无效，未登记任何评估结果。")
            grade = entry.get("grade")
            if status == "视同合格":
                grade = "合格"
            if grade not in (None, "优秀", "合格", "不合格"):
                raise LedgerError(f"评估结果中{cid}的等级“{grade}”无效，未登记任何评估结果。")
            prev = led.conn.execute(
                "SELECT grade, status FROM evaluations WHERE center_id = ? AND year < ?"
                " AND (grade IS NOT NULL OR status = '视同合格') ORDER BY year DESC LIMIT 1",
                (cid, year),
            ).fetchone()
            reeval = int(prev is not None and prev["status"] != "视同合格" and prev["grade"] == "不合格")
            total = _exact_total(entry)
            dims = _dimensions_json(entry, report)
            old = led.conn.execute("SELECT * FROM evaluations WHERE center_id = ? AND year = ?",
                                   (cid, year)).fetchone()
            new = (status, grade, reeval, total, dims)
            if old is not None and (old["status"], old["grade"], old["rectification_reeval"], old["total"],
                                    old["dimensions"]) == new:
                continue
            led.conn.execute(
                "INSERT INTO evaluations (center_id, year, status, grade, rectification_reeval, total, dimensions,"
                " source, recorded_at) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (center_id, year) DO UPDATE SET"
                " status=excluded.status, grade=excluded.grade, rectification_reeval=excluded.rectification_reeval,"
                " total=excluded.total, dimensions=excluded.dimensions, source=excluded.source,"
                " recorded_at=excluded.recorded_at",
                (cid, year, status, grade, reeval, total, dims, src_name, stamp),
            )
            written += 1
            what = f"{cid} {year}年评估：{status}" + (f"，{grade}" if grade else "") + ("（整改复评）" if reeval else "")
            if old is not None:
                was = f"{old['status']}" + (f"，{old['grade']}" if old["grade"] else "")
                audits.append(("更新评估记录", f"{what}（原为{was}）"))
            else:
                audits.append(("登记评估记录", what))
        led.audit_many(audits, input_file=source)
        return written


# ---------------------------------------------------------------- dispositions


@dataclass(frozen=True)
class Conflict:
    """A disposition whose letter is already issued, while the inputs now give another result."""

    center_id: str
    center_name: str
    doc_number: str
    kept: Disposition
    computed: Disposition

    def sentence(self) -> str:
        if self.kept.outcome == self.computed.outcome:  # the same outcome, other articles or reasons
            return (f"{self.center_id} {self.center_name}：已按“{OUTCOME_ZH[self.kept.outcome]}”发文（{self.doc_number}），"
                    f"按现有台账重新计算仍为“{OUTCOME_ZH[self.computed.outcome]}”，但依据或理由有变化"
                    f"（现为{articles_text(self.computed.rules) or '无适用条款'}），台账中保留原处置，未作更改；"
                    "如需按新的理由发文，请先作废原公文后重新印发（tic letters --reissue）。")
        return (f"{self.center_id} {self.center_name}：已按“{OUTCOME_ZH[self.kept.outcome]}”发文（{self.doc_number}），"
                f"但按现有台账重新计算为“{OUTCOME_ZH[self.computed.outcome]}”"
                f"（{articles_text(self.computed.rules) or '无适用条款'}），台账中保留原处置，未作更改；"
                "如需更改，请先作废原公文。")

    def to_dict(self) -> dict[str, Any]:
        return {"center_id": self.center_id, "center_name": self.center_name, "doc_number": self.doc_number,
                "kept": self.kept.to_dict(), "computed": self.computed.to_dict(), "message": self.sentence()}


@dataclass
class DispositionReport:
    """The result of ``tic decide`` for one cycle."""

    year: int
    reference_date: date
    dispositions: list[Disposition]
    conflicts: list[Conflict] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)  # what this run changed in the ledger
    unchanged: int = 0
    since: date | None = None  # events and report deadlines after this day count (the previous cycle's reference)
    since_recorded: bool = False  # the previous cycle's reference date as the ledger recorded it (else a year back)
    evaluated: bool = True  # the ledger holds evaluation results of this cycle's year
    missed_reeval: list[str] = field(default_factory=list)  # 不合格 last year, no record in this year's evaluation
    first_time: bool = False  # the cycle had no disposition in the ledger before this run

    def counts(self) -> dict[str, int]:
        out = {o: 0 for o in ("revoke", "retire", "rectify", "reward", "none")}
        for d in self.dispositions:
            out[d.outcome] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        """report.md § Dispositions."""
        return {
            "report": "dispositions",
            "schema_version": 1,
            "tool_version": __version__,
            "year": self.year,
            "reference_date": self.reference_date.isoformat(),
            "summary": {"centers": len(self.dispositions), **self.counts(),
                        "changed": len(self.changes), "conflicts": len(self.conflicts)},
            "centers": [d.to_dict() for d in self.dispositions],
            "conflicts": [c.to_dict() for c in self.conflicts],
        }

    def summary_lines(self) -> list[str]:
        """The Chinese summary printed by ``tic decide``."""
        c = self.counts()
        lines = [f"{self.year}年度处置决定（基准日期 {format_zh(self.reference_date)}）：共{len(self.dispositions)}个中心，"
                 f"撤销{c['revoke']}个、不再保留{c['retire']}个、限期整改{c['rectify']}个、奖励{c['reward']}个、"
                 f"无需处置{c['none']}个。"]
        if self.since is not None:
            basis = ("上一周期基准日期" if self.since_recorded
                     else "台账中没有上一周期处置时的基准日期（未处置过，或由此前的版本处置），按一年前推算")
            lines.append(f"  判定期间：{format_zh(self.since)}（{basis}）之后至{format_zh(self.reference_date)}"
                         "，其间的第三十八条事件和到期未按时报送的年度报告在本周期判定。")
        for d in self.dispositions:
            if d.outcome == "none":
                continue
            lines.append(f"  {OUTCOME_ZH[d.outcome]}  {d.center_id} {d.center_name}（{articles_text(d.rules)}）")
            for reason in d.reasons:
                lines.append(f"      - {reason}")
            if d.other_rules:
                lines.append(f"      （另适用{articles_text(d.other_rules)}，按“撤销＞不再保留＞整改＞奖励”的顺序不再另行处理）")
        for conflict in self.conflicts:
            lines.append("注意：" + conflict.sentence())
        for cid in self.missed_reeval:
            lines.append(f"注意：{cid} {self.year - 1}年评估不合格，按第三十七条应参加{self.year}年绩效评估，台账中没有它"
                         f"{self.year}年的评估记录；请核实，无故不参加评估的按第三十八条第（二）项处理（在评估名单中"
                         "登记“未参评”并记入台账）。")
        if not self.evaluated:
            lines.append(f"注意：台账中没有{self.year}年度的绩效评估结果，本次处置未涉及评估等级（第三十六至三十八条）；"
                         f"如本年度进行了评估，请先运行 tic evaluate 打分表.xlsx --record 登记后再运行 tic decide。")
        if self.changes:
            lines.append(f"本次写入台账{len(self.changes)}项变化：")
            lines.extend(f"  {x}" for x in self.changes)
        elif self.first_time:
            if not self.dispositions:
                lines.append("本周期没有需要作出处置决定的中心。")
            elif all(d.outcome == "none" for d in self.dispositions):
                lines.append("本周期首次作出处置决定，已写入台账（各中心均无需处置）。")
            else:
                lines.append("本周期首次作出处置决定，已写入台账。")
        else:
            lines.append("台账中的处置结果与上次相同，未作更改。")
        return lines


def load_records(
    led: Ledger,
) -> tuple[list[CenterState], list[EvaluationRecord], list[EventRecord], list[ReportRecord]]:
    """Every center, evaluation, event and annual report of the ledger as core records."""
    conn = led.conn
    centers = [CenterState(r["center_id"], r["name"], r["status"], r["status_cycle"], r["approved_year"])
               for r in conn.execute("SELECT center_id, name, status, status_cycle, approved_year FROM centers")]
    evals = [EvaluationRecord(r[0], r[1], r[2], r[3], bool(r[4]), r[5]) for r in conn.execute(
        "SELECT center_id, year, status, grade, rectification_reeval, total FROM evaluations")]
    events = [EventRecord(r[0], r[1], date.fromisoformat(r[2]), r[3], r[4]) for r in conn.execute(
        "SELECT center_id, rule, occurred_on, description, basis FROM events")]
    reports = [ReportRecord(r[0], r[1], date.fromisoformat(r[2]) if r[2] else None) for r in conn.execute(
        "SELECT center_id, year, submitted_on FROM annual_reports")]
    return centers, evals, events, reports


def _stored_disposition(row: sqlite3.Row, name: str) -> Disposition:
    return Disposition(row["center_id"], name, row["outcome"], tuple(json.loads(row["rules"])),
                       tuple(json.loads(row["reasons"])))


def decide_cycle(config: Config, *, ledger_path: Path | None = None) -> DispositionReport:
    """rules.md part D for ``config.year``: compute, write to the ledger, keep what letters already announced."""
    db = Path(ledger_path or config.ledger_path)
    year = config.year
    with open_ledger(config, command="decide", path=db, create=False) as led:
        centers, evals, events, reports = load_records(led)
        previous = led.conn.execute("SELECT reference_date FROM cycles WHERE cycle_year = ?", (year - 1,)).fetchone()
        previous_reference = date.fromisoformat(previous[0]) if previous is not None else None
        computed = decide(centers, evals, events, reports, config, previous_reference)
        recorded = led.conn.execute("SELECT reference_date FROM cycles WHERE cycle_year = ?", (year,)).fetchone()
        cycle_audit = None
        if recorded is None or recorded[0] != config.reference_date.isoformat():
            cycle_audit = ("记录周期基准日期", f"{year}年度：{config.reference_date.isoformat()}")
            led.conn.execute("INSERT INTO cycles (cycle_year, reference_date, decided_at) VALUES (?,?,?) ON CONFLICT"
                             " (cycle_year) DO UPDATE SET reference_date=excluded.reference_date,"
                             " decided_at=excluded.decided_at", (year, config.reference_date.isoformat(), now_text()))
        by_id = {c.center_id: c for c in centers}
        stored = {r["center_id"]: r for r in led.conn.execute(
            "SELECT * FROM dispositions WHERE cycle_year = ?", (year,))}
        letters: dict[str, sqlite3.Row] = {}
        for r in led.conn.execute(
            "SELECT * FROM letters WHERE cycle_year = ? AND center_id IS NOT NULL AND superseded_by IS NULL"
            " AND kind IN ('reward','rectification','revocation','retire') ORDER BY id", (year,)):
            letters[r["center_id"]] = r
        result: list[Disposition] = []
        conflicts: list[Conflict] = []
        changes: list[str] = []
        audits: list[tuple[str, str]] = [cycle_audit] if cycle_audit else []
        unchanged = 0
        stamp = now_text()
        status_date = config.letter_date.isoformat()
        for d in computed:
            center = by_id[d.center_id]
            old = stored.get(d.center_id)
            old_d = _stored_disposition(old, center.name) if old is not None else None
            letter = letters.get(d.center_id)
            same = old_d is not None and (old_d.outcome, old_d.rules, old_d.reasons) == (d.outcome, d.rules, d.reasons)
            # a ledger rebuilt from its export has the letters but not the dispositions: a letter of the outcome
            # computed now is that disposition, recorded as decided (it was reported as a conflict with itself)
            as_issued = old_d is None and letter is not None and OUTCOME_OF_LETTER_KIND[letter["kind"]] == d.outcome
            if letter is not None and not same and not as_issued:
                kept = old_d or Disposition(d.center_id, center.name, OUTCOME_OF_LETTER_KIND[letter["kind"]])
                conflicts.append(Conflict(d.center_id, center.name, letter["doc_number"], kept, d))
                result.append(kept)
                detail = (f"{d.center_id}：已发{letter['doc_number']}，重新计算为{d.outcome}（{'、'.join(d.rules)}），"
                          "保留原处置")
                if led.conn.execute("SELECT 1 FROM audit WHERE action = '处置与已发公文不一致' AND detail = ?",
                                    (detail,)).fetchone() is None:  # once, not on every decide while it stands
                    audits.append(("处置与已发公文不一致", detail))
                continue
            result.append(d)
            if same:
                unchanged += 1
            else:
                led.conn.execute(
                    "INSERT INTO dispositions (center_id, cycle_year, outcome, rules, reasons, decided_at)"
                    " VALUES (?,?,?,?,?,?) ON CONFLICT (center_id, cycle_year) DO UPDATE SET outcome=excluded.outcome,"
                    " rules=excluded.rules, reasons=excluded.reasons, decided_at=excluded.decided_at",
                    (d.center_id, year, d.outcome, json.dumps(list(d.rules), ensure_ascii=False),
                     json.dumps(list(d.reasons), ensure_ascii=False), stamp),
                )
                if old_d is None:
                    if d.outcome != "none":
                        changes.append(f"{d.center_id}：{OUTCOME_ZH[d.outcome]}（{articles_text(d.rules)}）")
                    audits.append(("写入处置", f"{d.center_id} {year}年：{d.outcome} {'、'.join(d.rules)}"))
                else:
                    changes.append(f"{d.center_id}：处置由“{OUTCOME_ZH[old_d.outcome]}”"
                                   f"（{articles_text(old_d.rules) or '无'}）改为“{OUTCOME_ZH[d.outcome]}”"
                                   f"（{articles_text(d.rules) or '无'}）")
                    audits.append(("更新处置", f"{d.center_id} {year}年：{old_d.outcome}→{d.outcome} "
                                   f"{'、'.join(d.rules)}"))
            # the center's status follows its disposition of this cycle
            target = STATUS_OF_OUTCOME.get(d.outcome)
            if target is not None and center.status != target:
                led.conn.execute("UPDATE centers SET status = ?, status_cycle = ?, status_date = ?, updated_at = ?"
                                 " WHERE center_id = ?", (target, year, status_date, stamp, d.center_id))
                changes.append(f"{d.center_id}：状态由“{center.status}”改为“{target}”（{year}年度处置）")
                audits.append(("状态变更", f"{d.center_id}：{center.status}→{target}（{year}年度）"))
            elif (target is None and center.status in (REVOKED, RETIRED) and center.status_cycle == year
                  and old_d is not None and old_d.outcome in STATUS_OF_OUTCOME):
                led.conn.execute("UPDATE centers SET status = ?, status_cycle = NULL, status_date = NULL,"
                                 " updated_at = ? WHERE center_id = ?", (RUNNING, stamp, d.center_id))
                changes.append(f"{d.center_id}：本周期原定“{OUTCOME_ZH[old_d.outcome]}”已不再成立，状态恢复为“运行”")
                audits.append(("状态变更", f"{d.center_id}：{center.status}→运行（{year}年度处置重新计算）"))
        if audits:  # a run that changed nothing leaves the ledger as it was (and its backups, see backup_ledger)
            led.audit_many(audits)
        evaluated = led.conn.execute("SELECT 1 FROM evaluations WHERE year = ? LIMIT 1", (year,)).fetchone() is not None
        return DispositionReport(year, config.reference_date, result, conflicts, changes, unchanged,
                                 judged_since(config, previous_reference), previous_reference is not None, evaluated,
                                 missed_reevaluations(centers, evals, year), first_time=not stored)


# ------------------------------------------------------------------- timeline


@dataclass(frozen=True)
class TimelineEntry:
    when: str  # 'YYYY-MM-DD', or 'YYYY' for a year-only fact
    kind: str  # 认定 / 登记 / 年报 / 评估 / 事件 / 变更 / 处置 / 公文 / 状态
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"when": self.when, "kind": self.kind, "text": self.text}


@dataclass
class Timeline:
    center: dict[str, Any]
    entries: list[TimelineEntry]

    def lines(self) -> list[str]:
        c = self.center
        partners = "、".join(json.loads(c["partners"])) or "无"
        head = [
            f"{c['center_id']} {c['name']}（{c['status']}）",
            f"  英文名称关键词：{c['name_en'] or '—'}",
            f"  依托单位：{c['lead_name']}（{c['lead_uscc'] or '—'}）；共建单位：{partners}",
            f"  县（市、区）：{c['district'] or '—'}；重点领域：{c['key_field'] or '—'}；研发方向：{c['rd_direction'] or '—'}",
            f"  中心主任：{c['director'] or '—'}；注册地：{c['reg_place'] or '—'}；"
            f"认定：{c['approved_year'] or '—'}年 {c['approval_doc'] or ''}".rstrip(),
            "时间线：",
        ]
        return head + [f"  {e.when:<10}  {e.kind}  {e.text}" for e in self.entries]

    def to_dict(self) -> dict[str, Any]:
        center = dict(self.center)
        for key in ("partners", "partner_usccs"):
            center[key] = json.loads(center[key])
        return {"center": center, "timeline": [e.to_dict() for e in self.entries]}


def center_timeline(config: Config, center_id: str, *, ledger_path: Path | None = None) -> Timeline:
    """A center's whole history in date order (``tic ledger show``)."""
    from toolkit.adapters.letter_plan import KIND_ZH  # the letters' Chinese names (imported here: no cycle)

    db = Path(ledger_path or config.ledger_path)
    with open_ledger(config, command="ledger show", write=False, path=db) as led:
        cid = center_id.strip().upper()
        row = led.center(cid)
        if row is None:
            raise LedgerError(f"台账中没有编号为“{center_id}”的中心。")
        entries: list[TimelineEntry] = []
        q = led.conn.execute
        if row["approved_year"]:
            entries.append(TimelineEntry(str(row["approved_year"]), "认定",
                                         f"认定为市级技术创新中心{('（' + row['approval_doc'] + '）') if row['approval_doc'] else ''}"))
        for r in q("SELECT * FROM registrations WHERE center_id = ?", (cid,)):
            entries.append(TimelineEntry(r["registered_at"][:10], "登记",
                                         f"由{r['source_file'] or '城市汇总表'}第{r['source_row']}行登记（{r['cycle_year']}年度批准建设）"))
        for r in q("SELECT * FROM evaluations WHERE center_id = ? ORDER BY year", (cid,)):
            text = f"{r['year']}年绩效评估：{r['status']}"
            if r["grade"] and r["status"] != "视同合格":
                total = format_total(r["total"])
                text += f"，{('总分' + total + '分，') if total else ''}{r['grade']}"
            if r["rectification_reeval"]:
                text += "（整改复评）"
            entries.append(TimelineEntry(str(r["year"]), "评估", text))
        for r in q("SELECT * FROM annual_reports WHERE center_id = ? ORDER BY year", (cid,)):
            deadline = config.annual.deadline(r["year"])
            if r["submitted_on"]:
                sub = date.fromisoformat(r["submitted_on"])
                late = "，逾期" if sub > deadline else ""
                entries.append(TimelineEntry(r["submitted_on"], "年报", f"报送{r['year']}年度报告{late}"))
            else:
                entries.append(TimelineEntry(deadline.isoformat(), "年报", f"{r['year']}年度报告未报送"))
        for r in q("SELECT * FROM events WHERE center_id = ? ORDER BY occurred_on", (cid,)):
            text = f"{r['article']}（{rule_info(r['rule'])['title']}）"
            if r["description"]:
                text += f"：{r['description']}"
            if r["basis"]:
                text += f"（依据：{r['basis']}）"
            entries.append(TimelineEntry(r["occurred_on"], "事件", text))
        for r in q("SELECT * FROM changes WHERE center_id = ? ORDER BY effective_on, id", (cid,)):
            text = f"{CHANGE_FIELDS[r['field']]}由“{r['old_value'] or '—'}”变更为“{r['new_value']}”"
            if r["description"]:
                text += f"（{r['description']}）"
            entries.append(TimelineEntry(r["effective_on"], "变更", text))
        for r in q("SELECT * FROM dispositions WHERE center_id = ? ORDER BY cycle_year", (cid,)):
            rules = json.loads(r["rules"])
            entries.append(TimelineEntry(str(r["cycle_year"]), "处置",
                                         f"{r['cycle_year']}年度处置：{OUTCOME_ZH[r['outcome']]}"
                                         + (f"（{'、'.join(rules)}）" if rules else "")))
        for r in q("SELECT * FROM letters WHERE center_id = ? ORDER BY issued_at, id", (cid,)):
            sup = "（已作废）" if r["superseded_by"] is not None else ""
            kind = KIND_ZH.get(r["kind"], r["kind"])
            entries.append(TimelineEntry(r["issued_at"][:10], "公文", f"{kind} {r['doc_number']}{sup}"))
        if row["status"] != RUNNING:
            when = row["status_date"] or (str(row["status_cycle"]) if row["status_cycle"] else "—")
            entries.append(TimelineEntry(when, "状态",
                                         f"状态为“{row['status']}”" + (f"（{row['status_cycle']}年度）" if row["status_cycle"] else "")))
        entries.sort(key=lambda e: (e.when[:4], e.when))
        return Timeline(dict(row), entries)


# -------------------------------------------------------------------- changes


@dataclass(frozen=True)
class ChangeResult:
    change_id: int
    center_id: str
    field: str
    old_value: str | None
    new_value: str
    effective_on: date
    created: bool
    completed: bool = False  # an earlier record of it got its value before the change (--from)

    def sentence(self) -> str:
        what = CHANGE_FIELDS[self.field]
        if self.completed:
            return (f"该变更已登记过（编号 {self.change_id}），已补登变更前的内容“{self.old_value}”，"
                    "变更批复将写明由什么变更为什么。")
        if not self.created:
            return f"该变更已登记过（编号 {self.change_id}），未重复登记。"
        hint = ("台账中没有变更前的内容，变更批复要写明由什么变更为什么：请用同样的命令加 --from “变更前的内容” 补登。"
                if not self.old_value and self.field != "other" else "")
        return (f"已登记{self.center_id}的{what}变更（编号 {self.change_id}）：由“{self.old_value or '—'}”变更为"
                f"“{self.new_value}”，自{format_zh(self.effective_on)}起生效（第三十条）。{hint}")

    def to_dict(self) -> dict[str, Any]:
        return {"change_id": self.change_id, "center_id": self.center_id, "field": self.field,
                "old_value": self.old_value, "new_value": self.new_value,
                "effective_on": self.effective_on.isoformat(), "created": self.created}


def record_change(
    config: Config,
    center_id: str,
    field_name: str,
    new_value: str,
    effective_on: date,
    note: str = "",
    *,
    old_value: str | None = None,
    ledger_path: Path | None = None,
) -> ChangeResult:
    """Record an approved Art. 30 change; the center's current value follows (name, reg_place, director).
    ``old_value`` (``--from``): the value before the change, for a ledger that has none (the letter says from
    what to what); it completes an earlier record of the same change that lacks it."""
    if field_name not in CHANGE_FIELDS:
        raise LedgerError(f"变更事项“{field_name}”无效，应为 name（名称）、reg_place（注册地）、director（主任）或 other（其他）。")
    new_value = " ".join(str(new_value).split())
    if not new_value:
        raise LedgerError("变更后的内容为空，未登记。")
    given_old = " ".join(str(old_value).split()) if old_value is not None else ""
    doc_year = config.letter_date.year
    if effective_on.year != doc_year:  # its 变更批复 would carry this cycle's number year and a date of another
        raise LedgerError(f"批准日期{effective_on.isoformat()}不在本周期的发文年度（{doc_year}年）内，未登记；请用"
                          f"{effective_on.year}年度周期的配置文件登记（--config），变更批复随该周期印发。")
    db = Path(ledger_path or config.ledger_path)
    with open_ledger(config, command="ledger change", path=db, create=False) as led:
        cid = center_id.strip().upper()
        row = led.center(cid)
        if row is None:
            raise LedgerError(f"台账中没有编号为“{center_id}”的中心，未登记变更。")
        done = led.conn.execute(
            "SELECT * FROM changes WHERE center_id = ? AND field = ? AND effective_on = ? AND new_value = ?",
            (cid, field_name, effective_on.isoformat(), new_value)).fetchone()
        if done is not None:
            if given_old and not done["old_value"]:
                led.conn.execute("UPDATE changes SET old_value = ? WHERE id = ?", (given_old, done["id"]))
                led.audit("补登变更前内容", f"{cid} {CHANGE_FIELDS[field_name]}（变更编号 {done['id']}）：{given_old}")
                return ChangeResult(done["id"], cid, field_name, given_old, new_value, effective_on, False, True)
            return ChangeResult(done["id"], cid, field_name, done["old_value"], new_value, effective_on, False)
        if row["status"] != RUNNING:
            raise LedgerError(f"{cid}的状态为“{row['status']}”，不能再登记变更（第三十条适用于运行期间）。")
        if field_name == "name":
            if not (new_value.startswith("石家庄市") and new_value.endswith("技术创新中心")
                    and len(new_value) > len("石家庄市技术创新中心")):
                raise LedgerError(f"新名称“{new_value}”不符合“石家庄市×××技术创新中心”的格式（第十条第（七）项、第三十九条），未登记。")
            clash = led.conn.execute("SELECT center_id FROM centers WHERE name = ? AND center_id <> ?",
                                     (new_value, cid)).fetchone()
            if clash is not None:
                raise LedgerError(f"新名称“{new_value}”与台账中的{clash[0]}重名（第三十九条），未登记。")
        old = row[field_name] if field_name != "other" else None
        if field_name != "other" and old == new_value:
            raise LedgerError(f"{cid}的{CHANGE_FIELDS[field_name]}已是“{new_value}”，无需变更。")
        if old and given_old and " ".join(old.split()) != given_old:
            raise LedgerError(f"台账中{cid}的{CHANGE_FIELDS[field_name]}为“{old}”，与 --from 给出的“{given_old}”不一致，"
                              "未登记变更。")
        old = old or given_old or None
        stamp = now_text()
        cur = led.conn.execute(
            "INSERT INTO changes (center_id, field, old_value, new_value, effective_on, description, cycle_year,"
            " recorded_at) VALUES (?,?,?,?,?,?,?,?)",
            (cid, field_name, old, new_value, effective_on.isoformat(), note.strip(), config.year, stamp))
        if field_name != "other":
            led.conn.execute(f"UPDATE centers SET {field_name} = ?, updated_at = ? WHERE center_id = ?",
                             (new_value, stamp, cid))
        led.audit("登记变更", f"{cid} {CHANGE_FIELDS[field_name]}：{old or '—'} → {new_value}，"
                  f"{effective_on.isoformat()}起生效" + (f"；{note.strip()}" if note.strip() else ""))
        return ChangeResult(int(cur.lastrowid or 0), cid, field_name, old, new_value, effective_on, True)
