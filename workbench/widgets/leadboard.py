"""``LeadBoard``: the workspace's leads (``tcw screen``'s, from the same ``screening``) filtered by scenario,
score, institution and dates, sorted by score or time, 200 a page; a selected lead shows its explanation
and its subgraph (what it flags and its codes' histories) in a ``GraphView``, and can open or join a case
(``CasePanel``).

>>> rows = [{"lead_id": "a", "scenario": "reflux", "score": 0.9, "institution_code": "P1", "institutions": "H1|P1",
...          "first_time": "2025-06-01T00:00:00", "last_time": "2025-07-01T00:00:00"},
...         {"lead_id": "b", "scenario": "substitution", "score": 0.5, "institution_code": "P2", "institutions": "P2",
...          "first_time": "2025-05-01T00:00:00", "last_time": "2025-05-02T00:00:00"}]
>>> [r["lead_id"] for r in filter_leads(rows, institution="h1")]
['a']
>>> [r["lead_id"] for r in filter_leads(rows, sort="time_asc")], filter_leads(rows, min_score=0.95)
(['b', 'a'], [])
>>> [r["lead_id"] for r in filter_leads(rows, since="2025-05-02", until="2025-05-31")]
['b']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

import ipywidgets as w

from workbench.report_text import SCENARIO_NAMES
from workbench.widgets import sources
from workbench.widgets.case_panel import CasePanel
from workbench.widgets.subgraphs import lead_graph
from workbench.widgets.ui import STYLE, as_datetime, day, html_table, minute, note

PAGE = 200
SORTS = {"score": "可疑度 score ↓", "time_desc": "时间 time ↓ (newest)", "time_asc": "时间 time ↑ (oldest)"}
FIELDS = [("lead_id", "线索编号 lead"), ("rule_id", "规则 rule"), ("score", "可疑度 score"),
          ("trace_code", "追溯码 code"), ("institution_code", "主要机构 institution"),
          ("institutions", "涉及机构 institutions"), ("med_list_codg", "医保药品编码 product"),
          ("first_time", "起 from"), ("last_time", "止 to"), ("event_count", "事件数 events"), ("amount", "金额 amount")]


def filter_leads(rows: Sequence[Mapping], scenario: str | None = None, min_score: float = 0.0,
                 institution: str = "", since=None, until=None, sort: str = "score") -> list[Mapping]:
    """The leads of ``scenario`` (all when ``None``) scoring ``min_score`` or more, naming an institution
    that contains ``institution``, whose time span meets ``since``–``until`` (whole days), sorted."""
    start, end = as_datetime(since), as_datetime(until)
    end = end + timedelta(days=1) if end else None
    text = institution.strip().lower()
    kept = [row for row in rows if (scenario is None or row["scenario"] == scenario)
            and (row.get("score") or 0.0) >= min_score and (not text or text in _institutions(row))
            and _meets(row, start, end)]
    if sort == "time_desc":
        return sorted(kept, key=lambda row: as_datetime(row.get("last_time")) or as_datetime("0001-01-01"),
                      reverse=True)
    if sort == "time_asc":
        return sorted(kept, key=lambda row: as_datetime(row.get("first_time")) or as_datetime("9999-12-31"))
    return sorted(kept, key=lambda row: -(row.get("score") or 0.0))


def _institutions(row: Mapping) -> str:
    return f"{row.get('institution_code') or ''}|{row.get('institutions') or ''}".lower()


def _meets(row: Mapping, start, end) -> bool:
    if start is None and end is None:
        return True
    first, last = as_datetime(row.get("first_time")), as_datetime(row.get("last_time"))
    first, last = first or last, last or first
    if first is None:
        return False
    return (start is None or last >= start) and (end is None or first < end)


def lead_caption(row: Mapping) -> str:
    """One line of the table: score, scenario, institution, date, code or product, the explanation."""
    what = row.get("trace_code") or row.get("med_list_codg") or ""
    text = (row.get("explanation_zh") or "")[:60]
    return (f"{row.get('score') or 0:.2f} │ {SCENARIO_NAMES.get(row['scenario'], row['scenario'])} │ "
            f"{row.get('institution_code') or ''} │ {day(row.get('first_time'))} │ {what} │ {text}")


class LeadBoard(w.VBox):
    """The leads table with its filters, a selected lead's explanation and its subgraph."""

    def __init__(self, workspace=None, store=None, *, leads: Sequence[Mapping] | None = None, height: str = "520px"):
        from workbench.widgets.graph_view import GraphView

        self.workspace = workspace if leads is not None and store is not None else sources.as_workspace(workspace)
        if store is None:
            from workbench.widgets.session import open_store

            store = open_store(self.workspace)
        self.store = store
        self.leads = [dict(row) for row in (leads if leads is not None else sources.lead_rows(self.workspace))]
        self.matching: list[Mapping] = []
        self.page, self.selected = 0, None
        self._filters()
        self.table = w.Select(options=[], rows=14, layout=w.Layout(width="100%"))
        self.count = w.HTML()
        self.previous, self.next = w.Button(description="◀ 上一页 previous"), w.Button(description="下一页 next ▶")
        self.details = w.HTML(note("选择一条线索查看说明与关系图 / select a lead to see its explanation and graph"))
        self.view = GraphView(store, height=height)
        self.case = CasePanel(self.workspace, "lead")
        self.table.observe(lambda change: self.select(change["new"]), names="value")
        self.previous.on_click(lambda _: self.turn(-1))
        self.next.on_click(lambda _: self.turn(1))
        super().__init__([w.HTML(STYLE + "<b>线索 Leads</b>"), self.filters, w.HBox([self.count, self.previous, self.next]),
                          self.table, self.details, self.case, self.view.box()])
        self.refresh()

    def _filters(self) -> None:
        present = list(dict.fromkeys(row["scenario"] for row in self.leads))
        self.scenario = w.Dropdown(description="场景 scenario", options=[("全部 all", None)] + [
            (f"{SCENARIO_NAMES.get(s, s)} {s}", s) for s in present], value=None)
        self.min_score = w.FloatSlider(description="最低可疑度 min score", min=0.0, max=1.0, step=0.05, value=0.0,
                                       style={"description_width": "initial"})
        self.institution = w.Text(description="机构 institution", placeholder="P500…")
        self.since, self.until = w.DatePicker(description="起 from"), w.DatePicker(description="止 to")
        self.sort = w.Dropdown(description="排序 sort", options=[(text, key) for key, text in SORTS.items()],
                               value="score")
        for control in (self.scenario, self.min_score, self.institution, self.since, self.until, self.sort):
            control.observe(lambda _: self.refresh(), names="value")
        self.filters = w.VBox([w.HBox([self.scenario, self.min_score, self.sort]),
                               w.HBox([self.institution, self.since, self.until])])

    def refresh(self) -> None:
        """Filter and sort again, back to the first page."""
        self.matching = filter_leads(self.leads, self.scenario.value, self.min_score.value, self.institution.value,
                                     self.since.value, self.until.value, self.sort.value)
        self.page = 0
        self._show_page()

    def turn(self, step: int) -> None:
        """The previous (-1) or next (1) page."""
        last = max(0, (len(self.matching) - 1) // PAGE)
        self.page = min(last, max(0, self.page + step))
        self._show_page()

    def _show_page(self) -> None:
        start = self.page * PAGE
        shown = self.matching[start:start + PAGE]
        self.table.options = [(lead_caption(row), row["lead_id"]) for row in shown]
        self.table.value = None
        total = len(self.matching)
        self.count.value = (f"符合 matching {total} / {len(self.leads)} 条线索 leads"
                            + (f" · 显示 shown {start + 1}–{start + len(shown)}" if total else ""))
        self.previous.disabled, self.next.disabled = self.page == 0, start + PAGE >= total

    @property
    def shown(self) -> list[Mapping]:
        """The leads on the current page, in order."""
        return self.matching[self.page * PAGE:(self.page + 1) * PAGE]

    def select(self, lead_id: str | None) -> None:
        """Show a lead's explanation and draw its subgraph (``None``: nothing selected)."""
        if lead_id is None:
            return
        lead = next(row for row in self.leads if row["lead_id"] == lead_id)
        self.selected = lead
        self.details.value = lead_html(lead)
        self.case.target(lead_id)
        self.view.show(lead_graph(self.store, lead))


def lead_html(lead: Mapping) -> str:
    """A lead's explanation (Chinese, then English) and its fields."""
    shown = {**lead, "first_time": minute(lead.get("first_time")), "last_time": minute(lead.get("last_time"))}
    return (f"<h4>{SCENARIO_NAMES.get(lead['scenario'], lead['scenario'])} {lead['scenario']}</h4>"
            + note(lead.get("explanation_zh") or "") + note(lead.get("explanation_en") or "")
            + html_table([shown], FIELDS))
