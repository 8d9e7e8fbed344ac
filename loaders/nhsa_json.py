"""Format A, ``nhsa-json``: interface request envelopes (3501–3507) as institutions send them.

The Python side only cuts the file into numbered lines; DuckDB unpacks them, vectorised. Lines in
the standard shape (record node ``selinfo``/``invinfo``/``purcinfo``/``data`` as an object, or a
``…Detail`` list) are unpacked by one typed parse; any other shape (a list under ``selinfo``, an
unknown node name, ``input`` sent as a JSON string, a record directly in ``input``) goes through a
generic path. One JSON array, or pretty-printed envelopes, are streamed with ijson. A line that is
not JSON becomes a reject; nothing is dropped silently.

``source_sql()`` is the SELECT the normaliser reads raw records from (it expects a table ``chunk``
of ``file``, ``line_no``, ``text`` and a table ``key_flags`` of the records ``loaders/json_keys.py`` found
ambiguous).
"""

from __future__ import annotations

import codecs
import io
import mmap
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import duckdb
import ijson
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from loaders import native
from loaders.encoding import decode_lines, undecodable
from loaders.raw import RAW_TEXT_COLUMNS, error_rows
from loaders.vocabulary import vocabulary

CHUNK_BYTES = 64 << 20
ENVELOPE = ("infno", "fixmedins_code", "fixmedins_name", "inf_time")
RECORD_FIELDS = tuple(name for name in RAW_TEXT_COLUMNS if name not in ENVELOPE)

_SOURCE_SQL = """
WITH typed AS (SELECT file, line_no, text AS t, json_transform(text, $standard_type) AS e FROM chunk),
standard AS (
  SELECT file, line_no, t, e.infno, e.fixmedins_code AS env_code, e.fixmedins_name AS env_name, e.inf_time,
         {node_pick} AS recs
  FROM typed),
unpacked AS (
  SELECT file, line_no, t, infno, env_code, env_name, inf_time,
         unnest(list_transform(
           CASE WHEN len(recs) > 0 THEN recs
                ELSE coalesce(nullif(tcw_generic_records(t, $record_type, $record_list_type), []), [NULL]) END,
           lambda r, i: {{'r': r, 'i': i}})) AS u
  FROM standard),
flat AS (SELECT file, line_no, t, infno, env_code, env_name, inf_time, u.r AS r, u.i AS i FROM unpacked)
SELECT file AS _file, line_no AS _line, i::INTEGER AS _rec,
  CASE WHEN flag_reason IS NOT NULL THEN flag_reason
       WHEN r IS NULL AND json_type(t) <> 'OBJECT'
         THEN format('该行不是报文对象 / the line is a JSON {{}}, not an interface envelope: expected one object per line',
                     CASE json_type(t) WHEN 'ARRAY' THEN 'array' WHEN 'VARCHAR' THEN 'string' WHEN 'NULL' THEN 'null'
                                       WHEN 'BOOLEAN' THEN 'true or false' ELSE 'number' END)
       WHEN r IS NULL THEN '报文中没有可读的记录 / envelope carries no record object' END AS _error,
  CASE WHEN flag_reason IS NOT NULL THEN flag_field
       WHEN r IS NULL AND json_type(t) <> 'OBJECT' THEN '(line)'
       WHEN r IS NULL THEN 'input' END AS _error_field,
  CASE WHEN flag_reason IS NOT NULL OR r IS NULL THEN rtrim(t, chr(13) || chr(10)) END AS _source_text,
  list_filter(list_concat(
    CASE WHEN r.drugtracinfo IS NULL THEN []
         WHEN left(ltrim(r.drugtracinfo), 1) = '['
           THEN tcw_code_list(r.drugtracinfo, json_extract_string(r.drugtracinfo, '$[*].drug_trac_codg'))
         WHEN left(ltrim(r.drugtracinfo), 1) = '{{' THEN [r.drugtracinfo->>'$.drug_trac_codg']
         ELSE [r.drugtracinfo->>'$'] END,
    [r.drug_trac_codg]), lambda c: c IS NOT NULL AND trim(c) <> '') AS codes,
  infno, coalesce(nullif(r.fixmedins_code, ''), env_code) AS fixmedins_code,
  coalesce(nullif(r.fixmedins_name, ''), env_name) AS fixmedins_name, inf_time,
  {record_columns}
FROM flat LEFT JOIN key_flags ON flag_file = file AND flag_line = line_no AND (flag_rec IS NULL OR flag_rec = i)
"""

