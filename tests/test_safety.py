"""The file-safety layer: every bad file a district can send gets one sentence and a stable reason.

Each bad file is built for real in ``tmp_path``: an OLE2 compound file written sector by sector, a
docx made with python-docx, a 1 GiB zip bomb made of genuine deflate data, a billion-laughs sheet
inside an otherwise valid workbook, a FIFO, an unreadable file (as another user when running as root).
"""

from __future__ import annotations

import gc
import json
import os
import stat
import struct
import tempfile
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from toolkit.adapters import safety
from toolkit.adapters.safety import (
    MAX_FILE_BYTES,
    check_workbook_file,
    input_error_from,
    is_lock_file,
    message_for,
    open_workbook,
    reading_errors,
    sheet_xml_members,
)
from toolkit.errors import InputFileError

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
BILLION_LAUGHS = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n' for i in range(1, 10)
    )
    + f']>\n<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is>'
    "</c></row></sheetData></worksheet>"
).encode()


# ----------------------------------------------------------------------------- builders


def make_xlsx(path: Path, rows: int = 20) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "申报汇总"
    ws.append(["中心编号", "中心名称", "依托单位", "上年度销售收入(万元)"])
    for i in range(rows):
        ws.append([f"TIC-{i:04d}", f"石家庄某技术创新中心{i}", f"某某科技有限公司{i}", 2000 + i])
    wb.create_sheet("说明")["A1"] = "填表说明：按模板填写"
    wb.save(path)
    return path


