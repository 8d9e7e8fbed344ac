"""Engines that run the screening SQL. A rule's SQL is written once (DuckDB dialect); each engine
adapter sees the same views (``events`` and the reference tables) and binds the parameters. Engine
differences live here and nowhere else.

>>> sorted(ENGINES)
['duckdb']
"""

from __future__ import annotations

import os

import duckdb
import pyarrow as pa

from loaders.errors import BadInput
from loaders.workspace import Workspace
from workbench.screens.reference import reference_tables


class DuckDBEngine:
    """DuckDB, embedded (the default): events straight from the workspace's Parquet files."""

    name = "duckdb"

    def __init__(self, ws: Workspace) -> None:
        files = ws.event_files()
        if not files:
            raise BadInput("工作区没有事件 / the workspace has no events", path=str(ws.root),
                           hint="run tcw ingest first")
        limit = os.environ.get("TCW_SCREEN_MEMORY_LIMIT", "3GB")
        self.con = duckdb.connect(config={"memory_limit": limit})
        self.con.read_parquet(files).create_view("events")
        for name, table in reference_tables(ws).items():
            self.con.register(name, table)

    def run(self, sql: str, params: dict) -> pa.Table:
        """The rows of one rule's SQL with its parameters bound."""
        return self.con.sql(sql, params=params).to_arrow_table()

    def close(self) -> None:
        self.con.close()


ENGINES = {"duckdb": DuckDBEngine}


def engine(name: str, ws: Workspace):
    """An engine by name."""
    if name not in ENGINES:
        raise BadInput(f"未知引擎 / unknown engine {name!r}", hint=f"engines: {', '.join(ENGINES)}")
    return ENGINES[name](ws)