# The generic path, for envelopes not in the standard shape: the record node is the first object or
# list value of ``input`` (``input`` itself when it holds the record; ``input`` may be a JSON string).
GENERIC_MACROS = (
    """CREATE OR REPLACE MACRO tcw_input_map(t) AS coalesce(
         json_transform(t, '{"input": "MAP(VARCHAR, JSON)"}').input,
         CASE WHEN json_type(t, '$.input') = 'VARCHAR'
              THEN json_transform(t->>'$.input', '"MAP(VARCHAR, JSON)"') END)""",
    """CREATE OR REPLACE MACRO tcw_node(t, m) AS
         CASE WHEN map_contains(m, 'fixmedins_bchno') OR map_contains(m, 'med_list_codg')
              THEN coalesce(t->'$.input', t->>'$.input')
              ELSE list_filter(map_values(m), lambda v: left(ltrim(v), 1) IN ('{', '['))[1] END""",
    """CREATE OR REPLACE MACRO tcw_records(node, record_type, list_type) AS
         CASE WHEN node IS NULL THEN []
              WHEN left(ltrim(node), 1) = '[' THEN coalesce(json_transform(node, list_type), [])
              ELSE [json_transform(node, record_type)] END""",
    # one parse for the usual [{"drug_trac_codg": …}, …]; element by element when an element may be a plain
    # string or an object with other keys (a quote right after '[' or ',')
    """CREATE OR REPLACE MACRO tcw_code_list(list_json, codes) AS
         CASE WHEN NOT regexp_matches(list_json, '[\\[,]\\s*"') THEN codes
              ELSE list_transform(json_extract(list_json, '$[*]'),
                                  lambda x: coalesce(x->>'$.drug_trac_codg', x->>'$')) END""",
    """CREATE OR REPLACE MACRO tcw_generic_records(t, record_type, list_type) AS
         tcw_records(tcw_node(t, tcw_input_map(t)), record_type, list_type)""",
)


def line_blocks(path: Path, block_bytes: int = CHUNK_BYTES) -> Iterator[tuple[int, int, int]]:
    """Cut a newline-delimited file into (offset, length, first line number) blocks of whole lines of
    about ``block_bytes``.

    Only counts newlines, so blocks can be read and unpacked by several workers in parallel; a file
    of one block is not read here at all.
    """
    size = path.stat().st_size
    if size <= block_bytes:
        yield 0, size, 1
        return
    offset, line_no = 0, 1
    with open(path, "rb") as handle:
        while block := handle.read(block_bytes):
            if not block.endswith(b"\n"):
                block += handle.readline()
            yield offset, len(block), line_no
            offset += len(block)
            line_no += block.count(b"\n")


def block_bytes(path: Path, offset: int, length: int, encoding: str) -> tuple[bytes, list[tuple[int, bytes]]]:
    """One block of whole lines as UTF-8 (a byte-order mark at the start of the file dropped), and the
    (position in the block from 0, bytes) of its lines that do not decode, left empty in the block. A
    UTF-8 block is not checked here: its readers check each line (:func:`undecodable_rows`)."""
    with open(path, "rb") as handle:
        handle.seek(offset)
        block = handle.read(length)
    if offset == 0:
        block = block.removeprefix(b"\xef\xbb\xbf")
    if encoding in ("utf-8", "utf-8-sig"):
        return block, []
    return decode_lines(block, encoding)


