"""Many letters from one Word template: docxtpl's work done once per template, not once per letter.

A plain docxtpl loop opens the template package, patches its XML, compiles it with
Jinja, renders, re-serialises every part and zips them again — for every letter,
although everything but the rendering is the same for each letter of a kind.
:class:`PreparedTemplate` does the fixed part once, with docxtpl's own code:

- the package is opened once; :meth:`DocxTemplate.patch_xml` prepares the XML of the
  body and of every header and footer, which is compiled once in the given (sandboxed,
  autoescaping, strict) environment; a header or footer that uses no field is rendered
  once and kept as bytes;
- the core properties are rendered as docxtpl renders them (once, or per letter when they
  hold fields: the letter's title in its document properties), and every other member of
  the package is serialised and deflated once (python-docx's own save): its local
  header and compressed bytes are kept;

and per letter only renders the compiled templates with the context, applies exactly
the post-processing docxtpl applies after rendering (``render_xml_part``'s clean-up,
``resolve_listing``, ``fix_tables``, ``fix_docpr_ids``, python-docx's serialisation of the
part) and writes the zip in one pass: the same members in the same order, each
deflated with fixed timestamps as :func:`toolkit.adapters.letters.normalise_docx` writes
them. The result is the same bytes as ``DocxTemplate`` + ``render`` + ``save`` + that
normalisation (the tests check it), so a letter's SHA-256 does not depend on the path.

Templates using what this path does not reproduce (fields in footnotes) are marked
:attr:`PreparedTemplate.supported` False; the caller renders those with plain docxtpl.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.oxml import serialize_part_xml
from docx.oxml.parser import parse_xml
from docxtpl import DocxTemplate
from jinja2 import Environment, Template, meta

FOOTNOTES_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
# the core properties docxtpl renders (DocxTemplate.render_properties)
CORE_PROPERTIES = ("author", "comments", "identifier", "language", "subject", "title")
_JINJA_MARKS = ("{{", "{%", "{#")
_LISTING_CHARS = ("\t", "\a", "\n", "\f")  # what DocxTemplate.resolve_listing turns into Word markup
_P_START = re.compile(r"<w:p([ >])")
_P_START_NL = re.compile(r"\n<w:p([ >])")
_OFFSET = struct.Struct("<L")  # the last field of a central-directory record


def _deflate(data: bytes) -> bytes:
    """Deflate as :mod:`zipfile` does (ZIP_DEFLATED, default level)."""
    c = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


@dataclass
class _Member:
    """One zip member: its local record (header + deflated data) and its central-directory record,
    split around the offset of the local record (the only field that depends on the members before it)."""

    record: bytes
    central_head: bytes
    central_tail: bytes


def _member(name: str, data: bytes, date_time: tuple[int, int, int, int, int, int]) -> _Member:
    """The member exactly as ``zipfile.ZipFile.writestr`` writes it to a seekable file (no zip64, no descriptor)."""
    info = zipfile.ZipInfo(name, date_time=date_time)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    info.flag_bits = 0
    packed = _deflate(data)
    info.file_size = len(data)
    info.compress_size = len(packed)
    info.CRC = zlib.crc32(data)
    record = info.FileHeader(False) + packed  # FileHeader also sets the versions the central record carries
    # the central-directory record as ZipFile._write_end_record writes it; the offset goes between head and tail
    dt = info.date_time
    dosdate = (dt[0] - 1980) << 9 | dt[1] << 5 | dt[2]
    dostime = dt[3] << 11 | dt[4] << 5 | (dt[5] // 2)
    filename, flag_bits = info._encodeFilenameFlags()
    central = struct.pack(zipfile.structCentralDir, zipfile.stringCentralDir, info.create_version,
                          info.create_system, info.extract_version, info.reserved, flag_bits, info.compress_type,
                          dostime, dosdate, info.CRC, info.compress_size, info.file_size, len(filename),
                          len(info.extra), len(info.comment), 0, info.internal_attr, info.external_attr, 0)
    return _Member(record, central[:-4], filename + info.extra + info.comment)


def write_zip(members: list[_Member]) -> bytes:
    """The zip of ``members`` in order, as :mod:`zipfile` writes it."""
    out: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for m in members:
        central.append(m.central_head + _OFFSET.pack(offset) + m.central_tail)
        out.append(m.record)
        offset += len(m.record)
    directory = b"".join(central)
    end = struct.pack(zipfile.structEndArchive, zipfile.stringEndArchive, 0, 0, len(members), len(members),
                      len(directory), offset, 0)
    return b"".join(out) + directory + end


@dataclass
class _Part:
    """A templated XML part: its zip name, compiled template, and how docxtpl writes it back."""

    name: str
    template: Template
    encoding: str  # headers and footers: the encoding docxtpl encodes the rendered XML with
    is_body: bool


class PreparedTemplate:
    """A Word template ready to fill many times (see the module docstring).

    ``env`` is the Jinja environment every letter is rendered in (the same object for
    the whole run); ``date_time`` the fixed timestamp of every zip member. Jinja errors
    in the template's syntax are raised here, as docxtpl raises them on the first render.
    """

    def __init__(self, template: bytes, env: Environment,
                 date_time: tuple[int, int, int, int, int, int] = (1980, 1, 1, 0, 0, 0)) -> None:
        self.env = env
        self.date_time = date_time
        self.doc = DocxTemplate(io.BytesIO(template))
        self.doc.render_init()
        package = self.doc.docx.part.package
        self.supported = not any(p.content_type == FOOTNOTES_TYPE for p in package.iter_parts())
        self._parts: list[_Part] = []
        core = package.core_properties
        # the core properties with fields, compiled: rendered per letter as render_properties does
        self._core_fields = {prop: env.from_string(getattr(core, prop) or "") for prop in CORE_PROPERTIES
                             if any(mark in (getattr(core, prop) or "") for mark in _JINJA_MARKS)}
        self._core_part = package.part_related_by(RT.CORE_PROPERTIES) if self._core_fields else None
        self.core_name = self._core_part.partname.lstrip("/") if self._core_part is not None else None
        self._members: list[_Member | str] = []  # a fixed member, or the zip name of a part rendered per letter
        if not self.supported:
            return
        doc = self.doc
        body_src = _P_START.sub(r"\n<w:p\1", doc.patch_xml(doc.get_xml()))
        self.body_name = doc.docx.part.partname.lstrip("/")
        self._parts.append(_Part(self.body_name, env.from_string(body_src), "utf-8", True))
        fixed: dict[str, bytes] = {}
        for uri in (doc.HEADER_URI, doc.FOOTER_URI):
            for _rel, part in doc.get_headers_footers(uri):
                xml = doc.get_part_xml(part)
                encoding = doc.get_headers_footers_encoding(xml)
                src = _P_START.sub(r"\n<w:p\1", doc.patch_xml(xml))
                prepared = _Part(part.partname.lstrip("/"), env.from_string(src), encoding, False)
                if meta.find_undeclared_variables(env.parse(src)):
                    self._parts.append(prepared)
                else:  # no field: the same bytes for every letter
                    fixed[prepared.name] = self._render_part(prepared, {})
        for prop in CORE_PROPERTIES:  # what render_properties sets the ones without fields to
            if prop not in self._core_fields:
                setattr(core, prop, env.from_string(getattr(core, prop) or "").render({}))
        saved = io.BytesIO()
        doc.docx.save(saved)
        templated = {p.name for p in self._parts} | ({self.core_name} if self.core_name else set())
        with zipfile.ZipFile(saved) as zf:
            for info in zf.infolist():
                if info.filename in templated:
                    self._members.append(info.filename)
                else:
                    data = fixed.get(info.filename)
                    if data is None:
                        data = zf.read(info.filename)
                    self._members.append(_member(info.filename, data, date_time))

    def _render_part(self, part: _Part, context: Mapping[str, Any]) -> bytes:
        """One part rendered, then post-processed exactly as ``DocxTemplate.render`` does, serialised as saved."""
        doc = self.doc
        xml = _P_START_NL.sub(r"<w:p\1", part.template.render(context))  # render_xml_part
        xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
        if any(c in xml for c in _LISTING_CHARS):  # resolve_listing changes nothing without them
            xml = doc.resolve_listing(xml)
        if part.is_body:
            tree = doc.fix_tables(xml)
            if "docPr" in xml:  # fix_docpr_ids renumbers wp:docPr elements: none without the name
                doc.docx_ids_index = 1000
                doc.fix_docpr_ids(tree)
            doc.map_tree(tree)
            return doc.docx.part.blob
        return serialize_part_xml(parse_xml(xml.encode(part.encoding)))  # map_headers_footers_xml + save

    def render(self, context: Mapping[str, Any]) -> bytes:
        """The filled .docx: the same bytes as docxtpl's render + save + fixed-time normalisation."""
        rendered = {p.name: _member(p.name, self._render_part(p, context), self.date_time) for p in self._parts}
        if self._core_part is not None and self.core_name is not None:
            core = self.doc.docx.core_properties
            for prop, template in self._core_fields.items():
                setattr(core, prop, template.render(context))
            rendered[self.core_name] = _member(self.core_name, self._core_part.blob, self.date_time)
        return write_zip([rendered[m] if isinstance(m, str) else m for m in self._members])
