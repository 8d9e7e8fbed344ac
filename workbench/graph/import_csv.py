"""CSV files for ``neo4j-admin database import`` written column by column through Arrow: one node file
per label and one relationship file per declared link, each with the header the import reads (node ids
are integers, ``--id-type=actual``; the key is an ordinary property beside them).

>>> node_header(schema().label("Product"))
[':ID(Product)', 'med_list_codg:string', 'name:string']
>>> text_column([1.5, float("-inf"), None], "float").to_pylist()
['1.5', '-Infinity', None]
>>> text_column([datetime(2025, 6, 1, 9)], "datetime").to_pylist()
['2025-06-01T09:00:00.000000']
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from workbench.graph.neo4j_write import identifier
from workbench.graph.schema import Label, Link, schema

#: neo4j-admin column types of the schema's property types.
IMPORT_TYPES = {"string": "string", "integer": "long", "float": "double", "boolean": "boolean",
                "datetime": "localdatetime"}
ARROW_TYPES = {"string": pa.string(), "integer": pa.int64(), "float": pa.float64(), "boolean": pa.bool_(),
               "datetime": pa.timestamp("us")}
#: Header names as they are (they are plain identifiers), every string cell quoted (newlines stay inside).
WRITE_OPTIONS = pa_csv.WriteOptions(quoting_header="none", batch_size=65_536)


def node_header(label: Label) -> list[str]:
    """A node file's header: the integer id, the key, then every other property with its type."""
    return [f":ID({identifier(label.name)})", *(_typed(p.name, p.type) for p in key_first(label))]


def relationship_header(link: Link) -> list[str]:
    return [f":START_ID({identifier(link.start)})", f":END_ID({identifier(link.end)})",
            *(_typed(p.name, p.type) for p in schema().relationship(link.type).properties)]


def _typed(name: str, kind: str) -> str:
    return f"{identifier(name)}:{IMPORT_TYPES[kind]}"


def key_first(label: Label) -> list:
    """The label's properties, its key first (the order of a node file's columns)."""
    key = [p for p in label.properties if p.name == label.key]
    return key + [p for p in label.properties if p.name != label.key]


def text_column(values: Sequence, kind: str) -> pa.Array:
    """A property column as import text: read as the declared Arrow type, then written the way the
    import parses it (times in ISO form, infinities as Java writes them); a value not of the declared
    type is written as its text (the transactional writer stores it as given)."""
    try:
        column = pa.array(values, type=ARROW_TYPES[kind], from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError):
        return pa.array([_text(value) for value in values], type=pa.string())
    if kind == "datetime":
        return pc.strftime(column, "%Y-%m-%dT%H:%M:%S")
    text = column.cast(pa.string())
    return pc.replace_substring(text, "inf", "Infinity") if kind == "float" else text


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float) and math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return str(value)


def property_columns(properties: Sequence, rows: Sequence[dict]) -> list[pa.Array]:
    """The columns of ``properties`` (schema properties) read from element rows."""
    return [text_column([row.get(p.name) for row in rows], p.type) for p in properties]


class CsvFiles:
    """One open CSV writer per label and per link, each file started with its header; the paths are
    recorded in ``files`` (an ``ImportFiles``) as they are opened."""

    def __init__(self, folder: Path, files) -> None:
        self.folder, self.files, self._open = folder, files, {}

    def nodes(self, label: str, ids: pa.Array, columns: Sequence[pa.Array]) -> None:
        """Nodes of ``label``: their integer ``ids``, then the key and property columns (``key_first``)."""
        self._write(label, [ids, *columns], node_header(schema().label(label)), f"node-{label}.csv")

    def links(self, link: Link, starts: pa.Array, ends: pa.Array, properties: Sequence[pa.Array]) -> None:
        """Relationships of ``link`` between node ids, with their property columns."""
        self._write(link, [starts, ends, *properties], relationship_header(link),
                    f"rel-{link.type}-{link.start}-{link.end}.csv")

    def _write(self, name: object, columns: list[pa.Array], header: list[str], file_name: str) -> None:
        if not len(columns[0]):
            return
        table = pa.Table.from_arrays(columns, names=header)
        if name not in self._open:
            path = self.folder / file_name
            if isinstance(name, Link):
                self.files.relationships.append((name.type, path))
            else:
                self.files.nodes[name] = path
            self._open[name] = pa_csv.CSVWriter(str(path), table.schema, write_options=WRITE_OPTIONS)
        self._open[name].write_table(table)

    def close(self) -> None:
        for writer in self._open.values():
            writer.close()
