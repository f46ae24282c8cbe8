"""Names of the centers already in the ledger (A10.7.NAME), read without taking the ledger lock."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from toolkit.core.config import Config


def existing_center_names(config: Config, problems: list[str] | None = None) -> frozenset[str]:
    """Every center name in the ledger, except centers registered in this very cycle.

    Those came from this cycle's applications: re-checking the same workbook after
    ``tic ledger register`` must not call them duplicates of themselves. A ledger that exists but cannot be
    read gives no names and a sentence in ``problems`` (the check is not silently skipped).
    """
    path = config.ledger_path
    if not path.is_file():
        return frozenset()
    unreadable = (f"台账“{path}”无法读取（可能已损坏），本次未核对中心名称是否与台账中的中心重名"
                  "（第十条第（七）项、第三十九条）；请从“台账备份”中恢复台账后重新校验。")
    if path.stat().st_size == 0:
        if problems is not None:
            problems.append(unreadable)
        return frozenset()
    try:
        uri = path.resolve().as_uri() + "?mode=ro"
        with closing(sqlite3.connect(uri, uri=True)) as conn:
            try:
                rows = conn.execute(
                    "SELECT name FROM centers WHERE center_id NOT IN "
                    "(SELECT center_id FROM registrations WHERE cycle_year = ?)", (config.year,)
                ).fetchall()
            except sqlite3.OperationalError:
                rows = conn.execute("SELECT name FROM centers").fetchall()
    except sqlite3.Error:
        if problems is not None:
            problems.append(unreadable)
        return frozenset()
    return frozenset(r[0] for r in rows if r[0])
