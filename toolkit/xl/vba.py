"""Build the ``xl/vbaProject.bin`` of the console workbook (openpyxl cannot author VBA).

A VBA project is an OLE compound file ([MS-CFB]) holding the storages and
streams of [MS-OVBA]::

    PROJECT          text: modules, project id, protection state
    PROJECTwm        module names in MBCS and UTF-16
    VBA/_VBA_PROJECT 7 bytes, version 0xFFFF: "no performance cache, compile from source"
    VBA/dir          compressed records: project information, references, modules
    VBA/<module>     compressed source code (after an optional performance cache)

xlwings' standalone quickstart workbook ships a project written the same way
(source only, ``_VBA_PROJECT`` version 0xFFFF), which Excel compiles on
opening. :func:`build_project` takes that project as its template: it keeps
its project information and references and the ``xlwings`` module and
``Dictionary`` class byte for byte, drops its sample ``Module1`` and adds the
toolkit's button module and one document module per sheet (their names are
the sheets' code names).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "Module",
    "build_project",
    "compress",
    "decompress",
    "document_module",
    "read_compound",
    "read_project",
    "write_compound",
]

# --------------------------------------------------------------------------- [MS-OVBA] 2.4.1 compression

CHUNK = 4096


def _copy_token_help(offset_in_chunk: int) -> tuple[int, int]:
    """(bit count of the offset, maximum length) at this position of a chunk (2.4.1.3.19.1)."""
    bit_count = max((offset_in_chunk - 1).bit_length(), 4)
    return bit_count, (0xFFFF >> bit_count) + 3


def _compress_chunk(data: bytes) -> bytes:
    out = bytearray()
    pos, end = 0, len(data)
    heads: dict[bytes, list[int]] = {}
    while pos < end:
        flag_at = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= end:
                break
            best_len, best_off = 0, 0
            if pos > 0 and pos + 3 <= end:
                bit_count, max_len = _copy_token_help(pos)
                limit = min(max_len, end - pos)
                for cand in reversed(heads.get(data[pos:pos + 3], [])[-64:]):
                    n = 3
                    while n < limit and data[cand + n] == data[pos + n]:
                        n += 1
                    if n > best_len:
                        best_len, best_off = n, pos - cand
                        if n == limit:
                            break
            if best_len >= 3:
                bit_count, _ = _copy_token_help(pos)
                token = ((best_off - 1) << (16 - bit_count)) | (best_len - 3)
                out += struct.pack("<H", token)
                flags |= 1 << bit
                step = best_len
            else:
                out.append(data[pos])
                step = 1
            for i in range(pos, pos + step):
                if i + 3 <= end:
                    heads.setdefault(data[i:i + 3], []).append(i)
            pos += step
        out[flag_at] = flags
    return bytes(out)


def compress(data: bytes) -> bytes:
    """[MS-OVBA] 2.4.1.3.1: a CompressedContainer (signature byte, then one chunk per 4096 bytes)."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), CHUNK):
        raw = data[start:start + CHUNK]
        body = _compress_chunk(raw)
        if len(body) + 2 <= CHUNK + 2:  # a compressed chunk holds at most 4098 bytes with its header
            out += struct.pack("<H", 0xB000 | (len(body) + 2 - 3)) + body
        elif len(raw) == CHUNK:  # a raw chunk: exactly 4096 bytes, size field 0xFFF
            out += struct.pack("<H", 0x3FFF) + raw
        else:
            raise ValueError("incompressible final chunk")  # never for program text
    return bytes(out)