def rewrite_zip(src: Path, dst: Path, replace: dict[str, bytes | None]) -> Path:
    """Copy the workbook ``src`` to ``dst`` with some members replaced (bytes) or dropped (None)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        assert set(replace) <= set(zin.namelist()), "the test must replace members that exist"
        for info in zin.infolist():
            if info.filename in replace:
                data = replace[info.filename]
                if data is not None:
                    zout.writestr(info.filename, data)
            else:
                zout.writestr(info, zin.read(info))
    return dst


def raw_zip(path: Path, members: list[tuple[str, bytes, int, int]]) -> Path:
    """Write a ZIP by hand: (name, raw deflate payload, crc32, declared uncompressed size) per member."""
    out, central = bytearray(), bytearray()
    for name, payload, crc, usize in members:
        encoded = name.encode()
        offset = len(out)
        out += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(payload), usize, len(encoded), 0
        )
        out += encoded + payload
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            20,
            20,
            0,
            8,
            0,
            0x21,
            crc,
            len(payload),
            usize,
            len(encoded),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        central += encoded
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(out), 0)
    path.write_bytes(bytes(out + central + eocd))
    return path


def deflate(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def zeros_deflate(mib: int) -> tuple[bytes, int]:
    """A genuine raw deflate stream of ``mib`` MiB of zeros, built from one flushed MiB repeated
    (after a full flush every MiB compresses to the same bytes), with the CRC of the whole."""
    block = bytes(1024 * 1024)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    repeated = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    last = c.compress(block) + c.flush()
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(block, crc)
    return repeated * (mib - 1) + last, crc


def bomb_workbook(tmp_path: Path, name: str, sheets: dict[str, int]) -> Path:
    """A valid workbook whose sheet members are replaced by ``{member: MiB of zeros}``."""
    good = make_xlsx(tmp_path / f"good-for-{name}", rows=2)
    members = []
    with zipfile.ZipFile(good) as zf:
        for info in zf.infolist():
            if info.filename in sheets:
                payload, crc = zeros_deflate(sheets[info.filename])
                members.append((info.filename, payload, crc, sheets[info.filename] * 1024 * 1024))
            else:
                data = zf.read(info)
                members.append((info.filename, deflate(data), zlib.crc32(data), len(data)))
    return raw_zip(tmp_path / name, members)


def cfb(path: Path, entries: list[tuple[str, int]]) -> Path:
    """A minimal OLE2 compound file (MS-CFB v3, 512-byte sectors): header, one FAT sector, one directory
    sector holding the root and ``entries`` (name, type: 1 storage, 2 stream) as a right-leaning chain."""
    free, end, fat_sect, nostream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIII", header, 0x2C, 1, 1, 0, 4096)  # FAT sectors, first dir sector, txn, cutoff
    struct.pack_into("<IIII", header, 0x3C, end, 0, end, 0)  # mini FAT, DIFAT: none
    struct.pack_into("<109I", header, 0x4C, 0, *([free] * 108))
    fat = struct.pack("<128I", fat_sect, end, *([free] * 126))
    directory = bytearray()
    all_entries = [("Root Entry", 5), *entries]
    assert len(all_entries) <= 4
    for i, (name, kind) in enumerate(all_entries):
        entry = bytearray(128)
        raw = name.encode("utf-16-le") + b"\0\0"
        entry[: len(raw)] = raw
        struct.pack_into("<HBB", entry, 0x40, len(raw), kind, 1)
        right = i + 1 if 0 < i < len(all_entries) - 1 else nostream
        child = 1 if i == 0 and len(all_entries) > 1 else nostream
        struct.pack_into("<III", entry, 0x44, nostream, right, child)
        struct.pack_into("<II", entry, 0x74, end, 0)
        directory += entry
    while len(directory) < 512:
        empty = bytearray(128)
        struct.pack_into("<III", empty, 0x44, nostream, nostream, nostream)
        directory += empty
    path.write_bytes(bytes(header) + fat + bytes(directory))
    return path


# ----------------------------------------------------------------------------- assertions


def refused(path: Path, check: Callable[[Path], object] = check_workbook_file) -> InputFileError:
    """Run ``check`` on ``path``; it must raise InputFileError in under a second with a clean sentence."""
    start = time.perf_counter()
    with pytest.raises(InputFileError) as info:
        check(path)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, f"{path.name}: {elapsed:.3f} s"
    assert_one_sentence(str(info.value), path.name)
    assert info.value.path == path
    return info.value


def assert_one_sentence(message: str, name: str) -> None:
    assert f"“{name}”" in message
    assert message.endswith("。") and message.count("。") == 1, message
    assert "\n" not in message
    for leak in ("Traceback", "Error", "Exception", 'File "', str(Path(tempfile.gettempdir()))):
        assert leak not in message, message


def peak_memory(fn: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        with pytest.raises(InputFileError):
            fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# ----------------------------------------------------------------------------- valid files


def test_valid_xlsx_opens_read_only_and_lists_sheet_members(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "长安区.xlsx")
    start = time.perf_counter()
    assert check_workbook_file(path) is None
    assert time.perf_counter() - start < 1.0
    assert sheet_xml_members(path) == {
        "申报汇总": "xl/worksheets/sheet1.xml",
        "说明": "xl/worksheets/sheet2.xml",
    }
    wb = open_workbook(path)
    try:
        assert wb.read_only
        assert next(wb["申报汇总"].iter_rows(min_row=2, max_row=2, values_only=True))[0] == "TIC-0000"
    finally:
        wb.close()


def test_content_decides_not_the_name(tmp_path: Path) -> None:
    xlsx = make_xlsx(tmp_path / "a.xlsx")
    for name in ("桥西区.xls", "无扩展名", "报表.XLSX.bak"):
        misnamed = tmp_path / name
        misnamed.write_bytes(xlsx.read_bytes())
        wb = open_workbook(misnamed, read_only=False)
        assert wb["申报汇总"]["A2"].value == "TIC-0000"


def test_xlsm_keeps_its_macros_when_asked(tmp_path: Path) -> None:
    """An .xlsm as Excel lays it out: macro-enabled content type, vbaProject.bin and its relationship."""
    xlsx = make_xlsx(tmp_path / "a.xlsx")
    vba = cfb(tmp_path / "vbaProject.bin", [("VBA", 1), ("PROJECT", 2)]).read_bytes()
    with zipfile.ZipFile(xlsx) as zf:
        types = zf.read("[Content_Types].xml").decode()
        rels = zf.read("xl/_rels/workbook.xml.rels").decode()
    types = (
        types.replace("spreadsheetml.sheet.main+xml", "sheet.macroEnabled.main+xml")
        .replace("openxmlformats-officedocument.sheet.macroEnabled", "ms-excel.sheet.macroEnabled")
        .replace(
            "<Default ",
            '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/><Default ',
            1,
        )
    )
    rels = rels.replace(
        "</Relationships>",
        '<Relationship Id="rIdVba" Target="vbaProject.bin" '
        'Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject"/></Relationships>',
    )
    path = rewrite_zip(
        xlsx,
        tmp_path / "汇总.xlsm",
        {"[Content_Types].xml": types.encode(), "xl/_rels/workbook.xml.rels": rels.encode()},
    )
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("xl/vbaProject.bin", vba)
    assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
    check_workbook_file(path)
    opened = open_workbook(path, read_only=False, keep_vba=True)
    assert opened.vba_archive.read("xl/vbaProject.bin") == vba
    assert opened["申报汇总"]["A2"].value == "TIC-0000"
    resaved = tmp_path / "另存.xlsm"
    opened.save(resaved)
    with zipfile.ZipFile(resaved) as zf:
        assert zf.read("xl/vbaProject.bin") == vba  # macros survive a round trip


def test_read_only_workbook_closes_the_file(tmp_path: Path) -> None:
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc to count open files")
    path = make_xlsx(tmp_path / "a.xlsx")
    gc.collect()  # files an earlier test left to the collector would otherwise close while we count
    before = len(os.listdir("/proc/self/fd"))
    wb = open_workbook(path)
    list(wb["申报汇总"].values)
    assert len(os.listdir("/proc/self/fd")) == before + 1
    wb.close()
    assert len(os.listdir("/proc/self/fd")) == before
    forgotten = open_workbook(path)  # never closed: garbage collection closes the file, no ResourceWarning
    del forgotten
    gc.collect()
    assert len(os.listdir("/proc/self/fd")) == before


def test_openpyxl_parses_with_defusedxml() -> None:
    assert openpyxl.xml.DEFUSEDXML is True
    assert safety.OPENPYXL_USES_DEFUSEDXML is True


# ----------------------------------------------------------------------------- not a workbook at all


def test_missing_file(tmp_path: Path) -> None:
    assert refused(tmp_path / "不存在.xlsx").reason == "missing"
    assert refused(tmp_path / "no-dir" / "x.xlsx").reason == "missing"


def test_directory(tmp_path: Path) -> None:
    (tmp_path / "新华区.xlsx").mkdir()
    assert refused(tmp_path / "新华区.xlsx").reason == "directory"


def test_excel_lock_file(tmp_path: Path) -> None:
    owner = tmp_path / "~$长安区.xlsx"
    owner.write_bytes(b"\x06zhangsan" + b"\x00" * 156)  # Excel writes 165 bytes: user name, padding
    err = refused(owner)
    assert err.reason == "lock-file"
    assert "锁定文件" in str(err) and "“长安区.xlsx”" in str(err) and "~$" in str(err)
    assert "正在 Excel 中打开" in str(err)
    assert is_lock_file(owner) and not is_lock_file(tmp_path / "长安区.xlsx")


def test_libreoffice_lock_file(tmp_path: Path) -> None:
    owner = tmp_path / ".~lock.长安区.xlsx#"
    owner.write_text(",zhangsan,host,27.11.2026 16:00,file:///home/zhangsan/.config/libreoffice/4;")
    err = refused(owner)
    assert err.reason == "lock-file" and "“长安区.xlsx”" in str(err)


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "空.xlsx").touch()
    assert refused(tmp_path / "空.xlsx").reason == "empty"


def test_too_large_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "巨大.xlsx"
    with path.open("wb") as fh:  # sparse: costs no disk
        fh.truncate(MAX_FILE_BYTES + 1)
    err = refused(path)
    assert err.reason == "too-large" and "200 MB" in str(err)


def test_legacy_xls(tmp_path: Path) -> None:
    path = cfb(tmp_path / "长安区.xls", [("Workbook", 2), ("\x05SummaryInformation", 2)])
    err = refused(path)
    assert err.reason == "xls"
    assert str(err) == (
        "文件“长安区.xls”是旧版 Excel 97-2003 格式（.xls），请在 Excel 或 WPS 中打开并另存为 .xlsx 后再提交。"
    )


def test_legacy_xls_renamed_xlsx_and_bare_ole2_header(tmp_path: Path) -> None:
    renamed = cfb(tmp_path / "改名.xlsx", [("Book", 2)])
    assert refused(renamed).reason == "xls"
    bare = tmp_path / "头.xls"  # only the OLE2 signature: the directory cannot be followed
    bare.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4088))
    assert refused(bare).reason == "xls"


def test_builder_writes_a_real_compound_file(tmp_path: Path) -> None:
    olefile = pytest.importorskip("olefile")
    path = cfb(tmp_path / "x.xls", [("\x06DataSpaces", 1), ("EncryptionInfo", 2), ("EncryptedPackage", 2)])
    with olefile.OleFileIO(str(path)) as ole:
        assert sorted(ole.listdir(streams=True, storages=True)) == [
            ["\x06DataSpaces"],
            ["EncryptedPackage"],
            ["EncryptionInfo"],
        ]


def test_encrypted_workbook(tmp_path: Path) -> None:
    path = cfb(
        tmp_path / "加密.xlsx", [("\x06DataSpaces", 1), ("EncryptionInfo", 2), ("EncryptedPackage", 2)]
    )
    err = refused(path)
    assert err.reason == "encrypted"
    assert "密码" in str(err) and "文件→信息→保护工作簿" in str(err)
    assert refused(path, open_workbook).reason == "encrypted"


def test_encrypted_found_by_name_when_directory_is_damaged(tmp_path: Path) -> None:
    path = tmp_path / "坏目录.xlsx"
    path.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(3000) + "EncryptedPackage".encode("utf-16-le")
    )
    assert refused(path).reason == "encrypted"


@pytest.mark.parametrize(
    ("content", "encoding"),
    [
        ("中心编号,中心名称,依托单位\nTIC-0001,某中心,某公司\n", "utf-8-sig"),
        ("中心编号,中心名称,依托单位\r\nTIC-0001,某中心,某公司\r\n", "gbk"),
        ("中心编号\t中心名称\nTIC-0001\t某中心\n", "utf-16"),
    ],
    ids=["utf8-bom", "gbk", "tsv-utf16"],
)
def test_csv_renamed_xlsx(tmp_path: Path, content: str, encoding: str) -> None:
    path = tmp_path / "裕华区.xlsx"
    path.write_bytes(content.encode(encoding))
    err = refused(path)
    assert err.reason == "csv" and "CSV" in str(err) and "另存为 .xlsx" in str(err)
    assert refused(path, open_workbook).reason == "csv"


@pytest.mark.parametrize(
    ("data", "word"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "PDF"),
        ("<html><body><table><tr><td>中心编号</td></tr></table></body></html>".encode(), "网页"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "图片"),
        (bytes(range(256)) * 8, "不是 Excel 工作簿"),
        ("这是一段说明文字，没有表格。".encode() * 3, "纯文本"),
    ],
    ids=["pdf", "html-xls", "png", "random-bytes", "plain-text"],
)
def test_other_files_are_not_xlsx(tmp_path: Path, data: bytes, word: str) -> None:
    path = tmp_path / "材料.xlsx"
    path.write_bytes(data)
    err = refused(path)
    assert err.reason == "not-xlsx" and word in str(err)


def test_word_document_renamed_xlsx(tmp_path: Path) -> None:
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_paragraph("申报书")
    path = tmp_path / "申报书.xlsx"
    document.save(str(path))
    err = refused(path)
    assert err.reason == "not-xlsx" and "Word 文档" in str(err)


def test_word_97_document(tmp_path: Path) -> None:
    err = refused(cfb(tmp_path / "申报书.xls", [("WordDocument", 2), ("1Table", 2)]))
    assert err.reason == "not-xlsx" and "Word" in str(err)


def test_zip_archive_holding_the_workbook(tmp_path: Path) -> None:
    inner = make_xlsx(tmp_path / "inner.xlsx")
    path = tmp_path / "打包.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.write(inner, "长安区/长安区.xlsx")
    err = refused(path)
    assert err.reason == "not-xlsx" and "压缩包" in str(err)


def test_fifo_does_not_block(tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    path = tmp_path / "管道.xlsx"
    os.mkfifo(path)
    assert refused(path).reason == "not-xlsx"


# ----------------------------------------------------------------------------- damaged workbooks


def test_truncated_copy(tmp_path: Path) -> None:
    good = make_xlsx(tmp_path / "完整.xlsx", rows=200)
    data = good.read_bytes()
    half = tmp_path / "网络盘.xlsx"
    half.write_bytes(data[: len(data) // 2])
    err = refused(half)
    assert err.reason == "truncated" and "重新复制" in str(err)
    assert refused(half, open_workbook).reason == "truncated"


def test_damaged_central_directory(tmp_path: Path) -> None:
    data = bytearray(make_xlsx(tmp_path / "a.xlsx").read_bytes())
    eocd = data.rfind(b"PK\x05\x06")
    struct.pack_into("<I", data, eocd + 16, len(data) - 30)  # directory offset points past its start
    path = tmp_path / "坏目录.xlsx"
    path.write_bytes(bytes(data))
    assert refused(path).reason == "truncated"


def test_damaged_sheet_data_is_reported_when_read(tmp_path: Path) -> None:
    """A sheet whose bytes do not match their CRC: only reading the whole sheet can tell."""
    good = make_xlsx(tmp_path / "a.xlsx", rows=3000)
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    (directory,) = struct.unpack_from("<I", data, data.rfind(b"PK\x05\x06") + 16)
    entry = data.index(b"xl/worksheets/sheet1.xml", directory) - 46
    assert (
        data[entry : entry + 4] == b"PK\x01\x02"
        and data[info.header_offset : info.header_offset + 4] == b"PK\x03\x04"
    )
    for at in (info.header_offset + 14, entry + 16):  # the CRC field of the local header and of the directory
        data[at : at + 4] = struct.pack("<I", info.CRC ^ 0xFFFFFFFF)
    path = tmp_path / "坏数据.xlsx"
    path.write_bytes(bytes(data))
    check_workbook_file(path)  # directory and first bytes are fine
    wb = open_workbook(path)
    try:
        with pytest.raises(InputFileError) as info_err, reading_errors(path):
            for _ in wb["申报汇总"].values:
                pass
    finally:
        wb.close()
    assert info_err.value.reason == "truncated"
    assert_one_sentence(str(info_err.value), path.name)
    assert refused(path, lambda p: open_workbook(p, read_only=False)).reason == "truncated"


@pytest.mark.parametrize(
    ("replace", "detail"),
    [
        ({"[Content_Types].xml": None}, "[Content_Types].xml"),
        ({"xl/workbook.xml": None}, "xl/workbook.xml"),
        ({"xl/workbook.xml": b"<workbook><sheets><sheet name="}, "XML"),
        ({"xl/worksheets/sheet2.xml": None}, "说明"),
        (
            {
                "[Content_Types].xml": b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
            },
            "工作簿部件",
        ),
    ],
    ids=["no-content-types", "no-workbook", "bad-workbook-xml", "sheet-missing", "no-workbook-type"],
)
def test_corrupt_workbook(tmp_path: Path, replace: dict[str, bytes | None], detail: str) -> None:
    path = rewrite_zip(make_xlsx(tmp_path / "a.xlsx"), tmp_path / "损坏.xlsx", replace)
    err = refused(path)
    assert err.reason == "corrupt" and detail in str(err)


def test_malformed_sheet_xml_is_reported_by_open_and_by_iteration(tmp_path: Path) -> None:
    good = make_xlsx(tmp_path / "a.xlsx", rows=3000)
    with zipfile.ZipFile(good) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml")
    bad_sheet = sheet.replace(b"</sheetData>", b"</sheetDat>")  # the error is at the very end
    path = rewrite_zip(good, tmp_path / "坏表.xlsx", {"xl/worksheets/sheet1.xml": bad_sheet})
    check_workbook_file(path)  # sheets are not parsed up front: that is openpyxl's streaming job
    err = refused(path, lambda p: open_workbook(p, read_only=False))
    assert err.reason == "corrupt" and "XML" in str(err)
    wb = open_workbook(path)
    try:
        with pytest.raises(InputFileError) as info, reading_errors(path):
            list(wb["申报汇总"].values)
    finally:
        wb.close()
    assert info.value.reason == "corrupt"


# ----------------------------------------------------------------------------- bombs


def test_zip_bomb_is_genuine(tmp_path: Path) -> None:
    path = bomb_workbook(tmp_path, "炸弹.xlsx", {"xl/worksheets/sheet1.xml": 1024})
    assert path.stat().st_size < 2 * 1024 * 1024
    with zipfile.ZipFile(path) as zf, zf.open("xl/worksheets/sheet1.xml") as member:
        assert member.read(4 * 1024 * 1024) == bytes(4 * 1024 * 1024)  # really inflates to zeros


@pytest.mark.parametrize(
    "sheets",
    [
        {"xl/worksheets/sheet1.xml": 1024},  # 1 MB declaring 1 GiB
        {"xl/worksheets/sheet1.xml": 200},  # under the per-member limit, ratio ~1000
        {"xl/worksheets/sheet1.xml": 15, "xl/worksheets/sheet2.xml": 15},  # small members, overall ratio
    ],
    ids=["1GiB", "ratio", "overall-ratio"],
)
def test_zip_bomb_refused_from_the_directory(tmp_path: Path, sheets: dict[str, int]) -> None:
    path = bomb_workbook(tmp_path, "炸弹.xlsx", sheets)
    err = refused(path)
    assert err.reason == "zip-bomb" and "压缩炸弹" in str(err)
    start = time.perf_counter()
    assert peak_memory(lambda: open_workbook(path)) < 50 * 1024 * 1024
    assert time.perf_counter() - start < 1.0


def test_too_many_members(tmp_path: Path) -> None:
    tiny = deflate(b"x")
    members = [(f"xl/media/{i}.xml", tiny, zlib.crc32(b"x"), 1) for i in range(safety.MAX_MEMBERS + 1)]
    path = raw_zip(tmp_path / "成员.xlsx", members)
    assert refused(path).reason == "zip-bomb"


def test_billion_laughs_sheet(tmp_path: Path) -> None:
    path = rewrite_zip(
        make_xlsx(tmp_path / "a.xlsx"), tmp_path / "实体.xlsx", {"xl/worksheets/sheet1.xml": BILLION_LAUGHS}
    )
    err = refused(path)
    assert err.reason == "xml-bomb" and "xl/worksheets/sheet1.xml" in str(err)
    assert peak_memory(lambda: open_workbook(path)) < 50 * 1024 * 1024


def test_openpyxl_alone_refuses_the_entity_bomb_through_defusedxml(tmp_path: Path) -> None:
    """The second line of defence, exercised without the up-front check."""
    path = rewrite_zip(
        make_xlsx(tmp_path / "a.xlsx"), tmp_path / "实体.xlsx", {"xl/worksheets/sheet1.xml": BILLION_LAUGHS}
    )
    with path.open("rb") as fh, pytest.raises(ValueError) as info:
        openpyxl.load_workbook(fh, read_only=False)
    assert "EntitiesForbidden" in repr(info.value.__cause__)
    err = input_error_from(path, info.value)
    assert err.reason == "xml-bomb"
    assert_one_sentence(str(err), path.name)


@pytest.mark.parametrize(
    ("member", "xml"),
    [
        (
            "xl/workbook.xml",
            b'<?xml version="1.0"?><!DOCTYPE workbook SYSTEM "http://example.com/x.dtd"><workbook/>',
        ),
        ("docProps/core.xml", b"\xef\xbb\xbf<!-- note --><!ENTITY x 'y'><coreProperties/>"),
        (
            "xl/worksheets/sheet1.xml",
            "<?xml version='1.0' encoding='UTF-16'?><!DOCTYPE x []><x/>".encode("utf-16"),
        ),
        ("xl/styles.xml", b"<?xml version='1.0'?>" + b"<!--" + b"-" * 70000 + b"--><styleSheet/>"),
    ],
    ids=["external-dtd", "entity-after-comment", "utf16", "endless-prolog"],
)
def test_dtd_in_any_xml_part(tmp_path: Path, member: str, xml: bytes) -> None:
    path = rewrite_zip(make_xlsx(tmp_path / "a.xlsx"), tmp_path / "dtd.xlsx", {member: xml})
    err = refused(path)
    assert err.reason == "xml-bomb" and member in str(err)


# ----------------------------------------------------------------------------- permissions and messages


def test_permission_denied(tmp_path: Path) -> None:
    if not hasattr(os, "geteuid"):
        pytest.skip("POSIX permissions only")
    if os.geteuid() != 0:
        path = make_xlsx(tmp_path / "无权限.xlsx")
        path.chmod(0)
        try:
            assert refused(path).reason == "permission"
        finally:
            path.chmod(stat.S_IRUSR | stat.S_IWUSR)
        return
    # root reads anything: a forked child drops to "nobody" and checks a file only root may read
    folder = Path(tempfile.mkdtemp(prefix="tic-perm-"))
    try:
        folder.chmod(0o755)
        path = make_xlsx(folder / "无权限.xlsx")
        path.chmod(0o600)
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: never returns into pytest
            status = 1
            try:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
                try:
                    check_workbook_file(path)
                    answer = None
                except InputFileError as exc:
                    answer = [exc.reason, str(exc)]
                os.write(write_end, json.dumps(answer).encode())
                status = 0
            finally:
                os._exit(status)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as pipe:
            output = pipe.read()
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        reason, message = json.loads(output)
        assert reason == "permission"
        assert_one_sentence(message, path.name)
    finally:
        for child in folder.iterdir():
            child.unlink()
        folder.rmdir()


@pytest.mark.parametrize(
    "reason",
    [
        "missing",
        "directory",
        "permission",
        "lock-file",
        "empty",
        "too-large",
        "xls",
        "encrypted",
        "csv",
        "not-xlsx",
        "truncated",
        "zip-bomb",
        "xml-bomb",
        "corrupt",
        "unreadable",
    ],
)
def test_every_message_is_one_sentence_naming_the_file(reason: str) -> None:
    path = Path(tempfile.gettempdir()) / "区县" / "~$高新区.xlsx"
    message = message_for(reason, path, size=MAX_FILE_BYTES * 2, detail="xl/workbook.xml")
    assert_one_sentence(message, path.name)


def test_unknown_exceptions_become_sentences(tmp_path: Path) -> None:
    path = tmp_path / "某.xlsx"
    cases = {
        "truncated": zipfile.BadZipFile("Bad CRC-32 for file 'xl/worksheets/sheet1.xml'"),
        "permission": PermissionError(13, "Permission denied"),
        "unreadable": OSError(5, "Input/output error"),
        "corrupt": TypeError("expected <class 'int'>"),
    }
    for reason, exc in cases.items():
        err = input_error_from(path, exc)
        assert err.reason == reason
        assert_one_sentence(str(err), path.name)
