"""Names of the centers already in the ledger (A10.7.NAME), read without taking the ledger lock."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from toolkit.core.config import Config


def existing_center_names(config: Config) -> frozenset[str]:
    """Every center name in the ledger, except centers registered in this very cycle.

    Those came from this cycle's applications: re-checking the same workbook after
    ``tic ledger register`` must not call them duplicates of themselves.
    """
    path = config.ledger_path
    if not path.is_file():
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
        return frozenset()
    return frozenset(r[0] for r in rows if r[0])
