"""File safety: decide whether a file may be handed to openpyxl, before openpyxl sees it.

Districts send whatever they have: an old ``.xls``, a CSV renamed ``.xlsx``, a
password-protected workbook, Excel's ``~$`` lock file, a Word document, half a
file copied from the network drive, and — once in a while — something hostile.
:func:`check_workbook_file` looks at the bytes (never the file name: content
decides) and raises :class:`~toolkit.errors.InputFileError` with one Chinese
sentence and a stable ``reason`` code; :func:`open_workbook` runs that check and
then openpyxl, turning anything openpyxl, :mod:`zipfile` or defusedxml raises
into the same kind of error. No traceback ever reaches the clerk.

Reason codes (stable; tests and the JSON report use them)::

    missing      no such file                 directory   a folder was given
    permission   no right to read / held open exclusively by another program
    lock-file    Excel's / WPS's "~$name.xlsx" owner file (or LibreOffice's ".~lock.name#")
    empty        0 bytes                      too-large   over MAX_FILE_BYTES
    xls          legacy Excel 97-2003 (OLE2 with a Workbook stream)
    encrypted    password-protected workbook (OLE2 with an EncryptedPackage stream)
    csv          delimited text (CSV/TSV) whatever its name
    not-xlsx     anything else that is not a workbook: PDF, Word (.doc/.docx), .xlsb, .ods, HTML
                 or XML "xls" exported by web systems, a plain ZIP archive, a pipe, random bytes
    truncated    a ZIP whose central directory or compressed data is damaged or incomplete
    zip-bomb     declared sizes / compression ratios in the ZIP directory beyond the limits below
    xml-bomb     a DTD or entity declaration in any XML part (billion laughs and friends)
    corrupt      a ZIP that is not a valid workbook: no [Content_Types].xml, no workbook part,
                 a sheet part missing, XML that does not parse
    unreadable   any other operating-system error while reading (e.g. the network drive went away)

How the limits are enforced (measured with openpyxl 3.1.5, Python 3.11):

* Everything about sizes is decided from the ZIP directory *before* anything is
  decompressed: the end-of-central-directory record is read first (so a
  directory of millions of entries is refused without building it), then every
  member's declared uncompressed size and ratio. :mod:`zipfile` never yields
  more than the declared size of a member (it stops there and fails the
  CRC), so the declared sizes bound what openpyxl can ever decompress. A 1 MB
  file declaring 1 GiB is refused in under a millisecond with ~130 KB of
  allocations; openpyxl alone spends ~20 s and ~4 GB on it (dependencies.md).
* Real workbooks compress their sheet XML 6-25 times (100,000 rows × 30
  columns: 115 MB of XML in a 19 MB file); deflate cannot exceed ~1032 and
  bombs sit near that. Hence a ratio limit of 200, applied to each member over
  :data:`RATIO_CHECK_FROM_BYTES` and to the archive as a whole.
* XML bombs: every ``.xml``/``.rels``/``.vml`` part is read only up to its root
  element (a few hundred bytes normally) and refused if its prolog holds a
  ``<!DOCTYPE``/``<!ENTITY`` (no part of a real xlsx has one). Behind that,
  openpyxl itself is safe: it parses sheets and shared strings with
  defusedxml's ``iterparse`` when defusedxml is installed
  (``openpyxl.xml.DEFUSEDXML`` is True here, see :data:`OPENPYXL_USES_DEFUSEDXML`;
  an entity declaration raises ``EntitiesForbidden``), and the small parts
  (workbook, styles, properties) with lxml and ``resolve_entities=False`` —
  lxml is installed here with docxtpl; without it, defusedxml again. Our own parsing of
  ``[Content_Types].xml``, the workbook part and its relationships uses
  defusedxml directly. The up-front check does not depend on either, so it
  also holds when ``OPENPYXL_DEFUSEDXML=False`` is set for speed.
* openpyxl receives the already-open, already-checked file handle, never the
  path: what was checked is what is read, and the file name's extension does
  not matter (a real xlsx named ``.xls`` opens; openpyxl alone refuses it).

Read-only workbooks parse sheets lazily, so a damaged sheet may only show up
while iterating rows: wrap that iteration in :func:`reading_errors` to get the
same one-sentence errors.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import posixpath
import stat
import struct
import sys
import warnings
import weakref
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree

from toolkit.errors import InputFileError

__all__ = [
    "MAX_CENTRAL_DIRECTORY_BYTES",
    "MAX_COMPRESSION_RATIO",
    "MAX_FILE_BYTES",
    "MAX_INDEX_PART_BYTES",
    "MAX_MEMBERS",
    "MAX_MEMBER_BYTES",
    "MAX_UNCOMPRESSED_BYTES",
    "OPENPYXL_USES_DEFUSEDXML",  # noqa: F822 - made when asked for (module __getattr__)
    "PROLOG_SCAN_BYTES",
    "RATIO_CHECK_FROM_BYTES",
    "READ_ERRORS",
    "check_workbook_file",
    "input_error_from",
    "is_lock_file",
    "message_for",
    "open_workbook",
    "reading_errors",
    "sheet_xml_members",
]

MAX_FILE_BYTES = 200 * 1024**2
"""Largest file accepted at all (200 MiB; the 100,000-row benchmark workbook is 19 MB)."""

MAX_UNCOMPRESSED_BYTES = 1024**3
"""Largest total of the members' declared uncompressed sizes (1 GiB)."""

