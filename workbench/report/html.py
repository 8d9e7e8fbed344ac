"""One self-contained HTML page: a header with the lead counts, the legend, then per scenario the top
leads, each with a short Chinese-first header and its subgraph, then (given an analysis) the rings and
networks (``networks_html``). Every script and style is inline, all text is escaped, the graphs' data
sits in one JSON element, and a Content-Security-Policy forbids the page to load anything (a browser
blocks it even if something slipped in).

>>> page = render_page([], {"reflux": 2})
>>> "回流 reflux" in page and "<link" not in page
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from workbench.report.legend import label_legend, relationship_legend
from workbench.report.networks import NetworkPart
from workbench.report.networks_html import PART_STYLE, kind_counts, networks_section
from workbench.report.offline import ensure_offline, script_json, vis_assets
from workbench.report.pyvis_render import FONT_FAMILY, GRAPH_HEIGHT, network_data
from workbench.report.subgraph import MAX_NODES, LeadGraph
from workbench.report_text import SCENARIO_NAMES

TITLE = "药品追溯码线索报告 · Trace-code leads report"
#: Nothing may be fetched: scripts and styles inline only, images as data URIs only.
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
       "font-src 'none'; connect-src 'none'; frame-src 'none'; base-uri 'none'; form-action 'none'")
PAGE_STYLE = f"""
body {{ font-family: {FONT_FAMILY}; margin: 0 auto; max-width: 1200px; padding: 1rem 1.5rem; color: #222; }}
h1 {{ font-size: 1.6rem; }} h2 {{ border-bottom: 2px solid #ddd; padding-bottom: .3rem; margin-top: 2rem; }}
h3 {{ font-size: 1.05rem; margin: 0 0 .4rem; }} code {{ font-size: .9em; }}
article.lead {{ border: 1px solid #ddd; border-radius: 6px; padding: .8rem 1rem; margin: 1rem 0; }}
p {{ margin: .25rem 0; }} p.en, p.meta {{ color: #555; font-size: .92rem; }}
div.graph {{ height: {GRAPH_HEIGHT}; border: 1px solid #eee; margin-top: .6rem; background: #fff; }}
ul.legend {{ list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .4rem 1.2rem; }}
ul.legend li {{ display: flex; align-items: center; gap: .35rem; }} ul.relationships {{ font-size: .9rem; }}
"""
#: Draws every graph from the JSON element; marks each box ``data-drawn`` once its canvas is painted.
DRAW_SCRIPT = """
(function () {
  var graphs = JSON.parse(document.getElementById("tcw-graphs").textContent);
  document.querySelectorAll("div.graph[data-graph]").forEach(function (box) {
    var graph = graphs[Number(box.getAttribute("data-graph"))];
    var network = new vis.Network(box, {nodes: new vis.DataSet(graph.nodes), edges: new vis.DataSet(graph.edges)},
                                  graph.options);
    network.once("stabilizationIterationsDone", function () { network.setOptions({physics: false}); });
    if (graph.options.physics && graph.options.physics.enabled === false) { network.fit(); }
    network.on("afterDrawing", function () {
      box.setAttribute("data-nodes", String(Object.keys(network.getPositions()).length));
      box.setAttribute("data-drawn", "1");
    });
  });
})();
"""


def render_page(graphs: Sequence[LeadGraph], lead_counts: Mapping[str, int], max_nodes: int = MAX_NODES,
                networks: NetworkPart | None = None) -> str:
    """The report page for the leads' subgraphs (``lead_counts``: all leads per scenario) and, when given,
    the rings and networks."""
    script, style = vis_assets()
    body = [_header(graphs, lead_counts, max_nodes, networks), _legend(), *_sections(graphs, lead_counts, max_nodes)]
    data = [network_data(g.graph) for g in graphs]
    if networks is not None:
        body.append(networks_section(networks, len(data)))
        data += [drawn.data for drawn in networks.graphs]
    page = (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(TITLE)}</title>\n<style>{style}</style>\n<style>{PAGE_STYLE}{PART_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + f'\n<script type="application/json" id="tcw-graphs">{script_json(data)}'
        f"</script>\n<script>{script}</script>\n<script>{DRAW_SCRIPT}</script>\n</body>\n</html>\n"
    )
    return ensure_offline(page)


def scenario_order(scenarios: Sequence[str]) -> list[str]:
    """Known scenarios in the usual order, then any others by name.

    >>> scenario_order(["reflux", "zz", "substitution"])
    ['substitution', 'reflux', 'zz']
    """
    known = [name for name in SCENARIO_NAMES if name in scenarios]
    return known + sorted(set(scenarios) - set(known))


def scenario_name(scenario: str) -> str:
    return f"{SCENARIO_NAMES.get(scenario, scenario)} {scenario}"


def _header(graphs: Sequence[LeadGraph], lead_counts: Mapping[str, int], max_nodes: int,
            networks: NetworkPart | None) -> str:
    counts = "；".join(f"{escape(scenario_name(s))} {lead_counts[s]}" for s in scenario_order(list(lead_counts)))
    found = (f'<p>团伙与网络 <a href="#networks">rings and networks</a>: {networks.total}（'
             f"{escape(kind_counts(networks))}）</p>") if networks is not None else ""
    return (f"<header><h1>{escape(TITLE)}</h1>"
            f"<p>线索 leads: {sum(lead_counts.values())}（{counts or '无 none'}）。"
            f"下列为各场景可疑度最高的 {len(graphs)} 条线索及其子图 / the strongest leads of each scenario "
            f"and their subgraphs below.</p>{found}"
            f"<p class=\"meta\">每个子图最多 {max_nodes} 个节点（线索及其指向的实体总会显示）；参保人仅以化名出现 / "
            f"at most {max_nodes} nodes per subgraph (the lead and what it flags always shown); insured "
            f"persons appear only under pseudonyms.</p></header>")


def _legend() -> str:
    return (f'<section class="legend"><h2>图例 Legend</h2>{label_legend()}'
            f"<details><summary>关系 relationships</summary>{relationship_legend()}</details></section>")


def _sections(graphs: Sequence[LeadGraph], lead_counts: Mapping[str, int], max_nodes: int) -> list[str]:
    numbered = list(enumerate(graphs))
    sections = []
    for scenario in scenario_order([g.lead["scenario"] for g in graphs]):
        mine = [_lead_card(i, g, max_nodes) for i, g in numbered if g.lead["scenario"] == scenario]
        sections.append(f'<section class="scenario"><h2>{escape(scenario_name(scenario))}（显示 shown '
                        f"{len(mine)} / {lead_counts.get(scenario, len(mine))}）</h2>{''.join(mine)}</section>")
    return sections


def _lead_card(index: int, graph: LeadGraph, max_nodes: int) -> str:
    lead = graph.lead
    heading = (f"{escape(scenario_name(lead['scenario']))} · 可疑度 score {float(lead.get('score') or 0):.2f} · "
               f"<code>{escape(str(lead['lead_id']))}</code>")
    parts = [f"<h3>{heading}</h3>", f'<p class="zh">{escape(str(lead.get("explanation_zh") or ""))}</p>',
             f'<p class="en">{escape(str(lead.get("explanation_en") or ""))}</p>', _lead_meta(lead)]
    if graph.graph.number_of_nodes():
        parts.append(f'<p class="meta">图中 {graph.graph.number_of_nodes()} 个节点（上限 {max_nodes}），显示相关事件 '
                     f"{graph.events_shown} / {graph.events_found} · {graph.graph.number_of_nodes()} nodes "
                     f"(cap {max_nodes}), {graph.events_shown} of {graph.events_found} events shown</p>")
        parts.append(f'<div class="graph" data-graph="{index}"></div>')
    else:
        parts.append('<p class="meta">图中没有这条线索 / the lead is not in the graph</p>')
    return f'<article class="lead">{"".join(parts)}</article>'


def _lead_meta(lead: Mapping) -> str:
    first, last = (str(lead.get(name) or "")[:16].replace("T", " ") for name in ("first_time", "last_time"))
    return (f'<p class="meta">规则 rule {escape(str(lead.get("rule_id") or ""))} · 时间 time {escape(first)} – '
            f"{escape(last)} · 事件 events {escape(str(lead.get('event_count') or 0))} · 金额 amount "
            f"{float(lead.get('amount') or 0):,.2f} 元</p>")
