"""A case package's offline HTML view, one self-contained page in the report's style: a header (case,
status, assignee, span, amounts, pseudonymisation), the case graph drawn with vis-network (inlined, as the
report does), the per-code timeline, then tables of the leads, rings, institutions, persons, notes and the
case's history. Every text is escaped, the graph's data sits in a JSON element (``script_json``), and the
page's Content-Security-Policy forbids loading anything; ``ensure_offline`` checks it refers to nothing
outside itself.

>>> import pyarrow as pa
>>> from workbench.cases.evidence import Evidence
>>> from workbench.cases.model import Case
>>> from workbench.cases.subgraph import case_graph
>>> empty = pa.table({name: pa.array([], pa.string()) for name in Evidence.EVENT_COLUMNS})
>>> evidence = Evidence(Case("CASE-1", "<b>药店</b>", "open", "", "", "2026-01-01T00:00:00", "ana",
...                         "2026-01-01T00:00:00"), [], [], empty)
>>> page = case_page(evidence, case_graph(evidence))
>>> "&lt;b&gt;药店&lt;/b&gt;" in page and "<b>药店" not in page and "待核查 open" in page
True
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path

import networkx as nx

from loaders.atomic import write_atomic
from workbench.cases.case_drawing import MAX_DRAWN_NODES, drawing, legend
from workbench.cases.case_timeline import SITE_NAMES, timeline_section, when
from workbench.cases.evidence import Evidence
from workbench.cases.model import ITEM_ZH
from workbench.cases.rollups import institution_rollup, person_rollup, sales_amount
from workbench.cases.subgraph import edge_name, event_rows, own_codes
from workbench.report.html import CSP, DRAW_SCRIPT, PAGE_STYLE
from workbench.report.offline import ensure_offline, script_json, vis_assets
from workbench.report_text import COMMUNITY_KINDS, SCENARIO_NAMES
from workbench.widgets.ui import STYLE as TABLE_STYLE
from workbench.widgets.ui import html_table

#: Rows per table at most (the workbook lists them all).
MAX_ROWS = 500
CASE_STYLE = """
div.graph.case { height: 720px; } dl.case { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.case dt { color: #555; } dl.case dd { margin: 0; } svg.timeline { max-width: 100%; height: auto; }
section { margin-bottom: 1.5rem; } details { margin: .3rem 0; } details summary { cursor: pointer; }
.tcw-table { margin: .4rem 0; } .tcw-table td { max-width: 32rem; overflow-wrap: anywhere; white-space: pre-wrap; }
"""
LEAD_COLUMNS = [("held", "本案 held"), ("lead_id", "线索编号 lead"), ("scenario", "场景 scenario"),
                ("score", "可疑度 score"), ("trace_code", "追溯码 code"), ("institution_code", "主要机构 main"),
                ("institutions", "涉及机构 institutions"), ("span", "时间 span"), ("event_count", "事件 events"),
                ("amount", "金额 amount"), ("explanation_zh", "说明 explanation")]
RING_COLUMNS = [("held", "本案 held"), ("community_id", "团伙编号 ring"), ("kind", "类型 kind"), ("rank", "排名 rank"),
                ("score", "可疑度 score"), ("institutions", "机构 institutions"), ("persons", "参保人 persons"),
                ("code_count", "码数 codes"), ("event_count", "事件 events"), ("amount", "金额 amount"),
                ("span", "时间 span"), ("explanation_zh", "说明 explanation")]
SITE_COLUMNS = [("held", "本案 held"), ("institution_code", "机构编码 code"), ("name", "名称 name"),
                ("institution_type", "类型 type"), ("region_code", "行政区划 region"), ("events", "事件 events"),
                ("codes", "码数 codes"), ("persons", "参保人数 persons"), ("amount", "销售金额 sales"),
                ("span", "时间 span")]
PERSON_COLUMNS = [("held", "本案 held"), ("person", "参保人 person"), ("events", "事件 events"), ("codes", "码数 codes"),
                  ("institution_list", "机构 institutions"), ("amount", "销售金额 sales"), ("span", "时间 span")]
REVEALED_COLUMNS = [("person_name", "姓名 name"), ("person_id_no", "证件号码 ID number")]
NOTE_COLUMNS = [("at", "时间 time"), ("by", "记录人 by"), ("text", "内容 text")]
HISTORY_COLUMNS = [("at", "时间 time"), ("by", "操作人 by"), ("action", "操作 action"), ("detail", "内容 detail")]


def write_case_html(evidence: Evidence, graph: nx.MultiDiGraph, path: Path) -> None:
    """Write the case's page to ``path`` atomically (``graph``: ``case_graph(evidence)``)."""
    write_atomic(Path(path), case_page(evidence, graph).encode("utf-8"))


def case_page(evidence: Evidence, graph: nx.MultiDiGraph) -> str:
    """The page as text (checked to refer to nothing outside itself)."""
    script, style = vis_assets()
    rows = event_rows(evidence.events)
    names = {str(data["key"]): str(data.get("label") or "") for _, data in graph.nodes(data=True)
             if data.get("type") == "Institution"}
    drawn = drawing(graph)
    body = [_header(evidence, graph, rows), _graph_section(graph, drawn),
            timeline_section(rows, names, own_codes(evidence)), _leads(evidence), _rings(evidence),
            _institutions(evidence, graph), _persons(evidence, graph), _notes(evidence), _history(evidence)]
    title = f"案件 {evidence.case.case_id} · {evidence.case.title} · Case package"
    page = (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{style}</style>\n<style>{PAGE_STYLE}{CASE_STYLE}</style>\n"
        f"{TABLE_STYLE}\n</head>\n<body>\n" + "\n".join(body)
        + f'\n<script type="application/json" id="tcw-graphs">{script_json([drawn.data])}'
        f"</script>\n<script>{script}</script>\n<script>{DRAW_SCRIPT}</script>\n</body>\n</html>\n"
    )
    return ensure_offline(page)


def _header(evidence: Evidence, graph: nx.MultiDiGraph, rows: Sequence[Mapping]) -> str:
    case = evidence.case
    times = [row["event_time"] for row in rows if row["event_time"]]
    first, last = evidence.span
    span = _span(first or min(times, default=""), last or max(times, default=""))
    held = "；".join(f"{ITEM_ZH[kind]} {kind} {len(case.keys(kind))}" for kind in ITEM_ZH if case.keys(kind))
    facts = [("状态 status", f"{case.status_zh} {case.status}" + (f"（{case.reason}）" if case.reason else "")),
             ("承办人 assignee", case.assignee or "未指派 unassigned"),
             ("创建 created", f"{when(case.created_at)} · {case.created_by}"), ("更新 updated", when(case.updated_at)),
             ("时间跨度 span", span or "未知 unknown"), ("金额 amounts", _amounts(evidence)),
             ("包含 holds", held or "无 nothing"), ("个人信息 personal data", _mode(evidence)),
             ("事件 events", _events_line(evidence)), ("关系图 graph", str(graph.graph.get("aggregation") or ""))]
    rows = "".join(f"<dt>{escape(name)}</dt><dd>{escape(value)}</dd>" for name, value in facts)
    return (f"<header><h1>案件 Case <code>{escape(case.case_id)}</code> · {escape(case.title)}</h1>"
            f'<dl class="case">{rows}</dl></header>')


def _amounts(evidence: Evidence) -> str:
    held = {kind: set(evidence.case.keys(kind)) for kind in ("lead", "community")}
    leads = sum(_float(row.get("amount")) for row in evidence.leads if row.get("lead_id") in held["lead"])
    rings = sum(_float(row.get("amount")) for row in evidence.communities
                if row.get("community_id") in held["community"])
    return (f"销售（扣除退货）sales less returns {sales_amount(evidence.events):,.2f} 元 · 本案线索 the case's leads "
            f"{leads:,.2f} 元 · 本案团伙 the case's rings {rings:,.2f} 元")


def _mode(evidence: Evidence) -> str:
    if evidence.reveal:
        return "明文（已显式关闭化名，含姓名与证件号码）/ in clear (pseudonymisation explicitly disabled: names and ID numbers shown)"
    return "化名（工作区密钥 HMAC，持有密钥者可还原）/ pseudonymised (keyed HMAC of the workspace; reversible only with the key)"


def _events_line(evidence: Evidence) -> str:
    line = f"{evidence.events.num_rows:,} 条 listed"
    cut = {name: count for name, count in (evidence.capped or {}).items() if count}
    if cut:
        line += "；超出上限未列出 left out past the cap: " + "，".join(f"{name} {count:,}" for name, count in cut.items())
    return line


def _graph_section(graph: nx.MultiDiGraph, drawn) -> str:
    counts = f"{graph.number_of_nodes()} 个节点 nodes · {graph.number_of_edges()} 条边 edges"
    cut = (f"；图中显示 {drawn.shown} / {drawn.total} 个节点（上限 {MAX_DRAWN_NODES}，本案条目及离它们最近的节点优先）/ "
           f"{drawn.shown} of {drawn.total} nodes drawn (cap {MAX_DRAWN_NODES}; the case's items and the nodes "
           "nearest them first)") if drawn.shown < drawn.total else ""
    types = sorted({str(data.get("type")) for *_, data in graph.edges(data=True)})
    edges = "；".join(escape(" ".join(edge_name(type_))) + f" <code>{escape(type_)}</code>" for type_ in types)
    return (f'<section id="graph"><h2>关系图 Graph</h2><p class="meta">{escape(counts + cut)}。完整的图见 case.graphml / '
            f"case.gexf（Gephi）/ the whole graph is in case.graphml and case.gexf (Gephi).</p>{legend(graph)}"
            f'<details><summary>关系 relationships</summary><p class="meta">{edges}</p></details>'
            f'<div class="graph case" data-graph="0"></div></section>')


def _leads(evidence: Evidence) -> str:
    held = set(evidence.case.keys("lead"))
    rows = []
    for row in evidence.leads:
        scenario = str(row.get("scenario") or "")
        rows.append({**row, "held": _yes(row.get("lead_id") in held), "span": _span(row.get("first_time"),
                     row.get("last_time")), "scenario": f"{SCENARIO_NAMES.get(scenario, '')} {scenario}".strip(),
                     "score": _float(row.get("score")), "amount": _float(row.get("amount"))})
    return _table_section("leads", "线索 Leads", rows, LEAD_COLUMNS)


def _rings(evidence: Evidence) -> str:
    held = set(evidence.case.keys("community"))
    rows = []
    for row in evidence.communities:
        zh, en = COMMUNITY_KINDS.get(str(row.get("kind")), (str(row.get("kind") or ""), ""))
        rows.append({**row, "held": _yes(row.get("community_id") in held), "kind": f"{zh} {en}".strip(),
                     "institutions": _listed(row.get("institutions")), "persons": _listed(row.get("persons")),
                     "score": _float(row.get("score")), "amount": _float(row.get("amount")),
                     "span": _span(row.get("first_time"), row.get("last_time"))})
    return _table_section("rings", "团伙与网络 Rings and networks", rows, RING_COLUMNS)


def _institutions(evidence: Evidence, graph: nx.MultiDiGraph) -> str:
    nodes = {str(data["key"]): data for _, data in graph.nodes(data=True) if data.get("type") == "Institution"}
    stats = {str(row["institution_code"]): row for row in institution_rollup(evidence.events)}
    rows = []
    for code in list(stats) + sorted(set(nodes) - set(stats)):
        node, row = nodes.get(code, {}), stats.get(code, {"events": 0})
        kind = str(node.get("institution_type") or "")
        rows.append({**row, "institution_code": code, "name": node.get("label", code), "held": _yes(node.get("in_case")),
                     "institution_type": SITE_NAMES.get(kind, kind), "region_code": node.get("region_code", ""),
                     "span": _span(row.get("first_time"), row.get("last_time"))})
    return _table_section("institutions", "机构 Institutions", rows, SITE_COLUMNS)


def _persons(evidence: Evidence, graph: nx.MultiDiGraph) -> str:
    nodes = {str(data["key"]): data for _, data in graph.nodes(data=True) if data.get("type") == "Person"}
    stats = {str(row["person"]): row for row in person_rollup(evidence.events)}
    revealed = _revealed(evidence) if evidence.reveal else {}
    rows = []
    for person in list(stats) + sorted(set(nodes) - set(stats)):
        row, held = stats.get(person, {"events": 0}), nodes.get(person, {}).get("in_case")
        rows.append({**row, **revealed.get(person, {}), "person": person, "held": _yes(held),
                     "institution_list": _listed(row.get("institution_list")),
                     "span": _span(row.get("first_time"), row.get("last_time"))})
    columns = PERSON_COLUMNS[:2] + REVEALED_COLUMNS + PERSON_COLUMNS[2:] if evidence.reveal else PERSON_COLUMNS
    return _table_section("persons", "参保人 Insured persons", rows, columns)


def _revealed(evidence: Evidence) -> dict[str, dict]:
    """Person → name and ID number as uploaded (revealed packages only)."""
    names = [c for c in ("person", "person_name", "person_id_no") if c in evidence.events.column_names]
    found: dict[str, dict] = {}
    for row in evidence.events.select(names).to_pylist() if len(names) == 3 else []:
        if row["person"]:
            found.setdefault(str(row["person"]), {name: row[name] for name in ("person_name", "person_id_no")})
    return found


def _notes(evidence: Evidence) -> str:
    rows = [{"at": when(note.at), "by": note.by, "text": note.text} for note in evidence.case.notes]
    return _table_section("notes", "备注 Notes", rows, NOTE_COLUMNS)


def _history(evidence: Evidence) -> str:
    rows = [{"at": when(change.at), "by": change.by, "action": change.action,
             "detail": json.dumps(change.detail, ensure_ascii=False, sort_keys=True, default=str)}
            for change in evidence.case.history]
    return _table_section("history", "案件记录 Case history", rows, HISTORY_COLUMNS)


def _table_section(anchor: str, heading: str, rows: Sequence[Mapping], columns) -> str:
    shown = list(rows)[:MAX_ROWS]
    more = len(rows) - len(shown)
    note = (f'<p class="meta">另有 {more} 行未列出（见 case.xlsx）/ {more} more rows in case.xlsx.</p>'
            if more > 0 else "")
    table = html_table(shown, columns) if shown else "<p>无 none.</p>"
    return f'<section id="{anchor}"><h2>{escape(heading)}（{len(rows)}）</h2>{table}{note}</section>'


def _span(first: object, last: object) -> str:
    start, end = when(first) if first else "", when(last) if last else ""
    return f"{start} – {end}" if start and end and start != end else start or end


def _listed(value: object) -> str:
    """A ``|``-separated list as lines (the table keeps line breaks)."""
    parts = value if isinstance(value, list | tuple) else str(value or "").split("|")
    return "\n".join(str(part) for part in parts if str(part))


def _yes(value: object) -> str:
    return "是 yes" if value else ""


def _float(value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0
    return number if number == number else 0.0

