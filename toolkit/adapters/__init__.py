"""Thin adapters: files in, rows out; results in, files out (Excel, Word, SQLite, xlwings)."""