def decompress(data: bytes) -> bytes:
    """[MS-OVBA] 2.4.1.3.2: the inverse of :func:`compress` (reads what Office writes too)."""
    if not data or data[0] != 1:
        raise ValueError("not a compressed container")
    out = bytearray()
    pos = 1
    while pos + 2 <= len(data):
        header = struct.unpack_from("<H", data, pos)[0]
        size, compressed = (header & 0x0FFF) + 3, header >> 15
        chunk_end, pos = min(pos + size, len(data)), pos + 2
        start = len(out)
        if not compressed:
            out += data[pos:pos + CHUNK]
            pos += CHUNK
            continue
        while pos < chunk_end:
            flags = data[pos]
            pos += 1
            for bit in range(8):
                if pos >= chunk_end:
                    break
                if not flags >> bit & 1:
                    out.append(data[pos])
                    pos += 1
                    continue
                token = struct.unpack_from("<H", data, pos)[0]
                pos += 2
                bit_count, _ = _copy_token_help(len(out) - start)
                length = (token & (0xFFFF >> bit_count)) + 3
                offset = (token >> (16 - bit_count)) + 1
                if offset > len(out) - start:
                    raise ValueError("copy token before the chunk start")
                for _ in range(length):
                    out.append(out[-offset])
    return bytes(out)


# --------------------------------------------------------------------------- [MS-CFB] compound files

SECTOR, MINI_SECTOR, MINI_CUTOFF = 512, 64, 4096
FREESECT, ENDOFCHAIN, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")


@dataclass
class _Entry:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    data: bytes = b""
    children: list[_Entry] = field(default_factory=list)
    id: int = 0
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    color: int = 1  # 0 red, 1 black
    start: int = ENDOFCHAIN
    size: int = 0


def _cfb_key(name: str) -> tuple[int, str]:
    """[MS-CFB] 2.6.4: shorter names first, then by upper-cased name."""
    return len(name), name.upper()


def _tree(nodes: list[_Entry]) -> int:
    """Link sorted siblings as a balanced red-black tree; returns the root id.

    Midpoint recursion puts every leaf at depth d or d+1; the nodes of the last,
    incomplete level are red and all others black, so every path has the same
    number of black nodes and no red node has a red child.
    """
    if not nodes:
        return NOSTREAM
    full = (len(nodes) + 1).bit_length() - 1  # number of complete levels
    perfect = len(nodes) == (1 << full) - 1

    def build(items: list[_Entry], depth: int) -> int:
        if not items:
            return NOSTREAM
        mid = len(items) // 2
        node = items[mid]
        node.color = 0 if (not perfect and depth == full) else 1
        node.left = build(items[:mid], depth + 1)
        node.right = build(items[mid + 1:], depth + 1)
        return node.id

    return build(sorted(nodes, key=lambda e: _cfb_key(e.name)), 0)


