"""Format-A objects that give a key twice: which records of a line they make ambiguous.

A JSON parser keeps one of the two values (DuckDB the first, others the last), so the other is lost
silently. The SQL path checks every line it reads here; the compiled reader notices a repeated key while
parsing and hands the line to the SQL path. A key given twice in the envelope or in ``input`` makes every
record of the line a reject; in a record, or in one of its ``drugtracinfo`` items, that record.

>>> duplicate_keys('{"infno": "3505", "infno": "3506", "input": {}}')
[(None, 'infno')]
>>> duplicate_keys('{"infno": "3505A", "input": {"selinfoDetail": [{"fixmedins_bchno": "a"},'
...                ' {"fixmedins_bchno": "b", "drugtracinfo": [{"drug_trac_codg": "1", "drug_trac_codg": "2"}]}]}}')
[(2, 'drug_trac_codg')]
>>> duplicate_keys('{"infno": "3505", "input": {"selinfo": {"fixmedins_bchno": "a"}}}'), duplicate_keys("[1, 1]")
([], [])
"""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pyarrow as pa

from loaders.vocabulary import vocabulary

#: Columns of the table the normalisation SQL joins to a line's records (``rec`` null: every record).
FLAG_SCHEMA = pa.schema([("flag_file", pa.int32()), ("flag_line", pa.int64()), ("flag_rec", pa.int32()),
                         ("flag_field", pa.string()), ("flag_reason", pa.string())])


class _Pairs(list):
    """One JSON object as the (key, value) pairs its text gives, in order, repeats included."""


class _Repeated(Exception):
    """Some object of the text gives a key twice."""


def _unique(pairs: list) -> None:
    """The first pass: nothing is kept of an object, only a repeated key is noticed."""
    if len(pairs) > 1 and len({key for key, _ in pairs}) != len(pairs):
        raise _Repeated


_DECODER = json.JSONDecoder(object_pairs_hook=_Pairs)
_CHECKER = json.JSONDecoder(object_pairs_hook=_unique)


def key_flags(chunk: pa.Table) -> pa.Table:
    """The records of a (``file``, ``line_no``, ``text``) chunk that give a key twice (``FLAG_SCHEMA``)."""
    rows = []
    for file, line, text in zip(*(chunk.column(name).to_pylist() for name in ("file", "line_no", "text")),
                                strict=True):
        rows.extend((file, line, record, key, _reason(key, record)) for record, key in duplicate_keys(text))
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in FLAG_SCHEMA]
    return pa.table([pa.array(np.asarray(values) if i < 3 else values, field.type)
                     for i, (values, field) in enumerate(zip(columns, FLAG_SCHEMA, strict=True))],
                    schema=FLAG_SCHEMA)


def _reason(key: str, record: int | None) -> str:
    where = "报文" if record is None else f"第 {record} 条记录"
    place = "the envelope" if record is None else f"record {record}"
    return (f"{where}中键 {key} 出现两次 / key \"{key}\" given twice in {place}: expected each key once; "
            "export the record again")


def duplicate_keys(text: str) -> list[tuple[int | None, str]]:
    """(record index, or None for every record of the line; the key) for each record a repeated key makes
    ambiguous, the records numbered as the normalisation numbers them. Text that is not a JSON object
    gives none (the normalisation reports it). A first pass over the whole text keeps nothing; only a
    text with a repeated key somewhere is read again, as pairs."""
    text = text.lstrip("\ufeff")
    try:
        _CHECKER.decode(text)
        return []
    except _Repeated:
        pass
    except (ValueError, RecursionError):  # not JSON, or nested deeper than Python reads
        return []
    try:
        envelope = _DECODER.decode(text)
    except (ValueError, RecursionError):
        return []
    if not isinstance(envelope, _Pairs):
        return []
    body = dict(envelope).get("input")
    if isinstance(body, str):
        try:
            body = _DECODER.decode(body)
        except (ValueError, RecursionError):
            body = None
    key = _repeated(envelope) or (_repeated(body) if isinstance(body, _Pairs) else None)
    if key:
        return [(None, key)]
    records = _records(body) if isinstance(body, _Pairs) else []
    return [(index, key) for index, record in records if (key := _repeated_in_record(record))]


def _repeated(pairs: _Pairs) -> str | None:
    """The first key of an object given a second time, in text order."""
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            return key
        seen.add(key)
    return None


def _repeated_in_record(record: _Pairs) -> str | None:
    key = _repeated(record)
    if key:
        return key
    codes = dict(record).get("drugtracinfo")
    items = codes if isinstance(codes, list) else [codes]
    return next((key for item in items if isinstance(item, _Pairs) and (key := _repeated(item))), None)


def _records(body: _Pairs) -> list[tuple[int, _Pairs]]:
    """The records the normalisation reads from ``input``: the first standard node holding one, else the
    record in ``input`` itself or its first object or list value (``nhsa_json.GENERIC_MACROS``)."""
    fields = dict(body)
    for node in _node_names():
        value = fields.get(node)
        if node.endswith("Detail") and isinstance(value, list) and value:
            return _numbered(value)
        if isinstance(value, _Pairs) and any(dict(value).get(k) is not None for k in ("fixmedins_bchno",
                                                                                        "med_list_codg")):
            return [(1, value)]
    if "fixmedins_bchno" in fields or "med_list_codg" in fields:
        return [(1, body)]
    value = next((v for v in fields.values() if isinstance(v, (_Pairs, list))), None)
    return _numbered(value) if isinstance(value, list) else [(1, value)] if value is not None else []


@cache
def _node_names() -> tuple[str, ...]:
    return vocabulary().node_names


def _numbered(items: list) -> list[tuple[int, _Pairs]]:
    return [(index, item) for index, item in enumerate(items, start=1) if isinstance(item, _Pairs)]