def read_block(path: Path, offset: int, length: int, first_line: int, encoding: str,
               file_index: int = 0) -> tuple[pa.Table, pa.Table]:
    """The non-blank lines of one block as a (``file``, ``line_no``, ``text``) table for ``source_sql()``,
    and raw error rows for its lines that do not decode."""
    block, bad = block_bytes(path, offset, length, encoding)
    lines = _split_lines(block)
    numbers = np.arange(first_line, first_line + len(lines), dtype=np.int64)
    try:
        chunk, not_utf8 = _nonblank(pa.array(numbers), lines.cast(pa.string()), file_index), []
    except pa.ArrowInvalid:  # some line is not UTF-8: the lines one by one
        chunk, not_utf8 = lines_table(list(zip(numbers.tolist(), lines.to_pylist(), strict=True)), file_index)
    return chunk, undecodable_rows([(first_line + at, raw) for at, raw in bad] + not_utf8, encoding, file_index)


def _nonblank(numbers: pa.Array, texts: pa.Array, file_index: int) -> pa.Table:
    keep = pc.greater(pc.binary_length(pc.utf8_trim_whitespace(texts)), 0)
    return _chunk_table(numbers.filter(keep), texts.filter(keep), file_index)


def undecodable_rows(lines: list[tuple[int, bytes]], encoding: str, file_index: int) -> pa.Table:
    """Raw error rows for (line number, bytes) of lines that do not decode in the file's ``encoding``."""
    rows = [(number, "(line)", *undecodable(raw, encoding)) for number, raw in lines]
    return error_rows(rows, file_index)


def _split_lines(block: bytes) -> pa.Array:
    """Lines of a block as a binary array over the block's own buffer (no copy per line)."""
    data = np.frombuffer(block, np.uint8)
    ends = np.flatnonzero(data == 10) + 1
    if not len(ends) or ends[-1] != len(block):
        ends = np.append(ends, len(block))
    offsets = np.concatenate([[0], ends]).astype(np.int32)
    return pa.BinaryArray.from_buffers(pa.binary(), len(ends), [None, pa.py_buffer(offsets), pa.py_buffer(block)])


def is_line_delimited(path: Path, encoding: str) -> bool:
    """True for one envelope per line; False for a JSON array or pretty-printed envelopes."""
    with open(path, "rb") as handle:
        head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
        handle.seek(0)
        first = handle.readline().removeprefix(b"\xef\xbb\xbf")
    if head.startswith(b"["):
        return False
    return not first.strip() or _is_complete_json(first, encoding)


def read_streamed(path: Path, encoding: str, file_index: int = 0) -> Iterator[pa.Table]:
    """Chunks of a JSON array or pretty-printed envelopes; a broken tail becomes raw error rows."""
    with open(path, "rb") as handle:
        head = handle.read(4096)
        handle.seek(3 if head.startswith(b"\xef\xbb\xbf") else 0)  # the parser reads bytes: no byte-order mark
        array = head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"[")
        yield from _streamed_values(handle, encoding, array, file_index)


def scan_deletes(path: Path, encoding: str) -> Iterator[tuple[str, str, str, str]]:
    """(institution, fixmedins_bchno, inv_data_type, inf_time) of the file's 3507 deletes.

    A byte search finds candidate lines; only lines whose ``infno`` is a 3507 are parsed. Lines that do
    not parse are left to the normal path, which reports them.
    """
    if Path(path).stat().st_size == 0:
        return
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        if native.available():
            for start, end in native.tcw_native.delete_lines(data):
                yield from _deletes_in(data[start:end], encoding)
            return
        position = data.find(b"3507")
        while position != -1:
            start = data.rfind(b"\n", 0, position) + 1
            end = data.find(b"\n", position)
            end = len(data) if end == -1 else end
            line = data[start:end]
            if _DELETE_INFNO.search(line):
                yield from _deletes_in(line, encoding)
            position = data.find(b"3507", end)


