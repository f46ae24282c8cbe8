"""Atomic writes: write beside the target, then rename, so the share never holds half a file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from toolkit.errors import OutputError, os_reason


def describe_os_error(path: Path, exc: OSError) -> str:
    """One Chinese sentence for an OS error on ``path``."""
    if isinstance(exc, PermissionError):
        return f"无法写入“{path}”：文件可能正在 Excel/WPS 中打开或没有写权限，请关闭该文件后重试。"
    if getattr(exc, "errno", None) == 28:
        return f"无法写入“{path}”：磁盘空间不足。"
    return f"无法写入“{path}”：{os_reason(exc)}。"


@contextlib.contextmanager
def atomic_path(target: Path | str) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target`` in one rename."""
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".~tic-", suffix=target.suffix, dir=target.parent)
        os.close(fd)
    except OSError as exc:
        raise OutputError(describe_os_error(target, exc)) from exc
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp makes 0600 files: give the output the permissions of any new file (colleagues on the share
        # must be able to read it); on Windows this only clears the read-only flag
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, target)
    except OSError as exc:
        raise OutputError(describe_os_error(target, exc)) from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()  # read once: os.umask() can only be read by setting it


def write_bytes(target: Path | str, data: bytes) -> None:
    """Atomically write ``data`` to ``target``."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_text(target: Path | str, text: str, encoding: str = "utf-8") -> None:
    """Atomically write ``text`` to ``target`` (UTF-8, ``\\n`` line ends kept as written)."""
    write_bytes(target, text.encode(encoding))


def write_with(target: Path | str, writer: Callable[[Path], None]) -> None:
    """Atomically produce ``target`` with ``writer(tmp_path)`` (e.g. ``workbook.save``)."""
    with atomic_path(target) as tmp:
        writer(tmp)


def open_atomic(target: Path | str, mode: str = "wb") -> contextlib.AbstractContextManager[IO]:
    """Context manager giving a file object whose content replaces ``target`` on close."""

    @contextlib.contextmanager
    def _cm() -> Iterator[IO]:
        with atomic_path(target) as tmp, open(tmp, mode) as fh:  # noqa: PTH123
            yield fh

    return _cm()
