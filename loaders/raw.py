"""The raw-record table every reader produces: NHSA field names, text values, where each came from.

A reader's only job is to turn its format into batches of this shape; ``normalize`` does the rest
once for all formats. Values stay text here, so a bad value reaches ``normalize`` intact and is
rejected there with its field named.

>>> "sel_retn_time" in RAW_TEXT_COLUMNS and "codes" not in RAW_TEXT_COLUMNS
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pyarrow as pa

from loaders.vocabulary import vocabulary

#: Record and envelope fields, all text. ``drug_trac_codg`` is carried as the ``codes`` list instead.
RAW_TEXT_COLUMNS: tuple[str, ...] = tuple(
    name
    for name in (*vocabulary().envelope_fields, *vocabulary().record_fields)
    if name != "drug_trac_codg"
)

#: Where a record came from and whether its reader already found it unusable.
RAW_META = pa.schema(
    [
        ("_file", pa.int32()),
        ("_line", pa.int64()),
        ("_rec", pa.int32()),
        ("_error", pa.string()),
        ("_error_field", pa.string()),
        ("_source_text", pa.string()),
        ("codes", pa.list_(pa.string())),
    ]
)

RAW_SCHEMA = pa.schema([*RAW_META, *(pa.field(name, pa.string()) for name in RAW_TEXT_COLUMNS)])


def with_file(table: pa.Table, file_index: int) -> pa.Table:
    """The same raw table with every row marked as coming from file ``file_index`` of the run."""
    position = table.schema.get_field_index("_file")
    column = pa.array([file_index] * table.num_rows, pa.int32())
    return table.set_column(position, "_file", column)


def raw_table(columns: Mapping[str, Iterable], length: int) -> pa.Table:
    """Build a raw-record table from the given columns; missing ones are all-null.

    >>> raw_table({"_line": [2], "infno": ["3505"], "codes": [["8" * 20]]}, 1).num_rows
    1
    """
    arrays = []
    for field in RAW_SCHEMA:
        values = columns.get(field.name)
        if values is None:
            arrays.append(pa.nulls(length, field.type))
        elif isinstance(values, (pa.Array, pa.ChunkedArray)):
            arrays.append(values.cast(field.type))
        else:
            arrays.append(pa.array(values, field.type))
    return pa.Table.from_arrays(arrays, schema=RAW_SCHEMA)


def error_rows(errors: list[tuple[int, str, str, str]], file_index: int = 0) -> pa.Table:
    """Raw rows for records a reader could not read: (line, field, reason, source text) each."""
    return raw_table(
        {
            "_file": [file_index] * len(errors),
            "_line": [error[0] for error in errors],
            "_rec": [1] * len(errors),
            "_error_field": [error[1] for error in errors],
            "_error": [error[2] for error in errors],
            "_source_text": [error[3] for error in errors],
        },
        len(errors),
    )
