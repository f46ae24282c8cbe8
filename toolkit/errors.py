"""Fatal problems: the small exception hierarchy of the toolkit.

Findings (a row breaks a rule) are data, see :mod:`toolkit.core.findings`.
Exceptions mean *stop*: the input cannot be processed at all.

    TicError                      base; ``str(exc)`` is one Chinese sentence for the clerk
    ├── ConfigError               tic.toml is missing, malformed or has a bad key
    ├── InputFileError            a file cannot be read as the form it should be
    │   (``path``, ``reason``: a short code such as ``encrypted``, ``xls``, ``zip-bomb``)
    ├── OutputError               an output cannot be written (held open by Excel, disk full …)
    ├── LedgerError               the ledger cannot be used
    │   └── LedgerLockedError     another user holds the ledger lock
    └── TemplateError             a Word template is broken or needs a field the data lacks

The CLI turns every ``TicError`` into ``错误：<message>`` and exit status 2.
"""

from __future__ import annotations

from pathlib import Path


class TicError(Exception):
    """Base of every fatal toolkit error; the message is one Chinese sentence."""


class ConfigError(TicError):
    """The configuration cannot be used; the message names the key."""


class InputFileError(TicError):
    """A file cannot be read; ``reason`` is a stable short code for tests and JSON."""

    def __init__(self, path: str | Path, message: str, reason: str = "unreadable") -> None:
        super().__init__(message)
        self.path = Path(path)
        self.reason = reason


class OutputError(TicError):
    """An output file cannot be written."""


class LedgerError(TicError):
    """The ledger database cannot be used."""


class LedgerLockedError(LedgerError):
    """Another process holds the ledger lock."""


class TemplateError(TicError):
    """A Word template cannot be rendered."""


def os_reason(exc: OSError) -> str:
    """What an operating-system error means, in Chinese (never the English ``strerror``)."""
    import errno

    if getattr(exc, "winerror", None) in (206, 111):  # ERROR_FILENAME_EXCED_RANGE, ERROR_BUFFER_OVERFLOW
        return "文件名或路径太长，请缩短文件名或换一个较短的文件夹"
    reasons = {
        errno.ENOENT: "文件或文件夹不存在",
        errno.EACCES: "没有权限，或文件正被其他程序打开",
        errno.EPERM: "没有权限，或文件正被其他程序打开",
        errno.EISDIR: "已有同名的文件夹",
        errno.ENOTDIR: "路径中有一段是文件而不是文件夹",
        errno.ENAMETOOLONG: "文件名或路径太长，请缩短文件名或换一个较短的文件夹",
        errno.ENOSPC: "磁盘空间不足",
        errno.EROFS: "磁盘或文件夹是只读的",
        errno.EEXIST: "已有同名的文件",
        errno.EINVAL: "文件名中有系统不允许的字符",
        errno.EIO: "读写出错，网络盘可能已断开",
    }
    reason = reasons.get(exc.errno) if exc.errno is not None else None
    return reason or (f"系统错误 {exc.errno}" if exc.errno is not None else "系统错误")