MAX_MEMBER_BYTES = 256 * 1024**2
"""Largest declared uncompressed size of one member (256 MiB; the benchmark's sheet XML is 115 MB)."""

MAX_COMPRESSION_RATIO = 200
"""Largest uncompressed/compressed ratio, per member and for the whole archive (real sheets: 6-25)."""

RATIO_CHECK_FROM_BYTES = 16 * 1024**2
"""The ratio limit applies to members (and archives) declaring at least this much (16 MiB): small,
highly repetitive parts such as styles.xml may legitimately compress several hundred times."""

MAX_MEMBERS = 10_000
"""Most entries in the ZIP directory (a workbook with 1,000 sheets has about 2,000)."""

MAX_CENTRAL_DIRECTORY_BYTES = 16 * 1024**2
"""Largest ZIP central directory (10,000 entries need about 1 MB)."""

MAX_INDEX_PART_BYTES = 16 * 1024**2
"""Largest [Content_Types].xml, workbook part or workbook relationships part parsed here in full."""

PROLOG_SCAN_BYTES = 64 * 1024
"""How far into an XML part the root element must start; a longer prolog counts as an XML bomb."""

# OPENPYXL_USES_DEFUSEDXML (see __getattr__): True when openpyxl parses sheets and shared strings with
# defusedxml (it is installed and ``OPENPYXL_DEFUSEDXML`` is not set to False). openpyxl is imported only
# where it reads a workbook: its import takes ~80 ms that the calamine path and most commands do without.


def __getattr__(name: str) -> Any:
    if name == "OPENPYXL_USES_DEFUSEDXML":
        import openpyxl.xml

        return bool(openpyxl.xml.DEFUSEDXML)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_HEAD_BYTES = 64 * 1024
_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_EOCD64 = b"PK\x06\x06"
_XML_SUFFIXES = (".xml", ".rels", ".vml")

# Content types of the workbook part, in the order openpyxl looks for them (reader/excel.py).
_WORKBOOK_TYPES = (
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
)

READ_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    EOFError,
    zlib.error,
    zipfile.BadZipFile,
    ValueError,  # includes defusedxml's DefusedXmlException and UnicodeDecodeError
    SyntaxError,  # xml.etree ParseError and lxml's XMLSyntaxError
    KeyError,
    TypeError,
    IndexError,
    NotImplementedError,  # zipfile: a compression method it does not support (a file's fault, not a stub)
    RuntimeError,
    MemoryError,
)
"""What reading a workbook can raise because of the file (for :func:`reading_errors`), with openpyxl's
``InvalidFileException`` once openpyxl is imported (:func:`_read_errors`; nothing raises it before)."""


def _read_errors() -> tuple[type[BaseException], ...]:
    exceptions = sys.modules.get("openpyxl.utils.exceptions")
    return READ_ERRORS if exceptions is None else (*READ_ERRORS, exceptions.InvalidFileException)


# --------------------------------------------------------------------------- messages