def write_compound(tree: dict[str, bytes | dict]) -> bytes:
    """A version 3 compound file of ``tree`` (name → bytes for a stream, name → dict for a storage)."""
    root = _Entry("Root Entry", 5)
    order: list[_Entry] = [root]

    def add(parent: _Entry, items: dict[str, bytes | dict]) -> None:
        for name, value in items.items():
            if len(name) > 31:
                raise ValueError(f"compound file name too long: {name}")
            entry = _Entry(name, 1) if isinstance(value, dict) else _Entry(name, 2, bytes(value))
            entry.id = len(order)
            order.append(entry)
            parent.children.append(entry)
        for entry in parent.children:
            if entry.kind == 1:
                add(entry, items[entry.name])  # type: ignore[arg-type]

    add(root, tree)
    for entry in order:
        if entry.kind in (1, 5):
            entry.child = _tree(entry.children)

    streams = [e for e in order if e.kind == 2]
    mini = bytearray()
    minifat: list[int] = []
    for e in streams:
        e.size = len(e.data)
        if 0 < e.size < MINI_CUTOFF:
            first = len(mini) // MINI_SECTOR
            count = -(-e.size // MINI_SECTOR)
            mini += e.data + b"\0" * (count * MINI_SECTOR - e.size)
            minifat += [first + i + 1 for i in range(count - 1)] + [ENDOFCHAIN]
            e.start = first

    fat: list[int] = []
    body = bytearray()

    def place(data: bytes) -> int:
        if not data:
            return ENDOFCHAIN
        first = len(fat)
        count = -(-len(data) // SECTOR)
        fat.extend([first + i + 1 for i in range(count - 1)] + [ENDOFCHAIN])
        body.extend(data + b"\0" * (count * SECTOR - len(data)))
        return first

    for e in streams:
        if e.size >= MINI_CUTOFF:
            e.start = place(e.data)
    root.start, root.size = place(bytes(mini)), len(mini)
    minifat_bytes = struct.pack(f"<{len(minifat)}I", *minifat)
    first_minifat = place(minifat_bytes) if minifat else ENDOFCHAIN
    n_minifat = -(-len(minifat_bytes) // SECTOR)

    entries = bytearray()
    for e in order:
        name = e.name.encode("utf-16-le") + b"\0\0"
        entries += struct.pack(
            "<64sHBBIII16sIQQIQ", name, len(name), e.kind, e.color, e.left, e.right, e.child,
            b"\0" * 16, 0, 0, 0, e.start if e.kind != 1 else 0, e.size if e.kind != 1 else 0)
    while len(entries) % SECTOR:
        entries += struct.pack("<64sHBBIII16sIQQIQ", b"", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM,
                               b"\0" * 16, 0, 0, 0, 0, 0)
    first_dir = place(bytes(entries))

    n_fat = 1
    while (len(fat) + n_fat) > n_fat * (SECTOR // 4):
        n_fat += 1
    if n_fat > 109:
        raise ValueError("compound file too large for a header-only DIFAT")
    fat_start = len(fat)
    fat.extend([FATSECT] * n_fat)
    fat.extend([FREESECT] * (n_fat * (SECTOR // 4) - len(fat)))
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)
    difat = [fat_start + i for i in range(n_fat)] + [FREESECT] * (109 - n_fat)
    header = SIGNATURE + b"\0" * 16 + struct.pack(
        "<HHHHH6sIIIIIIIII", 0x003E, 3, 0xFFFE, 9, 6, b"\0" * 6, 0, n_fat, first_dir, 0, MINI_CUTOFF,
        first_minifat, n_minifat, ENDOFCHAIN, 0) + struct.pack("<109I", *difat)
    assert len(header) == SECTOR
    return header + bytes(body) + fat_bytes


def read_compound(data: bytes) -> dict[str, bytes]:
    """Every stream of a compound file, by path (``VBA/dir``); enough to read Office's own files."""
    if data[:8] != SIGNATURE:
        raise ValueError("not a compound file")
    shift, mini_shift = struct.unpack_from("<HH", data, 30)
    size, mini_size = 1 << shift, 1 << mini_shift
    n_fat, first_dir = struct.unpack_from("<II", data, 44)
    cutoff, first_minifat, _n_minifat, first_difat, _n_difat = struct.unpack_from("<IIIII", data, 56)
    fat_ids = [s for s in struct.unpack_from("<109I", data, 76) if s < FATSECT]
    next_difat = first_difat
    while next_difat < FATSECT:
        ids = struct.unpack_from(f"<{size // 4}I", data, size * (next_difat + 1))
        fat_ids += [s for s in ids[:-1] if s < FATSECT]
        next_difat = ids[-1]
    fat: list[int] = []
    for s in fat_ids[:n_fat]:
        fat += struct.unpack_from(f"<{size // 4}I", data, size * (s + 1))

    def chain(first: int) -> bytes:
        out, s, seen = bytearray(), first, set()
        while s < FATSECT and s not in seen:
            seen.add(s)
            out += data[size * (s + 1): size * (s + 2)]
            s = fat[s]
        return bytes(out)

    directory = chain(first_dir)
    entries = []
    for off in range(0, len(directory) - 127, 128):
        name_len, kind = struct.unpack_from("<HB", directory, off + 64)
        left, right, child = struct.unpack_from("<III", directory, off + 68)
        start, length = struct.unpack_from("<IQ", directory, off + 116)
        name = directory[off:off + max(name_len - 2, 0)].decode("utf-16-le")
        entries.append((name, kind, left, right, child, start, length & 0xFFFFFFFF if shift == 9 else length))
    ministream = chain(entries[0][5])
    minifat_raw = chain(first_minifat)
    minifat = list(struct.unpack(f"<{len(minifat_raw) // 4}I", minifat_raw))

    def mini_chain(first: int) -> bytes:
        out, s, seen = bytearray(), first, set()
        while s < FATSECT and s not in seen:
            seen.add(s)
            out += ministream[mini_size * s: mini_size * (s + 1)]
            s = minifat[s]
        return bytes(out)

    found: dict[str, bytes] = {}

    def walk(node: int, prefix: str) -> None:
        if node >= len(entries) or node == NOSTREAM:
            return
        name, kind, left, right, child, start, length = entries[node]
        walk(left, prefix)
        walk(right, prefix)
        if kind == 2:
            raw = mini_chain(start) if length < cutoff else chain(start)
            found[prefix + name] = raw[:length]
        elif kind == 1:
            walk(child, prefix + name + "/")

    walk(entries[0][4], "")
    return found


# --------------------------------------------------------------------------- [MS-OVBA] the project

PROCEDURAL, DOCUMENT = 0x21, 0x22
WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"
SHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"


@dataclass
class Module:
    """One module of the project: its stream is compressed ``source`` after ``offset`` bytes of cache."""

    name: str
    kind: str  # "module", "class" or "document"
    source: bytes = b""
    stream: bytes | None = None  # a stream copied as it is (with its performance cache)
    offset: int = 0
    records: bytes | None = None  # the dir records of a copied module, as they were

    def stream_bytes(self) -> bytes:
        return self.stream if self.stream is not None else compress(self.source)


def document_module(name: str, base: str) -> Module:
    """The (empty) document module of the workbook (``WORKBOOK_BASE``) or of a sheet (``SHEET_BASE``)."""
    lines = [f'Attribute VB_Name = "{name}"', f'Attribute VB_Base = "{base}"',
             "Attribute VB_GlobalNameSpace = False", "Attribute VB_Creatable = False",
             "Attribute VB_PredeclaredId = True", "Attribute VB_Exposed = True",
             "Attribute VB_TemplateDerived = False", "Attribute VB_Customizable = True"]
    return Module(name, "document", ("\r\n".join(lines) + "\r\n").encode("ascii"))


def _records(data: bytes) -> list[tuple[int, bytes]]:
    """The dir stream as (id, raw record) pairs; PROJECTVERSION's size field does not count its body."""
    out, pos = [], 0
    while pos + 6 <= len(data):
        rid, size = struct.unpack_from("<HI", data, pos)
        if rid == 0x09:
            size = 6
        out.append((rid, data[pos:pos + 6 + size]))
        pos += 6 + size
    return out


def _rec(rid: int, body: bytes = b"") -> bytes:
    return struct.pack("<HI", rid, len(body)) + body


@dataclass
class Project:
    """A parsed template project: what :func:`build_project` keeps from it."""

    head: bytes  # dir records before PROJECTMODULES: information and references
    modules: dict[str, Module]
    project_lines: list[str]  # PROJECT stream lines other than the module lines and [Workspace]
    codepage: str
    vba_project: bytes  # the _VBA_PROJECT stream (version 0xFFFF: no performance cache)


def read_project(vba_bin: bytes) -> Project:
    """Read a vbaProject.bin (the template's) into its parts."""
    streams = read_compound(vba_bin)
    recs = _records(decompress(streams["VBA/dir"]))
    split = next(i for i, (rid, _) in enumerate(recs) if rid == 0x0F)
    head = b"".join(raw for _, raw in recs[:split])
    codepage = f"cp{struct.unpack_from('<H', next(raw for rid, raw in recs if rid == 0x03), 6)[0]}"
    modules: dict[str, Module] = {}
    current: list[bytes] = []
    name = stream_name = ""
    offset, kind = 0, "module"
    for rid, raw in recs[split + 2:]:
        current.append(raw)
        if rid == 0x19:
            name = raw[6:].decode(codepage)
        elif rid == 0x1A:
            stream_name = raw[6:6 + struct.unpack_from("<I", raw, 2)[0]].decode(codepage)
        elif rid == 0x31:
            offset = struct.unpack_from("<I", raw, 6)[0]
        elif rid in (PROCEDURAL, DOCUMENT):
            kind = "module" if rid == PROCEDURAL else "class-or-document"
        elif rid == 0x2B:
            stream = streams[f"VBA/{stream_name}"]
            source = decompress(stream[offset:])
            if kind != "module":
                kind = "document" if b"VB_PredeclaredId = True" in source else "class"
            modules[name] = Module(name, kind, source, stream=stream, offset=offset, records=b"".join(current))
            current = []
    text = streams["PROJECT"].decode(codepage)
    lines: list[str] = []
    for line in text.split("\r\n"):
        if line == "[Workspace]":
            break
        if not line.startswith(("Document=", "Module=", "Class=", "BaseClass=", "Package=")):
            lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    return Project(head, modules, lines, codepage, streams["VBA/_VBA_PROJECT"])


def _module_records(m: Module, codepage: str) -> bytes:
    if m.records is not None:
        return m.records
    name = m.name.encode(codepage)
    uname = m.name.encode("utf-16-le")
    return b"".join([
        _rec(0x19, name), _rec(0x47, uname),
        _rec(0x1A, name) + struct.pack("<HI", 0x32, len(uname)) + uname,
        _rec(0x1C) + struct.pack("<HI", 0x48, 0),
        _rec(0x31, struct.pack("<I", m.offset)),
        _rec(0x1E, struct.pack("<I", 0)),
        _rec(0x2C, struct.pack("<H", 0xFFFF)),
        _rec(PROCEDURAL if m.kind == "module" else DOCUMENT),
        _rec(0x2B),
    ])


def build_project(template: bytes, modules: Sequence[Module], keep: Iterable[str] = ("xlwings", "Dictionary")) -> bytes:
    """A vbaProject.bin with ``modules`` (new ones, compiled from source by Office) plus the template's
    modules named in ``keep`` (copied byte for byte), and the template's references and settings."""
    project = read_project(template)
    kept = [project.modules[k] for k in keep if k in project.modules]
    everything = [*modules, *kept]
    names = [m.name for m in everything]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate module names: {names}")
    cp = project.codepage
    dir_stream = project.head + _rec(0x0F, struct.pack("<H", len(everything))) + _rec(0x13, struct.pack("<H", 0xFFFF))
    dir_stream += b"".join(_module_records(m, cp) for m in everything) + _rec(0x10)

    lines = [project.project_lines[0]]  # ID="{...}"
    for m in everything:
        if m.kind == "document":
            lines.append(f"Document={m.name}/&H00000000")
        elif m.kind == "class":
            lines.append(f"Class={m.name}")
        else:
            lines.append(f"Module={m.name}")
    lines += project.project_lines[1:]
    lines += ["", "[Workspace]", *(f"{m.name}=0, 0, 0, 0, C" for m in everything), ""]
    project_text = "\r\n".join(lines).encode(cp)

    wm = b"".join(m.name.encode(cp) + b"\0" + m.name.encode("utf-16-le") + b"\0\0" for m in everything) + b"\0\0"
    if project.vba_project[2:4] != b"\xff\xff":
        raise ValueError("the template project carries a performance cache")
    vba: dict[str, bytes | dict] = {"_VBA_PROJECT": project.vba_project, "dir": compress(dir_stream)}
    for m in everything:
        vba[m.name] = m.stream_bytes()
    return write_compound({"VBA": vba, "PROJECT": project_text, "PROJECTwm": wm})
