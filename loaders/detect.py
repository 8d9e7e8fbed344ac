"""Which loader reads a file: decided from its content (the extension is only a tie-breaker).

>>> from pathlib import Path; import tempfile, os
>>> folder = tempfile.mkdtemp()
>>> _ = Path(folder, "x.txt").write_text('{"infno": "3505", "input": {}}\\n')
>>> detect_format(Path(folder, "x.txt")).kind
'nhsa-json'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from loaders.encoding import SAMPLE_BYTES, detect_encoding
from loaders.errors import BadInput
from loaders.reference import reference_kind
from loaders.vocabulary import vocabulary

#: Text decoded to recognise a format (the encoding is still checked on the whole sample).
TEXT_HEAD = 64 << 10

KINDS = ("nhsa-json", "table", "events", "reference")
FORMAT_NAMES = ("nhsa-json", "table", "events")


@dataclass(frozen=True)
class Detected:
    """A file's format: ``kind`` (one of KINDS), container (jsonl|json|csv|xlsx|parquet), encoding.

    ``jsonl`` is one envelope per line (cut into blocks); ``json`` an array or pretty-printed envelopes.
    """

    kind: str
    container: str
    encoding: str = "utf-8"
    reference: str = ""
    headers: tuple[str, ...] = field(default=())


def detect_format(path: Path, forced: str | None = None) -> Detected:
    """Detect a file's format from its first bytes; ``forced`` (a FORMAT_NAMES value) overrides."""
    with open(path, "rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if not sample.strip():
        raise BadInput("文件为空 / the file is empty", path=str(path), hint="check the export")
    if sample.startswith(b"PAR1"):
        return Detected("events", "parquet", "binary")
    if sample.startswith(b"PK\x03\x04"):
        return _detect_sheet(path, forced)
    try:
        encoding = detect_encoding(sample)
    except BadInput as error:
        error.path = str(path)
        raise
    text = sample[:TEXT_HEAD].decode(encoding, errors="ignore").lstrip("\ufeff \t\r\n")
    if forced == "nhsa-json" or (forced is None and text[:1] in "{[" and '"infno"' in text):
        from loaders.nhsa_json import is_line_delimited

        return Detected("nhsa-json", "jsonl" if is_line_delimited(path, encoding) else "json", encoding)
    if forced is None and text[:1] in "{[":
        raise BadInput("JSON 中没有接口报文 (infno) / JSON without interface envelopes (no infno)", path=str(path),
                       hint="pass --format nhsa-json if it is an upload")
    headers = _csv_headers(text)
    return _classify_headers(path, headers, "csv", encoding, forced)


def _detect_sheet(path: Path, forced: str | None) -> Detected:
    from loaders.table import xlsx_headers

    try:
        headers = xlsx_headers(path)
    except Exception as error:  # openpyxl raises many kinds on a damaged workbook
        raise BadInput(f"Excel 文件无法打开 / cannot open the workbook: {type(error).__name__}: {error}",
                       path=str(path), hint="open and save it again in Excel, or export CSV") from None
    return _classify_headers(path, headers, "xlsx", "binary", forced)


def _classify_headers(path: Path, headers: tuple[str, ...], container: str, encoding: str, forced) -> Detected:
    if forced == "events" or (forced is None and {"event_id", "event_type"} <= set(headers)):
        return Detected("events", container, encoding, headers=headers)
    kind = reference_kind(headers)
    if forced is None and kind:
        return Detected("reference", container, encoding, reference=kind, headers=headers)
    fields = {vocabulary().field_for_header(h) for h in headers}
    if forced == "table" or "infno" in fields:
        return Detected("table", container, encoding, headers=headers)
    raise BadInput(
        "无法识别的文件格式：没有接口编号列，也不是 JSON、事件或参考表 / unknown format: no interface "
        "column (接口编号/业务类型/infno), not JSON, events or a reference table",
        path=str(path),
        hint="add a column 接口编号 (3501–3507), or pass --format",
    )


def _csv_headers(text: str) -> tuple[str, ...]:
    from loaders.csv_lines import first_line, line_cells

    first = first_line(text)
    return tuple(cell.strip() for cell in line_cells(first, sniff_delimiter(first)) or [])


def sniff_delimiter(header_line: str) -> str:
    """The delimiter a header line uses: comma, tab, semicolon or pipe (the most frequent).

    >>> sniff_delimiter("接口编号\\t追溯码"), sniff_delimiter("a,b;c,d")
    ('\\t', ',')
    """
    counts = {d: header_line.count(d) for d in (",", "\t", ";", "|")}
    return max(counts, key=lambda d: (counts[d], d == ","))