_MESSAGES = {
    "missing": "找不到文件“{name}”，请检查文件名和所在文件夹是否正确。",
    "directory": "“{name}”是一个文件夹而不是 Excel 工作簿，请指定其中的 .xlsx 文件。",
    "permission": "无法读取文件“{name}”：没有读取权限，或文件正被其他程序独占打开，请关闭该文件或检查权限后重试。",
    "lock-file": (
        "文件“{name}”是 Excel/WPS 打开工作簿时生成的临时锁定文件而不是工作簿，真正的工作簿是同一文件夹中去掉“~$”的“{real}”，"
        "它可能正在 Excel 中打开，请关闭 Excel 后提交“{real}”。"
    ),
    "lock-file-libreoffice": (
        "文件“{name}”是 LibreOffice 打开工作簿时生成的临时锁定文件而不是工作簿，真正的工作簿是同一文件夹中的“{real}”，"
        "它可能正在被打开，请关闭后提交“{real}”。"
    ),
    "empty": "文件“{name}”是空文件（0 字节），可能在保存或复制时出错，请重新保存或重新复制后再提交。",
    "too-large": "文件“{name}”大小为 {size}，超过了 {limit} 的上限，请删除无关的工作表、图片或附件后再提交。",
    "xls": "文件“{name}”是旧版 Excel 97-2003 格式（.xls），请在 Excel 或 WPS 中打开并另存为 .xlsx 后再提交。",
    "encrypted": (
        "文件“{name}”设置了打开密码（已加密），请在 Excel 中打开后通过“文件→信息→保护工作簿”删除密码并重新保存后再提交。"
    ),
    "csv": "文件“{name}”是逗号或制表符分隔的文本（CSV/TSV）而不是 Excel 工作簿，请在 Excel 或 WPS 中打开并另存为 .xlsx 后再提交。",
    "not-xlsx": "文件“{name}”不是 Excel 工作簿（.xlsx/.xlsm），请提交用 Excel 或 WPS 保存的 .xlsx 文件。",
    "truncated": (
        "文件“{name}”不完整或已损坏（{detail}），可能是从网络盘复制时中断，请重新复制或从原始来源重新获取该文件后再提交。"
    ),
    "zip-bomb": "文件“{name}”解压后的内容异常巨大（{detail}），疑似压缩炸弹，已拒绝读取。",
    "xml-bomb": "文件“{name}”内部的 {detail} 含有 DTD 或实体声明，疑似 XML 炸弹，已拒绝读取，请在 Excel 中另存为新的 .xlsx 后再提交。",
    "corrupt": "文件“{name}”已损坏，不是有效的 Excel 工作簿（{detail}），请在 Excel 中打开并修复后另存为 .xlsx 再提交。",
    "unreadable": "读取文件“{name}”时出错（{detail}），请检查网络盘连接或重新复制后再试。",
}

# Specific sentences for files that are something else (reason "not-xlsx").
_NOT_XLSX = {
    "word": "文件“{name}”是 Word 文档而不是 Excel 工作簿，请提交 .xlsx 格式的表格。",
    "powerpoint": "文件“{name}”是 PowerPoint 演示文稿而不是 Excel 工作簿，请提交 .xlsx 格式的表格。",
    "pdf": "文件“{name}”是 PDF 文件而不是 Excel 工作簿，请提交 .xlsx 格式的原始表格。",
    "image": "文件“{name}”是图片而不是 Excel 工作簿，请提交 .xlsx 格式的原始表格。",
    "archive": "文件“{name}”是压缩包而不是 Excel 工作簿，请解压后提交其中的 .xlsx 文件。",
    "xlsb": "文件“{name}”是 Excel 二进制工作簿（.xlsb），请在 Excel 中打开并另存为 .xlsx 后再提交。",
    "ods": "文件“{name}”是 OpenDocument 格式（如 .ods），请在 Excel 或 WPS 中打开并另存为 .xlsx 后再提交。",
    "html": (
        "文件“{name}”是网页（HTML）或 XML 格式导出的表格而不是真正的 Excel 工作簿，"
        "请在 Excel 或 WPS 中打开并另存为 .xlsx 后再提交。"
    ),
    "text": "文件“{name}”是纯文本文件而不是 Excel 工作簿，请提交 .xlsx 格式的表格。",
    "special": "“{name}”不是普通文件（可能是管道或设备），无法作为 Excel 工作簿读取。",
}


