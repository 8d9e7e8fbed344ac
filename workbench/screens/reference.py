"""The reference tables screens read, typed, from the workspace (empty with the same columns when the
workspace has none): ``products``, ``product_prefixes`` (one row per known trace-code prefix) and
``institutions``. Small, so they are built here once and handed to any engine.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from loaders.workspace import Workspace

PRODUCTS = pa.schema([("med_list_codg", pa.string()), ("name", pa.string()), ("units_per_pack", pa.float64()),
                      ("unit_price", pa.float64()), ("trace_prefixes", pa.string()), ("exempt", pa.bool_())])
PREFIXES = pa.schema([("prefix", pa.string()), ("med_list_codg", pa.string())])
INSTITUTIONS = pa.schema([("code", pa.string()), ("name", pa.string()), ("type", pa.string()),
                          ("region", pa.string()), ("chain", pa.string())])
_TRUE = ("1", "true", "yes", "y", "是", "t")


def reference_tables(ws: Workspace) -> dict[str, pa.Table]:
    """``products``, ``product_prefixes`` and ``institutions`` as typed Arrow tables."""
    products = _products(ws)
    return {"products": products, "product_prefixes": _prefixes(products), "institutions": _institutions(ws)}


def _read(ws: Workspace, kind: str) -> pa.Table | None:
    path = ws.reference_path(kind)
    return pq.read_table(path) if path.exists() else None


def _products(ws: Workspace) -> pa.Table:
    raw = _read(ws, "products")
    if raw is None:
        return PRODUCTS.empty_table()
    column = lambda name: raw[name] if name in raw.column_names else pa.nulls(raw.num_rows, pa.string())  # noqa: E731
    number = lambda name: pc.cast(pc.if_else(pc.match_substring_regex(column(name), r"^\s*[0-9.]+\s*$"),  # noqa: E731
                                             pc.utf8_trim_whitespace(column(name)), None), pa.float64())
    exempt = pc.is_in(pc.utf8_lower(pc.utf8_trim_whitespace(column("exempt"))), value_set=pa.array(_TRUE))
    return pa.table([column("med_list_codg"), column("name"), number("units_per_pack"), number("unit_price"),
                     column("trace_prefixes"), pc.fill_null(exempt, False)], schema=PRODUCTS)


def _prefixes(products: pa.Table) -> pa.Table:
    pairs = {(prefix.strip(), med)
             for med, prefixes in zip(products["med_list_codg"].to_pylist(), products["trace_prefixes"].to_pylist(),
                                      strict=True)
             for prefix in (prefixes or "").replace(",", "|").replace(";", "|").split("|") if prefix.strip() and med}
    ordered = sorted(pairs)
    return pa.table([pa.array([p for p, _ in ordered], pa.string()), pa.array([m for _, m in ordered], pa.string())],
                    schema=PREFIXES)


def _institutions(ws: Workspace) -> pa.Table:
    raw = _read(ws, "institutions")
    if raw is None:
        return INSTITUTIONS.empty_table()
    columns = [raw[name] if name in raw.column_names else pa.nulls(raw.num_rows, pa.string()) for name in INSTITUTIONS.names]
    return pa.table(columns, schema=INSTITUTIONS)
