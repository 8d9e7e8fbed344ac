"""The HTML view's per-code timeline: one lane per trace code on a shared time axis (an inline SVG), each
event a mark coloured by the kind of institution (a hospital's sale red, a pharmacy's blue, so a reflux
reads as red then blue on one lane) and shaped by the event type, its details in the mark's tooltip; then,
per code, a table of its events in time order (time, type, institution, person, quantity, amount). At
most ``MAX_CODES`` codes (the case's own first, then those with the most events) and ``MAX_CODE_EVENTS`` events per code;
what is left out is counted. All text escaped.

>>> rows = [{"event_time": "2025-06-01T09:00:00", "event_type": "sale", "trace_code": "C<1>",
...          "institution_code": "H1", "institution_type": "hospital", "person": "PSN-a", "quantity": 1.0,
...          "amount": 9.5},
...         {"event_time": "2025-06-03T10:00:00", "event_type": "sale", "trace_code": "C<1>",
...          "institution_code": "P1", "institution_type": "pharmacy", "person": "PSN-b", "quantity": 1.0,
...          "amount": 9.5}]
>>> html = timeline_section(rows, {"H1": "医院"}, ["C<1>"])
>>> html.count('class="mark"'), "C&lt;1&gt;" in html and "C<1>" not in html
(2, True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from html import escape

from workbench.cases.subgraph import edge_name
from workbench.screens.privacy import short_pseudonym
from workbench.widgets.ui import html_table, minute

#: Codes shown at most, and events per code.
MAX_CODES = 50
MAX_CODE_EVENTS = 200
#: Colour of a mark by the kind of institution.
SITE_COLOURS = {"hospital": "#d62728", "clinic": "#ff9896", "pharmacy": "#1f77b4", "supplier": "#2ca02c",
                "unknown": "#7f7f7f"}
SITE_NAMES = {"hospital": "医院 hospital", "clinic": "诊所 clinic", "pharmacy": "药店 pharmacy",
              "supplier": "供货企业 supplier", "unknown": "其他 other"}
#: Shape of a mark by event type (others: a small dot).
EVENT_SHAPES = {"sale": "circle", "sale_return": "ring", "purchase": "square", "stock_in": "square",
                "transfer_in": "square", "transfer_out": "diamond", "stock_out": "diamond",
                "purchase_return": "diamond"}
SHAPE_NAMES = {"circle": "销售 sale", "ring": "销售退货 sale return", "square": "采购/入库 purchase, stock in",
               "diamond": "调出/出库/采购退货 transfer or stock out, purchase return", "dot": "其他 other"}
WIDTH, LEFT, RIGHT, LANE, TOP = 960, 190, 20, 22, 28
EVENT_COLUMNS = [("time", "时间 time"), ("type", "类型 type"), ("institution", "机构 institution"),
                 ("person", "参保人 person"), ("quantity", "数量 quantity"), ("amount", "金额 amount")]


def timeline_section(rows: Sequence[Mapping], names: Mapping[str, str], first: Sequence[str] = (),
                     max_codes: int = MAX_CODES) -> str:
    """The section for the events ``rows`` (``subgraph.event_rows``); ``names``: institution code → name;
    ``first``: codes listed before the others."""
    lanes = code_lanes(rows, first)
    shown = list(lanes.items())[:max_codes]
    if not shown:
        return ('<section id="timeline"><h2>追溯码时间线 Per-code timeline</h2>'
                "<p>没有带追溯码的事件 / no event carries a trace code.</p></section>")
    more = len(lanes) - len(shown)
    note = (f'<p class="meta">另有 {more} 个追溯码未列出（每个码的时间线见 case.xlsx）/ {more} more codes not '
            "listed (every code's timeline is in case.xlsx).</p>") if more > 0 else ""
    tables = "".join(_code_table(code, events, names) for code, events in shown)
    return (f'<section id="timeline"><h2>追溯码时间线 Per-code timeline（{len(shown)} / {len(lanes)}）</h2>'
            f"<p>每行一个追溯码，标记颜色为机构类型、形状为事件类型；悬停看详情 / one lane per code, marks coloured by the "
            f"kind of institution and shaped by the event type; hover for details.</p>{_legend()}"
            f"{swimlanes(shown, names)}{note}<h3>逐码事件 Events per code</h3>{tables}</section>")


def code_lanes(rows: Sequence[Mapping], first: Sequence[str] = ()) -> dict[str, list[Mapping]]:
    """Code → its events in time order; the codes of ``first`` first (in that order), then the codes with
    the most events, then by first event.

    >>> rows = [{"trace_code": c, "event_time": t} for c, t in (("B", "1"), ("A", "2"), ("C", "3"), ("C", "4"))]
    >>> list(code_lanes(rows + [{"trace_code": "", "event_time": "0"}], first=["A"]))
    ['A', 'C', 'B']
    """
    lanes: dict[str, list[Mapping]] = {}
    for row in sorted(rows, key=lambda row: str(row.get("event_time") or "")):
        if row.get("trace_code"):
            lanes.setdefault(str(row["trace_code"]), []).append(row)
    rank = {code: index for index, code in enumerate(dict.fromkeys(first))}

    def key(code: str) -> tuple:
        return rank.get(code, len(rank)), -len(lanes[code]), str(lanes[code][0].get("event_time") or ""), code

    order = sorted(lanes, key=key)
    return {code: lanes[code] for code in order}


def swimlanes(lanes: Sequence[tuple[str, list[Mapping]]], names: Mapping[str, str]) -> str:
    """The SVG: an axis, then one lane per code."""
    times = [moment for _, events in lanes for row in events[:MAX_CODE_EVENTS] if (moment := _time(row))]
    if not times:
        return '<p class="meta">事件没有可用的时间 / the events have no usable time.</p>'
    start, end = min(times), max(times)
    end = end if end > start else start + timedelta(days=1)
    scale = (WIDTH - LEFT - RIGHT) / (end - start).total_seconds()

    def x(moment: datetime) -> float:
        return round(LEFT + (moment - start).total_seconds() * scale, 1)

    height = TOP + LANE * len(lanes) + 6
    parts = [_axis(start, end, x, height)]
    for index, (code, events) in enumerate(lanes):
        parts.append(_lane(code, events[:MAX_CODE_EVENTS], TOP + LANE * index + LANE / 2, x, names))
    return (f'<svg class="timeline" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" '
            f'aria-label="追溯码时间线 per-code timeline">{"".join(parts)}</svg>')


def _axis(start: datetime, end: datetime, x, height: int) -> str:
    ticks = []
    for step in range(5):
        moment = start + (end - start) * step / 4
        anchor = "start" if step == 0 else "end" if step == 4 else "middle"
        ticks.append(f'<line x1="{x(moment)}" y1="{TOP - 6}" x2="{x(moment)}" y2="{height}" stroke="#eee"/>'
                     f'<text x="{x(moment)}" y="{TOP - 10}" text-anchor="{anchor}" font-size="11" fill="#555">'
                     f"{moment:%Y-%m-%d}</text>")
    return "".join(ticks)


def _lane(code: str, events: list[Mapping], y: float, x, names: Mapping[str, str]) -> str:
    moments = [(row, moment) for row in events if (moment := _time(row))]
    label = code if len(code) <= 24 else code[:23] + "…"
    parts = [f'<g class="lane"><text x="{LEFT - 8}" y="{y + 4}" text-anchor="end" font-size="11" '
             f'font-family="monospace"><title>{escape(code)}</title>{escape(label)}</text>']
    if moments:
        parts.append(f'<line x1="{x(moments[0][1])}" y1="{y}" x2="{x(moments[-1][1])}" y2="{y}" stroke="#bbb"/>')
    for row, moment in moments:
        parts.append(_mark(row, x(moment), y, names))
    return "".join(parts) + "</g>"


def _mark(row: Mapping, cx: float, cy: float, names: Mapping[str, str]) -> str:
    colour = SITE_COLOURS.get(str(row.get("institution_type") or "unknown"), SITE_COLOURS["unknown"])
    shape = EVENT_SHAPES.get(str(row.get("event_type") or ""), "dot")
    title = f"<title>{escape(_describe(row, names))}</title>"
    if shape == "circle":
        body = f'<circle cx="{cx}" cy="{cy}" r="5" fill="{colour}"/>'
    elif shape == "ring":
        body = f'<circle cx="{cx}" cy="{cy}" r="4.5" fill="#fff" stroke="{colour}" stroke-width="2"/>'
    elif shape == "square":
        body = f'<rect x="{cx - 4.5}" y="{cy - 4.5}" width="9" height="9" fill="{colour}"/>'
    elif shape == "diamond":
        body = f'<polygon points="{cx},{cy - 6} {cx + 6},{cy} {cx},{cy + 6} {cx - 6},{cy}" fill="{colour}"/>'
    else:
        body = f'<circle cx="{cx}" cy="{cy}" r="2.5" fill="{colour}"/>'
    return f'<g class="mark">{title}{body}</g>'


def _describe(row: Mapping, names: Mapping[str, str]) -> str:
    zh, en = edge_name(str(row.get("event_type") or ""))
    person = str(row.get("person") or "")
    return (f"{when(row.get('event_time'))} {zh} {en} · {_site(row, names)}"
            + (f" · {short_pseudonym(person)}" if person else ""))


def _site(row: Mapping, names: Mapping[str, str]) -> str:
    code = str(row.get("institution_code") or "")
    name = names.get(code)
    return f"{name}（{code}）" if name and name != code else code


def _code_table(code: str, events: list[Mapping], names: Mapping[str, str]) -> str:
    sites = {str(row.get("institution_code") or "") for row in events}
    listed = [{"time": when(row.get("event_time")), "type": " ".join(edge_name(str(row.get("event_type") or ""))),
               "institution": _site(row, names), "person": str(row.get("person") or ""),
               "quantity": row.get("quantity"), "amount": row.get("amount")} for row in events[:MAX_CODE_EVENTS]]
    cut = len(events) - len(listed)
    more = f'<p class="meta">另有 {cut} 条事件未列出 / {cut} more events not listed.</p>' if cut > 0 else ""
    span = f"{when(events[0].get('event_time'))} – {when(events[-1].get('event_time'))}"
    return (f"<details><summary><code>{escape(code)}</code> · 事件 events {len(events)} · 机构 institutions "
            f"{len(sites)} · {escape(span)}</summary>{html_table(listed, EVENT_COLUMNS)}{more}</details>")


def _legend() -> str:
    sites = "".join(f'<li><svg width="12" height="12" aria-hidden="true"><circle cx="6" cy="6" r="5" '
                    f'fill="{colour}"/></svg>{escape(SITE_NAMES[kind])}</li>' for kind, colour in SITE_COLOURS.items())
    marks = {"circle": "●", "ring": "○", "square": "■", "diamond": "◆", "dot": "·"}
    shapes = " ".join(f"{marks[shape]} {escape(name)}" for shape, name in SHAPE_NAMES.items())
    return f'<ul class="legend">{sites}</ul><p class="meta">形状 shapes：{shapes}</p>'


def when(value: object) -> str:
    """A time to the minute; text that is no time as it is.

    >>> when("2025-06-01T09:30:12"), when("soon"), when(None)
    ('2025-06-01 09:30', 'soon', '')
    """
    try:
        return minute(value)
    except ValueError:
        return str(value)


def _time(row: Mapping) -> datetime | None:
    try:
        return datetime.fromisoformat(str(row.get("event_time") or "").replace(" ", "T", 1))
    except ValueError:
        return None
