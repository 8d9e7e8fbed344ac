"""Small DuckDB helpers shared by the loaders (parameters are always bound, never pasted)."""

from __future__ import annotations

import duckdb


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None):
    """The single value a query returns.

    >>> scalar(duckdb.connect(), "SELECT $a + 1", {"a": 41})
    42
    """
    return con.execute(sql, params or {}).fetchall()[0][0]


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> list[tuple]:
    """All rows a query returns, as tuples."""
    return con.execute(sql, params or {}).fetchall()


def run(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> None:
    """Run a statement (COPY, CREATE …) to completion."""
    con.execute(sql, params or {}).fetchall()
