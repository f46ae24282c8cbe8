"""The regulation as code: pure functions over plain rows and dataclasses.

Nothing in this package imports openpyxl, docxtpl, click, sqlite3, jsonschema
or xlwings; ``tests/test_architecture.py`` keeps that boundary honest.
"""
