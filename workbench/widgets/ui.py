"""What the apps share on screen: HTML tables (every cell escaped), short messages, how times, amounts
and entities are written, Chinese first with English beside it.

>>> html_table([{"a": "<b>", "n": 2}], [("a", "名称 name"), ("n", "数 n")])
'<table class="tcw-table"><thead><tr><th>名称 name</th><th>数 n</th></tr></thead><tbody><tr><td>&lt;b&gt;</td><td>2</td></tr></tbody></table>'
>>> day("2025-06-01T09:00:00"), day(None)
('2025-06-01', '')
>>> span_text("2025-06-01T09:00:00", "2025-06-11T10:00:00")
'2025-06-01 – 2025-06-11（10 天 days）'
>>> entity_text("Patient:PSN-d589210a8138d289045c69d2e8498bfb")
'参保人 PSN-d589210a…'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from html import escape

from workbench.graph.schema import schema
from workbench.graph.store import entity
from workbench.screens.privacy import short_pseudonym

STYLE = ("<style>.tcw-table{border-collapse:collapse;font-size:12px}.tcw-table th,.tcw-table td{border:1px solid "
         "#ddd;padding:2px 6px;text-align:left;vertical-align:top}.tcw-table th{background:#f4f4f4}"
         ".tcw-note{padding:4px 0}.tcw-bad{color:#b00020}.tcw-good{color:#1b7f3b}</style>")
KINDS = {"info": "tcw-note", "error": "tcw-note tcw-bad", "good": "tcw-note tcw-good"}


def html_table(rows: Iterable[Mapping], columns: Sequence[tuple[str, str]]) -> str:
    """A table of ``rows`` with ``(key, header)`` columns; ``None`` cells are empty."""
    head = "".join(f"<th>{escape(header)}</th>" for _, header in columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(_cell(row.get(key)))}</td>" for key, _ in columns) + "</tr>"
                   for row in rows)
    return f'<table class="tcw-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def note(text: str, kind: str = "info") -> str:
    """A line of text (escaped) as HTML; ``kind`` info, error or good."""
    return f'<div class="{KINDS[kind]}">{escape(text)}</div>'


def as_datetime(value: object) -> datetime | None:
    """A time given as a datetime, a date or ISO text (``None`` stays ``None``)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return datetime.fromisoformat(str(value).replace(" ", "T"))


def day(value: object) -> str:
    """The date part of a time, ``''`` when none."""
    moment = as_datetime(value)
    return f"{moment:%Y-%m-%d}" if moment else ""


def minute(value: object) -> str:
    """A time to the minute, ``''`` when none."""
    moment = as_datetime(value)
    return f"{moment:%Y-%m-%d %H:%M}" if moment else ""


def span_text(first: object, last: object) -> str:
    """``first – last (n days)``."""
    start, end = as_datetime(first), as_datetime(last)
    if not start or not end:
        return day(first) or day(last)
    return f"{start:%Y-%m-%d} – {end:%Y-%m-%d}（{(end - start).days} 天 days）"


def entity_text(node: str, caption: str | None = None) -> str:
    """A node id as investigators read it: the label's Chinese caption and the key (a person's short
    pseudonym; ``caption`` when given, e.g. an institution's name)."""
    label, key = entity(node)
    shown = short_pseudonym(key) if label == "Patient" else key
    if caption and caption != key and label != "Patient":
        shown = f"{shown} {caption}"
    return f"{schema().label(label).caption_zh} {shown}"