_DELETE_INFNO = re.compile(rb'"infno"\s*:\s*"?3507')


def _deletes_in(raw: bytes, encoding: str) -> Iterator[tuple[str, str, str, str]]:
    """The deletes of one line; none from a line that does not decode (the reader rejects it)."""
    try:
        envelope = orjson.loads(raw.decode(encoding).lstrip("\ufeff"))
        body = envelope.get("input")
        body = orjson.loads(body) if isinstance(body, str) else body
    except (orjson.JSONDecodeError, AttributeError, UnicodeDecodeError):
        return
    if not isinstance(body, dict):
        return
    node = body if "fixmedins_bchno" in body else next((v for v in body.values() if isinstance(v, (dict, list))), None)
    for record in node if isinstance(node, list) else [node]:
        if isinstance(record, dict):
            code = str(record.get("fixmedins_code") or envelope.get("fixmedins_code") or "").strip().upper()
            bchno = str(record.get("fixmedins_bchno") or "").strip()
            kind = str(record.get("inv_data_type") or "").strip()
            if code and bchno and kind:
                yield code, bchno, kind, str(envelope.get("inf_time") or "").strip() or None


def malformed_lines(chunk: pa.Table, con: duckdb.DuckDBPyConnection) -> tuple[pa.Table, pa.Table]:
    """Split a chunk into (lines that are JSON, raw error rows for the lines that are not)."""
    con.register("chunk", chunk)
    try:
        valid = con.sql("SELECT json_valid(text) AS ok FROM chunk").to_arrow_table()
    finally:
        con.unregister("chunk")
    mask = valid.column("ok").fill_null(False)
    bad = chunk.filter(pc.invert(mask))
    errors = [_json_error(n, t) for n, t in zip(bad["line_no"].to_pylist(), bad["text"].to_pylist(), strict=True)]
    raw = error_rows(errors)
    return chunk.filter(mask), raw.set_column(raw.schema.get_field_index("_file"), "_file", bad["file"])


@cache
def source_sql() -> str:
    """The SELECT producing raw-record columns from table ``chunk`` (format A lines)."""
    assert all(name.isidentifier() for name in (*RECORD_FIELDS, *vocabulary().node_names))
    return _SOURCE_SQL.format(
        node_pick=_node_pick(),
        record_columns=",\n  ".join(f"r.{name} AS {name}" for name in RECORD_FIELDS),
    )


def _node_pick() -> str:
    """The first standard node holding a record; a record without row key and item code, or a
    node of the wrong shape, is left to the generic path (which reports what is missing)."""
    arms = []
    for node in vocabulary().node_names:
        if node.endswith("Detail"):
            arms.append(f"WHEN len(e.input.{node}) > 0 THEN e.input.{node}")
        else:
            field = f"e.input.{node}"
            arms.append(f"WHEN {field}.fixmedins_bchno IS NOT NULL OR {field}.med_list_codg IS NOT NULL THEN [{field}]")
    return "CASE " + " ".join(arms) + " ELSE [] END"


def source_params() -> dict:
    """The bound parameters of ``source_sql()``: JSON structure types for ``json_transform``."""
    record = _record_type()
    nodes = {n: ([record] if n.endswith("Detail") else record) for n in vocabulary().node_names}
    standard = {name: "VARCHAR" for name in ENVELOPE} | {"input": nodes}
    return {
        "standard_type": orjson.dumps(standard).decode(),
        "record_type": orjson.dumps(record).decode(),
        "record_list_type": orjson.dumps([record]).decode(),
    }


def _record_type() -> dict:
    record = {name: "VARCHAR" for name in (*RECORD_FIELDS, "fixmedins_code", "fixmedins_name")}
    return record | {"drugtracinfo": "JSON", "drug_trac_codg": "VARCHAR"}


