"""Leads (contract §3): one row per suspicious finding, with a stable id, the parameters it was found
with and a sentence in Chinese and English; written as CSV, Parquet or JSON by the file's extension.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from loaders.atomic import atomic_path
from loaders.errors import BadInput
from workbench.screens.privacy import PERSONAL, pseudonym
from workbench.screens.rules import Rule
from workbench.spreadsheet import FORMULA_START

KEY = ("trace_code", "institution_code", "institutions", "med_list_codg", "first_time", "last_time", "event_count",
       "amount")
SCHEMA = pa.schema([
    ("lead_id", pa.string()), ("scenario", pa.string()), ("rule_id", pa.string()), ("score", pa.float64()),
    ("trace_code", pa.string()), ("institution_code", pa.string()), ("institutions", pa.string()),
    ("med_list_codg", pa.string()), ("first_time", pa.timestamp("us")), ("last_time", pa.timestamp("us")),
    ("event_count", pa.int64()), ("amount", pa.float64()), ("params", pa.string()),
    ("explanation_zh", pa.string()), ("explanation_en", pa.string()), ("details", pa.string()),
])  # fmt: skip
#: The leads file formats, by extension.
LEAD_SUFFIXES = (".csv", ".parquet", ".json")


def leads_of(rule: Rule, params: dict, found: pa.Table, key: bytes) -> list[dict]:
    """The leads of one rule from the rows its SQL returned; persons under pseudonyms made with ``key``."""
    params_json = json.dumps(params, sort_keys=True)
    leads = []
    for row in found.to_pylist():
        row = {k: pseudonym(v, key) if k in PERSONAL and v else _plain(v) for k, v in row.items()}
        values = {name: _stored(row.get(name)) for name in KEY}
        details = {k: _stored(v) for k, v in row.items() if k not in KEY and k != "score"}
        identity = json.dumps([rule.id, params_json, values["trace_code"], values["institution_code"],
                               values["institutions"], values["med_list_codg"]], ensure_ascii=False)
        zh, en = explain(rule, row)
        leads.append({"lead_id": f"{rule.id[:3].upper()}-{hashlib.sha256(identity.encode()).hexdigest()[:16]}",
                      "scenario": rule.scenario, "rule_id": rule.id, "score": checked_score(rule, row["score"]),
                      **values, "amount": round(float(values["amount"] or 0), 2), "params": params_json,
                      "explanation_zh": zh, "explanation_en": en,
                      "details": json.dumps(details, sort_keys=True, ensure_ascii=False, default=str,
                                            allow_nan=False)})
    return leads


class ScoreError(ValueError):
    """A rule scored a lead outside 0–1: a mistake in the rule's SQL, not in the data or the parameters."""


def checked_score(rule: Rule, value: object) -> float:
    """A lead's score, rounded; ``ScoreError`` unless it is a number within 0–1 (contract §3).

    >>> from workbench.screens.rules import rules
    >>> checked_score(rules()["reflux"], 0.7)
    0.7
    >>> checked_score(rules()["phantom_sale"], -9.0)
    Traceback (most recent call last):
    ...
    workbench.screens.leads.ScoreError: rule phantom_sale scored a lead -9.0, outside 0–1
    """
    score = float(value) if value is not None else math.nan
    if not 0.0 <= score <= 1.0:
        raise ScoreError(f"rule {rule.id} scored a lead {value}, outside 0–1")
    return round(score, 6)


def _plain(value):
    """Numbers as every engine gives them: DuckDB sums integers as 128-bit decimals without a fraction
    (→ int), Spark computes with fractional decimals where DuckDB uses doubles (→ float), and engines add
    floats in different orders (→ rounded to 9 decimals)."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            return float(value)
        return int(value) if value.as_tuple().exponent >= 0 else round(float(value), 9)
    if isinstance(value, float):
        return round(value, 9) if math.isfinite(value) else value
    return value


def _stored(value):
    """A value as a lead stores it: a number that is not finite (NaN, ±infinity) has no place in strict
    JSON (nor in an amount) and becomes None; the sentences still say what the rule found.

    >>> _stored(1.5), _stored(float("inf")), _stored(float("nan")), _stored("x")
    (1.5, None, None, 'x')
    """
    return None if isinstance(value, float) and not math.isfinite(value) else value


def explain(rule: Rule, row: dict) -> tuple[str, str]:
    """The rule's sentence in Chinese and English, with the fragments whose column has a value."""
    values = {k: (0 if v is None and isinstance(k, str) and k in ("amount",) else v) for k, v in row.items()}
    sentences = []
    for language, template in (("zh", rule.explanation_zh), ("en", rule.explanation_en)):
        text = template.format(**values)
        for column, fragment in rule.fragments.items():
            if values.get(column) not in (None, ""):
                text += fragment[language].format(**values)
        sentences.append(text)
    return sentences[0], sentences[1]


def leads_table(leads: list[dict]) -> pa.Table:
    """All leads, the strongest first (ties by id, so the order is stable)."""
    ordered = sorted(leads, key=lambda lead: (-lead["score"], lead["lead_id"]))
    return pa.Table.from_pylist(ordered, schema=SCHEMA)


def write_leads(table: pa.Table, path: Path) -> None:
    """Write leads by the file's extension (``LEAD_SUFFIXES``), atomically (a reader sees the old file or
    the new one): ``.csv`` (UTF-8 with BOM, for Excel; cells that a spreadsheet would run as a formula are
    quoted with ``'``), ``.parquet`` or ``.json`` (a list of objects)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in LEAD_SUFFIXES:
        raise BadInput(f"不支持的线索文件格式 / unsupported leads file {path.name}", path=str(path),
                       hint="use .csv, .parquet or .json")
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temporary:
        if suffix == ".parquet":
            pq.write_table(table, temporary, compression="zstd")
        elif suffix == ".json":
            rows = [{k: v.isoformat(sep=" ") if isinstance(v, datetime) else v for k, v in row.items()}
                    for row in table.to_pylist()]
            temporary.write_text(json.dumps(rows, ensure_ascii=False, indent=1, allow_nan=False), encoding="utf-8")
        else:
            with open(temporary, "wb") as handle:
                handle.write(b"\xef\xbb\xbf")
                pacsv.write_csv(_spreadsheet_safe(table), handle)


def spreadsheet_safe(value: object) -> object:
    r"""Text that a spreadsheet would run as a formula (it starts with one of ``FORMULA_START``, the list
    the XLSX writer uses too), with a leading ``'``; anything else as it is.

    >>> spreadsheet_safe("=HYPERLINK(1)"), spreadsheet_safe("P500"), spreadsheet_safe(3)
    ("'=HYPERLINK(1)", 'P500', 3)
    >>> spreadsheet_safe("＝1+1"), spreadsheet_safe("\n=1"), spreadsheet_safe(-2.5)
    ("'＝1+1", "'\n=1", -2.5)
    """
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_START) else value


def _spreadsheet_safe(table: pa.Table) -> pa.Table:
    """Text cells starting like a formula get a leading ``'`` (formula injection)."""
    columns = []
    for column in table.columns:
        if pa.types.is_string(column.type):
            values = [spreadsheet_safe(v) for v in column.to_pylist()]
            column = pa.array(values, pa.string())
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)