def _size_text(n: int) -> str:
    """``1536`` -> ``"1.5 KB"``, ``200 * 1024**2`` -> ``"200 MB"`` (binary units, as Windows shows them)."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} 字节"


def message_for(reason: str, path: str | Path, **details: Any) -> str:
    """The one Chinese sentence for ``reason`` about ``path`` (only the file name is shown).

    ``details`` fill the placeholders: ``detail`` (truncated, zip-bomb, xml-bomb, corrupt, unreadable),
    ``size`` (too-large, bytes), ``kind`` (not-xlsx: word, pdf, html …).
    """
    name = Path(path).name
    if reason == "not-xlsx" and details.get("kind") in _NOT_XLSX:
        template = _NOT_XLSX[details["kind"]]
    elif reason == "lock-file" and name.startswith(".~lock."):
        template = _MESSAGES["lock-file-libreoffice"]
    else:
        template = _MESSAGES.get(reason, _MESSAGES["corrupt"])
    fields: dict[str, Any] = {"detail": "内容无法识别", **details, "name": name}
    if reason == "lock-file":
        fields["real"] = _lock_owner_name(name)
    if reason == "too-large":
        fields["size"] = _size_text(int(details.get("size", 0)))
        fields["limit"] = _size_text(MAX_FILE_BYTES)
    return template.format(**fields)


def _fail(path: Path, reason: str, **details: Any) -> InputFileError:
    return InputFileError(path, message_for(reason, path, **details), reason=reason)


# --------------------------------------------------------------------------- names


def is_lock_file(path: str | Path) -> bool:
    """True for an owner file that Excel/WPS (``~$name.xlsx``) or LibreOffice (``.~lock.name#``) keeps
    beside a workbook while it is open; decided by the name alone."""
    name = Path(path).name
    return name.startswith("~$") or (name.startswith(".~lock.") and name.endswith("#"))


def _lock_owner_name(name: str) -> str:
    if name.startswith("~$"):
        return name[2:]
    if name.startswith(".~lock.") and name.endswith("#"):
        return name[len(".~lock.") : -1]
    return name


# --------------------------------------------------------------------------- opening


def _open_regular(path: Path) -> BinaryIO:
    """Open ``path`` for reading after the name and file-type checks; never blocks on a pipe."""
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise _fail(path, "missing") from exc
    except PermissionError as exc:
        raise _fail(path, "lock-file" if is_lock_file(path) else "permission") from exc
    except OSError as exc:
        raise _fail(path, "unreadable", detail=_os_detail(exc)) from exc
    if stat.S_ISDIR(st.st_mode):
        raise _fail(path, "directory")
    if is_lock_file(path):
        raise _fail(path, "lock-file")
    if not stat.S_ISREG(st.st_mode):
        raise _fail(path, "not-xlsx", kind="special")
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError as exc:
        raise _fail(path, "missing") from exc
    except PermissionError as exc:
        raise _fail(path, "permission") from exc
    except OSError as exc:
        raise _fail(path, "unreadable", detail=_os_detail(exc)) from exc
    fh = os.fdopen(fd, "rb")
    if not stat.S_ISREG(os.fstat(fd).st_mode):  # replaced between stat and open
        fh.close()
        raise _fail(path, "not-xlsx", kind="special")
    return fh


def _os_detail(exc: OSError) -> str:
    return f"系统错误 {exc.errno}" if exc.errno is not None else "系统错误"


def _checked_handle(path: Path) -> tuple[BinaryIO, dict[str, str]]:
    """Run every check; return the open handle at offset 0 and the worksheet members (caller closes)."""
    fh = _open_regular(path)
    try:
        members = _check_content(path, fh)
        fh.seek(0)
    except InputFileError:
        fh.close()
        raise
    except PermissionError as exc:
        fh.close()
        raise _fail(path, "permission") from exc
    except OSError as exc:
        fh.close()
        raise _fail(path, "unreadable", detail=_os_detail(exc)) from exc
    except BaseException:
        fh.close()
        raise
    return fh, members


def check_workbook_file(path: str | Path) -> None:
    """Raise :class:`InputFileError` (one Chinese sentence naming the file, ``reason`` a code from the
    module docstring) if ``path`` cannot be a readable xlsx/xlsm; return None otherwise.

    Reads the ZIP directory, the first bytes of each XML part and the small index parts; takes a few
    milliseconds and little memory whatever the file declares.
    """
    fh, _ = _checked_handle(Path(path))
    fh.close()


def sheet_xml_members(path: str | Path) -> dict[str, str]:
    """Worksheet name -> ZIP member name (e.g. ``"申报汇总" -> "xl/worksheets/sheet1.xml"``), in workbook
    order, from the workbook part and its relationships (parsed with defusedxml).

    Runs :func:`check_workbook_file` first. Chartsheets and other non-worksheet sheets are left out.
    """
    fh, members = _checked_handle(Path(path))
    fh.close()
    return members


def open_workbook(
    path: str | Path, *, read_only: bool = True, keep_vba: bool = False, data_only: bool = True
) -> Any:
    """:func:`check_workbook_file`, then ``openpyxl.load_workbook(..., data_only=True)`` on the checked
    handle; every exception becomes :class:`InputFileError` with one Chinese sentence.

    A read-only workbook keeps the file open: call ``wb.close()`` when done (it closes the file too; if
    forgotten, the file is closed when the workbook is garbage-collected). openpyxl's own UserWarnings
    about unsupported features (data-validation extensions and the like) are silenced.
    """
    import openpyxl

    path = Path(path)
    fh, _ = _checked_handle(path)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl(\.|$)")
            wb = openpyxl.load_workbook(fh, read_only=read_only, data_only=data_only, keep_vba=keep_vba)
    except Exception as exc:
        fh.close()
        raise input_error_from(path, exc) from exc
    except BaseException:
        fh.close()
        raise
    if read_only:
        _close_with(wb, fh)
    else:
        fh.close()
    return wb


def _close_with(wb: Any, fh: BinaryIO) -> None:
    """Make ``wb.close()`` (or the workbook's garbage collection) close ``fh`` as well."""
    finalizer = weakref.finalize(wb, fh.close)
    wb_ref = weakref.ref(wb)

    def close() -> None:
        target = wb_ref()
        try:
            if target is not None:
                type(target).close(target)
        finally:
            finalizer()

    wb.close = close


# --------------------------------------------------------------------------- errors while reading


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def input_error_from(path: str | Path, exc: BaseException) -> InputFileError:
    """Turn an exception raised while reading ``path`` (openpyxl, zipfile, zlib, defusedxml, lxml, OS)
    into an :class:`InputFileError` with one Chinese sentence; an InputFileError is returned as is."""
    path = Path(path)
    if isinstance(exc, InputFileError):
        return exc
    chain = list(_chain(exc))
    if any(isinstance(e, defusedxml.DefusedXmlException) for e in chain):
        return _fail(path, "xml-bomb", detail="XML 部件")
    if any(isinstance(e, MemoryError) for e in chain):
        return _fail(path, "zip-bomb", detail="读取时内存不足")
    if any(isinstance(e, PermissionError) for e in chain):
        return _fail(path, "permission")
    if any(isinstance(e, (zipfile.BadZipFile, zlib.error, EOFError)) for e in chain):
        return _fail(path, "truncated", detail="压缩数据校验失败")
    os_errors = [e for e in chain if isinstance(e, OSError)]
    if os_errors:
        return _fail(path, "unreadable", detail=_os_detail(os_errors[0]))
    if any(isinstance(e, SyntaxError) for e in chain):
        return _fail(path, "corrupt", detail="内部 XML 格式错误")
    return _fail(path, "corrupt", detail="内部结构不符合 xlsx 规范")


@contextlib.contextmanager
def reading_errors(path: str | Path) -> Iterator[None]:
    """Around the iteration of a read-only workbook's rows: re-raise :data:`READ_ERRORS` as
    :class:`InputFileError` (``from`` the original, so ``--debug`` still shows it).

    Wrap only the openpyxl calls: a bug in the caller's own code would otherwise read as a bad file.
    """
    try:
        yield
    except InputFileError:
        raise
    except Exception as exc:
        if not isinstance(exc, _read_errors()):
            raise
        raise input_error_from(path, exc) from exc


# --------------------------------------------------------------------------- content


def _check_content(path: Path, fh: BinaryIO) -> dict[str, str]:
    size = os.fstat(fh.fileno()).st_size
    if size == 0:
        raise _fail(path, "empty")
    if size > MAX_FILE_BYTES:
        raise _fail(path, "too-large", size=size)
    head = fh.read(_HEAD_BYTES)
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return _check_zip(path, fh, size)
    if head.startswith(_OLE2_MAGIC):
        raise _ole2_error(path, fh, size)
    raise _other_error(path, head)


# ZIP ------------------------------------------------------------------------------------


def _directory_extent(path: Path, fh: BinaryIO, size: int) -> tuple[int, int, int]:
    """(entries, central directory size, offset) from the end records, read without zipfile."""
    tail_len = min(size, 22 + 0xFFFF + 20)
    fh.seek(size - tail_len)
    tail = fh.read(tail_len)
    at = tail.rfind(_EOCD)
    while at >= 0 and len(tail) - at < 22:
        at = tail.rfind(_EOCD, 0, at)
    if at < 0:
        raise _fail(path, "truncated", detail="找不到 ZIP 目录")
    _, _, _, entries, cd_size, cd_offset, _ = struct.unpack("<HHHHIIH", tail[at + 4 : at + 22])
    eocd_pos = size - tail_len + at
    if entries == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF:
        loc = at - 20
        if loc < 0 or tail[loc : loc + 4] != _EOCD64_LOCATOR:
            raise _fail(path, "truncated", detail="ZIP64 目录记录缺失")
        (eocd64_pos,) = struct.unpack("<Q", tail[loc + 8 : loc + 16])
        if eocd64_pos + 56 > size:
            raise _fail(path, "truncated", detail="ZIP64 目录记录缺失")
        fh.seek(eocd64_pos)
        rec = fh.read(56)
        if rec[:4] != _EOCD64:
            raise _fail(path, "truncated", detail="ZIP64 目录记录损坏")
        entries, cd_size, cd_offset = struct.unpack("<QQQ", rec[32:56])
        eocd_pos = eocd64_pos
    if entries > MAX_MEMBERS:
        raise _fail(path, "zip-bomb", detail=f"压缩包目录声明了 {entries} 个成员，上限为 {MAX_MEMBERS} 个")
    if cd_size > MAX_CENTRAL_DIRECTORY_BYTES:
        raise _fail(path, "zip-bomb", detail=f"压缩包目录声明为 {_size_text(cd_size)}")
    if cd_offset + cd_size > eocd_pos:
        raise _fail(path, "truncated", detail="ZIP 目录超出文件末尾")
    return entries, cd_size, cd_offset


def _check_zip(path: Path, fh: BinaryIO, size: int) -> dict[str, str]:
    entries, _, cd_offset = _directory_extent(path, fh, size)
    if entries == 0:
        raise _fail(path, "corrupt", detail="压缩包中没有任何内容")
    fh.seek(0)
    try:
        zf = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, EOFError, struct.error, ValueError) as exc:
        raise _fail(path, "truncated", detail="ZIP 目录损坏") from exc
    except OSError as exc:
        if isinstance(exc, PermissionError):
            raise
        raise _fail(path, "truncated", detail="ZIP 目录损坏") from exc
    with zf:
        infos = zf.infolist()
        _check_sizes(path, infos, cd_offset)
        names = {info.filename.replace("\\", "/").lower(): info.filename for info in infos}
        _refuse_other_zip(path, zf, names)
        for info in infos:
            if info.filename.lower().endswith(_XML_SUFFIXES) or info.filename == "[Content_Types].xml":
                _check_prolog(path, zf, info)
        return _worksheets(path, zf, names)


def _check_sizes(path: Path, infos: list[zipfile.ZipInfo], cd_offset: int) -> None:
    total = compressed = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise _fail(path, "encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _fail(path, "corrupt", detail=f"{info.filename} 使用了 Excel 不支持的压缩方式")
        if info.header_offset + info.compress_size > cd_offset:
            raise _fail(path, "truncated", detail=f"{info.filename} 的数据超出文件范围")
        declared = info.file_size
        if declared > MAX_MEMBER_BYTES:
            raise _fail(
                path,
                "zip-bomb",
                detail=f"{info.filename} 声明解压后为 {_size_text(declared)}，单个部件上限为 {_size_text(MAX_MEMBER_BYTES)}",
            )
        if declared >= RATIO_CHECK_FROM_BYTES and declared > MAX_COMPRESSION_RATIO * max(
            info.compress_size, 1
        ):
            ratio = declared // max(info.compress_size, 1)
            raise _fail(path, "zip-bomb", detail=f"{info.filename} 的压缩比约为 {ratio}:1")
        total += declared
        compressed += info.compress_size
        if total > MAX_UNCOMPRESSED_BYTES:
            raise _fail(
                path,
                "zip-bomb",
                detail=f"声明解压后合计超过 {_size_text(MAX_UNCOMPRESSED_BYTES)}",
            )
    if total >= RATIO_CHECK_FROM_BYTES and total > MAX_COMPRESSION_RATIO * max(compressed, 1):
        raise _fail(path, "zip-bomb", detail=f"整体压缩比约为 {total // max(compressed, 1)}:1")


def _refuse_other_zip(path: Path, zf: zipfile.ZipFile, names: dict[str, str]) -> None:
    """Name the thing when the ZIP is some other kind of package."""
    keys = names.keys()
    if "[content_types].xml" in keys:
        if "xl/workbook.bin" in keys:
            raise _fail(path, "not-xlsx", kind="xlsb")
        if any(k.startswith("word/") for k in keys) and not any(k.startswith("xl/") for k in keys):
            raise _fail(path, "not-xlsx", kind="word")
        if any(k.startswith("ppt/") for k in keys) and not any(k.startswith("xl/") for k in keys):
            raise _fail(path, "not-xlsx", kind="powerpoint")
        return
    if "mimetype" in keys and "meta-inf/manifest.xml" in keys:
        raise _fail(path, "not-xlsx", kind="ods")
    if any(k.startswith("xl/") for k in keys):
        raise _fail(path, "corrupt", detail="缺少 [Content_Types].xml")
    raise _fail(path, "not-xlsx", kind="archive")


def _open_member(path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Any:
    try:
        return zf.open(info)
    except (zipfile.BadZipFile, EOFError, struct.error, zlib.error) as exc:
        raise _fail(path, "truncated", detail=f"{info.filename} 的数据损坏") from exc
    except (NotImplementedError, RuntimeError) as exc:  # zipfile: unsupported compression, encrypted member
        raise _fail(path, "corrupt", detail=f"{info.filename} 无法解压") from exc


def _check_prolog(path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Refuse an XML part that declares a DTD/entities before its root element."""
    raw = b""
    with _open_member(path, zf, info) as src:
        while len(raw) < PROLOG_SCAN_BYTES:
            try:
                chunk = src.read(4096)
            except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
                raise _fail(path, "truncated", detail=f"{info.filename} 的压缩数据损坏") from exc
            raw += chunk
            verdict = _prolog_verdict(raw, at_end=not chunk)
            if verdict is not None:
                if verdict:
                    raise _fail(path, "xml-bomb", detail=info.filename)
                return
    raise _fail(path, "xml-bomb", detail=info.filename)


def _prolog_verdict(raw: bytes, *, at_end: bool) -> bool | None:
    """True: a ``<!`` declaration (DOCTYPE, ENTITY …) precedes the root element; False: the root element
    (or something that is not XML) comes first; None: need more bytes."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or raw[:2] in (b"<\x00", b"\x00<"):
        encoding = "utf-16-be" if raw.startswith(codecs.BOM_UTF16_BE) or raw[:1] == b"\x00" else "utf-16-le"
        text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(raw, final=at_end)
    else:
        text = raw.decode("latin-1")  # markup characters are ASCII in UTF-8 as well
    pos, n = 0, len(text)
    while True:
        while pos < n and text[pos] in " \t\r\n\ufeff\u00ef\u00bb\u00bf":
            pos += 1
        if pos >= n:
            return False if at_end else None
        if text[pos] != "<":
            return False
        if n - pos < 2:
            return False if at_end else None
        if text[pos + 1] == "?":
            end = text.find("?>", pos + 2)
            if end < 0:
                return False if at_end else None
            pos = end + 2
            continue
        if text[pos + 1] != "!":
            return False
        if n - pos < 4:
            return False if at_end else None
        if text.startswith("<!--", pos):
            end = text.find("-->", pos + 4)
            if end < 0:
                return False if at_end else None
            pos = end + 3
            continue
        return True


def _parse_part(path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Element:
    if info.file_size > MAX_INDEX_PART_BYTES:
        raise _fail(path, "zip-bomb", detail=f"{info.filename} 声明解压后为 {_size_text(info.file_size)}")
    with _open_member(path, zf, info) as src:
        try:
            data = src.read()
        except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
            raise _fail(path, "truncated", detail=f"{info.filename} 的压缩数据损坏") from exc
    try:
        return defusedxml.ElementTree.fromstring(data)
    except defusedxml.DefusedXmlException as exc:
        raise _fail(path, "xml-bomb", detail=info.filename) from exc
    except (ParseError, ValueError) as exc:
        raise _fail(path, "corrupt", detail=f"{info.filename} 的 XML 格式错误") from exc


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _resolve(base_dir: str, target: str) -> str:
    target = target.replace("\\", "/")
    joined = target.lstrip("/") if target.startswith("/") else posixpath.join(base_dir, target)
    return posixpath.normpath(joined).lstrip("/")


def _worksheets(path: Path, zf: zipfile.ZipFile, names: dict[str, str]) -> dict[str, str]:
    """Validate the index parts the way openpyxl reads them; return worksheet name -> member."""
    types = _parse_part(path, zf, zf.getinfo(names["[content_types].xml"]))
    overrides = [
        (e.get("PartName", ""), e.get("ContentType", "")) for e in types.iter() if _local(e.tag) == "Override"
    ]
    defaults = {e.get("ContentType", "") for e in types.iter() if _local(e.tag) == "Default"}
    part = next((name for ct in _WORKBOOK_TYPES for name, t in overrides if t == ct), None)
    if part is None and defaults & set(_WORKBOOK_TYPES):
        part = "/xl/workbook.xml"
    if part is None:
        found = {t for _, t in overrides}
        if any("wordprocessingml" in t for t in found):
            raise _fail(path, "not-xlsx", kind="word")
        if any("presentationml" in t for t in found):
            raise _fail(path, "not-xlsx", kind="powerpoint")
        raise _fail(path, "corrupt", detail="[Content_Types].xml 中没有工作簿部件")
    wb_member = names.get(_resolve("", part).lower())
    if wb_member is None:
        raise _fail(path, "corrupt", detail=f"缺少 {_resolve('', part)}")
    wb_dir, wb_file = posixpath.split(wb_member)
    rels_member = names.get(posixpath.join(wb_dir, "_rels", wb_file + ".rels").lower())
    if rels_member is None:
        raise _fail(path, "corrupt", detail=f"缺少 {posixpath.join(wb_dir, '_rels', wb_file + '.rels')}")
    workbook = _parse_part(path, zf, zf.getinfo(wb_member))
    rels = {
        e.get("Id"): e
        for e in _parse_part(path, zf, zf.getinfo(rels_member)).iter()
        if _local(e.tag) == "Relationship"
    }
    sheets: list[tuple[str, str | None]] = []
    for e in workbook.iter():
        if _local(e.tag) == "sheet":
            rid = next((v for k, v in e.attrib.items() if k.endswith("}id") and "relationships" in k), None)
            sheets.append((e.get("name", ""), rid))
    if not sheets:
        raise _fail(path, "corrupt", detail="工作簿中没有任何工作表")
    out: dict[str, str] = {}
    for sheet_name, rid in sheets:
        rel = rels.get(rid)
        if rel is None or rel.get("TargetMode") == "External":
            raise _fail(path, "corrupt", detail=f"工作表“{sheet_name}”没有对应的部件")
        target = _resolve(wb_dir, rel.get("Target", ""))
        member = names.get(target.lower())
        if member is None:
            raise _fail(path, "corrupt", detail=f"缺少工作表“{sheet_name}”的部件 {target}")
        if rel.get("Type", "").endswith("/worksheet"):
            out[sheet_name] = member
    return out


# OLE2 -----------------------------------------------------------------------------------


def _ole2_error(path: Path, fh: BinaryIO, size: int) -> InputFileError:
    names = _ole2_stream_names(fh, size)
    if names is None:  # directory not readable by this small parser: look for the stream name
        return _fail(path, "encrypted" if _contains(fh, _ENCRYPTED_PACKAGE) else "xls")
    lowered = {n.lower() for n in names}
    if "encryptedpackage" in lowered:
        return _fail(path, "encrypted")
    if lowered & {"workbook", "book"}:
        return _fail(path, "xls")
    if "worddocument" in lowered:
        return _fail(path, "not-xlsx", kind="word")
    if "powerpoint document" in lowered:
        return _fail(path, "not-xlsx", kind="powerpoint")
    return _fail(path, "not-xlsx")


def _ole2_stream_names(fh: BinaryIO, size: int) -> list[str] | None:
    """Names in the directory of an OLE2 compound file (MS-CFB), or None when it cannot be followed."""
    fh.seek(0)
    header = fh.read(512)
    if len(header) < 512:
        return None
    (shift,) = struct.unpack_from("<H", header, 0x1E)
    if shift not in (9, 12):
        return None
    sector = 1 << shift
    n_fat, first_dir = struct.unpack_from("<II", header, 0x2C)
    first_difat, n_difat = struct.unpack_from("<II", header, 0x44)
    max_sector = size // sector + 1
    fat_sectors = [s for s in struct.unpack_from("<109I", header, 0x4C) if s < max_sector]
    difat, hops = first_difat, 0
    while difat < max_sector and hops <= n_difat and len(fat_sectors) < n_fat:
        fh.seek((difat + 1) * sector)
        block = fh.read(sector)
        if len(block) < sector:
            return None
        entries = struct.unpack(f"<{sector // 4}I", block)
        fat_sectors.extend(s for s in entries[:-1] if s < max_sector)
        difat, hops = entries[-1], hops + 1
    per_fat = sector // 4

    def next_sector(s: int) -> int:
        index = s // per_fat
        if index >= len(fat_sectors):
            return 0xFFFFFFFE
        fh.seek((fat_sectors[index] + 1) * sector + (s % per_fat) * 4)
        data = fh.read(4)
        return struct.unpack("<I", data)[0] if len(data) == 4 else 0xFFFFFFFE

    names: list[str] = []
    seen: set[int] = set()
    current = first_dir
    while current < max_sector and current not in seen:
        seen.add(current)
        fh.seek((current + 1) * sector)
        block = fh.read(sector)
        if len(block) < sector:
            return None
        for off in range(0, sector, 128):
            (length,) = struct.unpack_from("<H", block, off + 0x40)
            kind = block[off + 0x42]
            if kind in (1, 2, 5) and 2 <= length <= 64:
                names.append(block[off : off + length - 2].decode("utf-16-le", errors="replace"))
        current = next_sector(current)
    return names or None


def _contains(fh: BinaryIO, needle: bytes) -> bool:
    fh.seek(0)
    carry = b""
    while chunk := fh.read(1024 * 1024):
        if needle in carry + chunk:
            return True
        carry = chunk[-len(needle) :]
    return False


# anything else ------------------------------------------------------------------------

_MAGIC_KINDS = (
    (b"%PDF", "pdf"),
    (b"\x89PNG", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"GIF8", "image"),
    (b"Rar!", "archive"),
    (b"7z\xbc\xaf\x27\x1c", "archive"),
    (b"\x1f\x8b", "archive"),
    (b"{\\rtf", "word"),
)


def _other_error(path: Path, head: bytes) -> InputFileError:
    for magic, kind in _MAGIC_KINDS:
        if head.startswith(magic):
            return _fail(path, "not-xlsx", kind=kind)
    text = _as_text(head)
    if text is None:
        return _fail(path, "not-xlsx")
    start = text.lstrip("\ufeff \t\r\n").lower()
    markup = start[:4096]
    if start.startswith("<") and (
        any(tag in markup for tag in ("<html", "<table", "<!doctype html", "<head", "<meta"))
        or start.startswith("<?xml")
    ):
        return _fail(path, "not-xlsx", kind="html")
    if start.startswith("mime-version:") or "content-type: multipart/related" in markup:
        return _fail(path, "not-xlsx", kind="html")  # "单个文件网页" (.mht) saved as .xls
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    if any(sep in line for line in lines for sep in (",", "\t", ";", "|")):
        return _fail(path, "csv")
    return _fail(path, "not-xlsx", kind="text")


def _as_text(head: bytes) -> str | None:
    """``head`` decoded when it looks like text (UTF-8, UTF-16 with BOM or GB18030), else None."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    elif head.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    else:
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            text = codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for ch in text if ch < " " and ch not in "\t\r\n\f")
        if "\x00" not in text and controls * 100 <= len(text):
            return text
    return None
