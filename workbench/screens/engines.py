"""Engines that run the screening SQL. A rule's SQL is written once (DuckDB dialect); each engine
adapter sees the same views (``events`` and the reference tables) and binds the parameters. Engine
differences live here and nowhere else.

>>> sorted(ENGINES)
['duckdb', 'spark']
"""

from __future__ import annotations

import os

import duckdb
import pyarrow as pa

from loaders.errors import BadInput
from loaders.recovery import settle
from loaders.workspace import Workspace
from workbench.screens.reference import reference_tables


class DuckDBEngine:
    """DuckDB, embedded (the default): events straight from the workspace's Parquet files."""

    name = "duckdb"

    def __init__(self, ws: Workspace) -> None:
        files = ws.event_files()
        limit = os.environ.get("TCW_SCREEN_MEMORY_LIMIT", "3GB")
        self.con = duckdb.connect(config={"memory_limit": limit})
        self.con.read_parquet(files).create_view("events")
        for name, table in reference_tables(ws).items():
            self.con.register(name, table)

    def register(self, name: str, table: pa.Table) -> None:
        """Let the SQL read ``table`` as ``name`` (replacing an earlier one of that name)."""
        self.con.register(name, table)

    def materialize(self, name: str, sql: str) -> None:
        """Compute a shared view once, as a temporary table the rules then read."""
        assert name.isidentifier()
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")

    def run(self, sql: str, params: dict) -> pa.Table:
        """The rows of one rule's SQL with its parameters bound."""
        return self.con.sql(sql, params=params).to_arrow_table()

    def close(self) -> None:
        self.con.close()


class SparkEngine:
    """Spark (PySpark, local mode here; a cluster for data that outgrows one machine). The rules' SQL is
    translated from the DuckDB dialect by sqlglot; parameters stay bound (``:name`` markers)."""

    name = "spark"

    def __init__(self, ws: Workspace) -> None:
        files = ws.event_files()
        self.spark = spark_session()
        self.cached = []
        self.registered: set[str] = set()
        self.spark.read.parquet(*files).createOrReplaceTempView("events")
        for name, table in reference_tables(ws).items():
            self.spark.createDataFrame(table.to_pandas(), schema=_spark_schema(table.schema)).createOrReplaceTempView(name)

    def register(self, name: str, table: pa.Table) -> None:
        """Let the SQL read ``table`` as ``name`` (replacing an earlier one of that name)."""
        frame = self.spark.createDataFrame(table.to_pandas(), schema=_spark_schema(table.schema))
        frame.createOrReplaceTempView(name)
        self.registered.add(name)

    def materialize(self, name: str, sql: str) -> None:
        """Compute a shared view once (translated), cached for the rules that read it."""
        frame = self.spark.sql(_spark_sql(sql)).cache()
        frame.createOrReplaceTempView(name)
        self.cached.append((name, frame))

    def run(self, sql: str, params: dict) -> pa.Table:
        """The rows of one rule's SQL (translated) with its parameters bound, timestamps without zone."""
        found = self.spark.sql(_spark_sql(sql), args=params).toArrow()
        columns = [column.cast(pa.timestamp("us")) if pa.types.is_timestamp(column.type) else column
                   for column in found.columns]
        return pa.Table.from_arrays(columns, names=found.column_names)

    def close(self) -> None:
        for name, frame in self.cached:
            frame.unpersist()
            self.spark.catalog.dropTempView(name)
        for name in ("events", "products", "product_prefixes", "institutions", *self.registered):
            self.spark.catalog.dropTempView(name)


def spark_session():
    """One local Spark session per process (UTC, no web UI, few shuffle partitions: this is one machine)."""
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master(os.environ.get("TCW_SPARK_MASTER", "local[2]")).appName("tcw-screens")
            .config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "4").config("spark.driver.memory", "2g")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    return session


def _spark_sql(sql: str) -> str:
    import sqlglot

    return sqlglot.transpile(sql, read="duckdb", write="spark")[0]


def _spark_schema(schema: pa.Schema):
    from pyspark.sql import types

    kinds = {pa.string(): types.StringType(), pa.float64(): types.DoubleType(), pa.bool_(): types.BooleanType()}
    return types.StructType([types.StructField(f.name, kinds[f.type], True) for f in schema])


ENGINES = {"duckdb": DuckDBEngine, "spark": SparkEngine}


def engine(name: str, ws: Workspace):
    """An engine by name, over a workspace that has events."""
    if name not in ENGINES:
        raise BadInput(f"未知引擎 / unknown engine {name!r}", hint=f"engines: {', '.join(ENGINES)}")
    settle(ws)
    if not ws.event_files():
        raise BadInput("工作区没有事件 / the workspace has no events", path=str(ws.root), hint="run tcw ingest first")
    return ENGINES[name](ws)
