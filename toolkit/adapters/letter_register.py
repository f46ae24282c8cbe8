"""The letter register: 发文字号 allocated from the ledger's ``letters`` table.

    发文字号 = prefix + 〔year〕 + seq + 号        e.g. 石科字〔2026〕12号

``seq`` is unique per (prefix, doc_year) — the table's UNIQUE constraint says so too —,
allocated as 1 + the largest used, inside the ledger's one write transaction (the
ledger lock keeps a second writer out), so numbers are never reused and never skipped.

A letter is identified by (kind, center_id, cycle_year, subject). The current letter of
a key is its row with ``superseded_by`` NULL: a re-run finds it and issues nothing new;
a re-issue inserts a new row with a new number and points the old row at it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any


def format_doc_number(prefix: str, year: int, seq: int) -> str:
    """石科字〔2026〕12号: full year in 六角括号, no leading zeros, no 第."""
    return f"{prefix}〔{year}〕{int(seq)}号"


@dataclass(frozen=True)
class LetterKey:
    """What makes a letter the same letter on a re-run."""

    kind: str
    center_id: str | None
    cycle_year: int
    subject: str = ""


@dataclass(frozen=True)
class LetterRecord:
    """A row of the ``letters`` table."""

    id: int
    kind: str
    center_id: str | None
    cycle_year: int
    subject: str
    prefix: str
    doc_year: int
    seq: int
    doc_number: str
    file: str
    sha256: str
    issued_at: str
    superseded_by: int | None

    @property
    def key(self) -> LetterKey:
        return LetterKey(self.kind, self.center_id, self.cycle_year, self.subject)

    @classmethod
    def from_row(cls, row: sqlite3.Row | tuple[Any, ...]) -> LetterRecord:
        r = tuple(row)
        return cls(int(r[0]), r[1], r[2], int(r[3]), r[4], r[5], int(r[6]), int(r[7]), r[8], r[9], r[10], r[11],
                   None if r[12] is None else int(r[12]))


_COLUMNS = ("id, kind, center_id, cycle_year, subject, prefix, doc_year, seq, doc_number, file, sha256, issued_at,"
            " superseded_by")


def current_letter(conn: sqlite3.Connection, key: LetterKey) -> LetterRecord | None:
    """The letter in force for ``key`` (not superseded), or None when none was issued."""
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM letters WHERE kind = ? AND center_id IS ? AND cycle_year = ? AND subject = ?"
        " AND superseded_by IS NULL ORDER BY id DESC LIMIT 1",
        (key.kind, key.center_id, key.cycle_year, key.subject),
    ).fetchone()
    return LetterRecord.from_row(row) if row is not None else None


def next_seq(conn: sqlite3.Connection, prefix: str, doc_year: int) -> int:
    """The next sequence number of (prefix, doc_year): one more than the largest ever used."""
    row = conn.execute("SELECT max(seq) FROM letters WHERE prefix = ? AND doc_year = ?", (prefix, doc_year)).fetchone()
    return int(row[0] or 0) + 1


def record_letter(
    conn: sqlite3.Connection,
    key: LetterKey,
    *,
    prefix: str,
    doc_year: int,
    seq: int,
    file: str,
    sha256: str,
    issued_at: str,
    supersedes: LetterRecord | None = None,
) -> LetterRecord:
    """Insert an issued letter with the number ``seq`` (from :func:`next_seq` in the same transaction).

    With ``supersedes`` the old row is marked ``superseded_by`` the new one (a re-issue).
    """
    doc_number = format_doc_number(prefix, doc_year, seq)
    cur = conn.execute(
        "INSERT INTO letters (kind, center_id, cycle_year, subject, prefix, doc_year, seq, doc_number, file, sha256,"
        " issued_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (key.kind, key.center_id, key.cycle_year, key.subject, prefix, doc_year, seq, doc_number, file, sha256,
         issued_at),
    )
    new_id = int(cur.lastrowid or 0)
    if supersedes is not None:
        conn.execute("UPDATE letters SET superseded_by = ? WHERE id = ?", (new_id, supersedes.id))
    return LetterRecord(new_id, key.kind, key.center_id, key.cycle_year, key.subject, prefix, doc_year, seq,
                        doc_number, file, sha256, issued_at, None)


def recorded_files(conn: sqlite3.Connection) -> set[str]:
    """Every file name the register has ever recorded (a new letter never takes one of them)."""
    return {r[0] for r in conn.execute("SELECT file FROM letters")}


def sequence_gaps(conn: sqlite3.Connection, prefix: str, doc_year: int) -> list[int]:
    """Numbers between 1 and the largest used that no letter carries (numbers given out by hand)."""
    used = {r[0] for r in conn.execute("SELECT seq FROM letters WHERE prefix = ? AND doc_year = ?", (prefix, doc_year))}
    return [n for n in range(1, max(used, default=0) + 1) if n not in used]


def letters_of_cycle(conn: sqlite3.Connection, cycle_year: int) -> list[LetterRecord]:
    """Every letter of a cycle, superseded ones included, in issue order."""
    return [LetterRecord.from_row(r) for r in conn.execute(
        f"SELECT {_COLUMNS} FROM letters WHERE cycle_year = ? ORDER BY id", (cycle_year,))]