def _streamed_values(handle, encoding: str, array: bool, file_index: int) -> Iterator[pa.Table]:
    """One JSON array or concatenated (pretty-printed) envelopes; 'line' = the value's ordinal. A value
    nested too deeply to write back is a reject; a broken tail is one."""
    stream = handle if encoding in ("utf-8", "utf-8-sig") else _Utf8Reader(handle, encoding)
    numbers: list[int] = []
    texts: list[bytes] = []
    deep: list[tuple[int, str, str, str]] = []
    ordinal = 0
    try:
        values = ijson.items(stream, "item" if array else "", multiple_values=not array, use_float=True)
        for ordinal, value in enumerate(values, start=1):  # noqa: B007 - ordinal is used after the loop
            try:
                texts.append(orjson.dumps(value))
            except TypeError as error:  # orjson writes 255 levels at most
                deep.append((ordinal, "(record)", f"JSON 嵌套过深 / value {ordinal} is nested too deeply: {error}", ""))
                continue
            numbers.append(ordinal)
            if len(texts) >= 50_000:
                yield _chunk_table(numbers, texts, file_index)
                numbers, texts = [], []
    except (ijson.JSONError, UnicodeDecodeError) as error:
        position = ordinal + 1
        reason = f"JSON 在第 {position} 个值处中断，其后无法读取 / JSON broken at value {position}: {error}"
        deep.append((position, "(file)", reason, ""))
    yield _chunk_table(numbers, texts, file_index)
    if deep:
        yield error_rows(deep, file_index)


class _Utf8Reader(io.RawIOBase):
    """A file in another encoding read as UTF-8 bytes (the JSON parser reads bytes); text that does not
    decode raises ``UnicodeDecodeError`` where it stands."""

    def __init__(self, handle, encoding: str) -> None:
        self.handle, self.decoder, self.pending = handle, codecs.getincrementaldecoder(encoding)(), b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self.pending:
            raw = self.handle.read(1 << 16)
            self.pending = self.decoder.decode(raw, final=not raw).encode("utf-8")
            if not raw:
                break
        size = min(len(buffer), len(self.pending))
        buffer[:size], self.pending = self.pending[:size], self.pending[size:]
        return size


def lines_table(numbered: list[tuple[int, bytes]], file_index: int) -> tuple[pa.Table, list[tuple[int, bytes]]]:
    """(line number, UTF-8 bytes) pairs of one file as a (``file``, ``line_no``, ``text``) table of its
    non-blank lines, and the (line number, bytes) of the lines that are not UTF-8, which are left out."""
    good, bad = [], []
    for number, text in numbered:
        try:
            good.append((number, text.decode("utf-8")))
        except UnicodeDecodeError:
            bad.append((number, text))
    good = [(number, text) for number, text in good if text.strip()]
    return _chunk_table([n for n, _ in good], [t for _, t in good], file_index), bad


def _chunk_table(numbers, texts, file_index: int) -> pa.Table:
    """A (file, line_no, text) table; ``texts`` are UTF-8 (``str``, or bytes that decode)."""
    lines = pa.array(numbers, pa.int64())
    files = pa.array(np.full(len(lines), file_index, dtype=np.int32))
    if not isinstance(texts, pa.Array):
        texts = pa.array(texts, pa.binary() if texts and isinstance(texts[0], bytes) else pa.string())
    return pa.table({"file": files, "line_no": lines, "text": texts.cast(pa.string())})


def _is_complete_json(line: bytes, encoding: str) -> bool:
    try:
        orjson.loads(line.decode(encoding, errors="replace").lstrip("\ufeff"))
    except orjson.JSONDecodeError:
        return line.strip() not in (b"{", b"[")
    return True


def _json_error(line_no: int, text: str) -> tuple[int, str, str, str]:
    try:
        orjson.loads(text)
        detail = "not valid JSON text"
    except orjson.JSONDecodeError as error:
        detail = str(error)
    source = text.rstrip("\r\n")
    return line_no, "(line)", f"JSON 格式错误 / malformed JSON: {detail}", source
