"""Reference tables (institutions, products, pack relations): read with Chinese or English headers.

>>> reference_kind(("机构编码", "机构类型", "区划代码"))
'institutions'
>>> reference_kind(("parent_code", "child_code"))
'pack_relations'
>>> reference_kind(("接口编号", "追溯码")) is None
True
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from loaders.db import run
from loaders.errors import BadInput
from loaders.vocabulary import declarations, normalize_header


def reference_specs() -> dict:
    """The ``reference`` section of ``fields.yaml``."""
    return declarations()["reference"]


def reference_kind(headers) -> str | None:
    """The reference table these headers make, or None."""
    for kind, spec in reference_specs().items():
        found = set(column_map(headers, kind).values())
        if set(spec["required"]) <= found:
            return kind
    return None


def column_map(headers, kind: str) -> dict[int, str]:
    """Header position → reference column, for the headers that name one."""
    index = {}
    for column, aliases in reference_specs()[kind]["columns"].items():
        for name in (column, *aliases):
            index.setdefault(normalize_header(name), column)
    mapping: dict[int, str] = {}
    for position, header in enumerate(headers):
        column = index.get(normalize_header(header))
        if column and column not in mapping.values():
            mapping[position] = column
    return mapping


def read_reference(path: Path, kind: str, container: str, encoding: str) -> pa.Table:
    """A reference file as a table of its declared columns (all text; missing ones empty)."""
    import pandas as pd

    if container == "xlsx":
        frame = pd.read_excel(path, dtype=str, keep_default_na=False)
    else:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding, sep=None, engine="python")
    mapping = column_map(list(frame.columns), kind)
    columns = reference_specs()[kind]["columns"]
    data = {name: [None] * len(frame) for name in columns}
    for position, column in mapping.items():
        data[column] = [value.strip() or None for value in frame.iloc[:, position].tolist()]
    table = pa.table({name: pa.array(values, pa.string()) for name, values in data.items()})
    _check_keys(table, kind, path)
    return table


def _check_keys(table: pa.Table, kind: str, path: Path) -> None:
    for column in reference_specs()[kind]["key"]:
        missing = table[column].null_count
        if missing:
            raise BadInput(
                f"参考表 {kind} 有 {missing} 行缺少 {column} / {missing} rows lack the key column {column}",
                path=str(path),
                hint="fill the key column or remove those rows",
            )


def store_reference(con, tx, kind: str, table: pa.Table) -> bool:
    """Merge a reference table into the run's view of the workspace (a later row wins per key), staged
    in the run's transaction ``tx``; returns whether the reference changed (an unchanged one is not
    written again)."""
    name = f"{kind}.parquet"
    existing = tx.content("reference", name)
    key = reference_specs()[kind]["key"]
    assert all(k.isidentifier() for k in key)
    keys = ", ".join(key)
    con.register("incoming", table)
    try:
        sources = "SELECT *, 1 AS _order FROM incoming"
        params: dict = {}
        if existing:
            sources += " UNION ALL BY NAME SELECT *, 0 AS _order FROM read_parquet($existing)"
            params["existing"] = existing
        sql = (f"SELECT * EXCLUDE (_order) FROM ({sources}) "
               f"QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY _order DESC) = 1 ORDER BY {keys}")
        target = tx.new_path("reference", name)
        run(con, f"COPY ({sql}) TO $target (FORMAT parquet)", params | {"target": str(target)})
    finally:
        con.unregister("incoming")
    if existing and _same_rows(con, existing, str(target)):
        target.unlink()
        return False
    tx.add("reference", name, target)
    return True


def _same_rows(con, old: str, new: str) -> bool:
    """True when two reference files hold the same rows."""
    sql = ("SELECT count(*) FROM ((FROM read_parquet($a) EXCEPT ALL FROM read_parquet($b)) "
           "UNION ALL (FROM read_parquet($b) EXCEPT ALL FROM read_parquet($a)))")
    return con.execute(sql, {"a": old, "b": new}).fetchall()[0][0] == 0
