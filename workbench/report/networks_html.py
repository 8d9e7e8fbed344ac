"""The report's part 团伙与网络 / rings and networks: one section per reflux ring and counterfeit cluster
(strongest first), each with its title, explanations, members and graph, then the top brokers. All text
is escaped; graphs are placeholders the page's script draws (``data-graph``: the index in the page's
graph data).

>>> member_codes(["C1", "C2"])
'<code>C1</code> <code>C2</code>'
>>> "<details>" in member_codes([f"C{k}" for k in range(20)])
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from workbench.graph.schema import schema
from workbench.report.legend import shape_svg
from workbench.report.networks import RING_STEPS, CommunityGraph, NetworkPart
from workbench.report_text import BROKER_ROLES, COMMUNITY_KINDS
from workbench.screens.privacy import short_pseudonym

#: Codes listed inline up to this many; more are folded.
INLINE_CODES = 12
PART_STYLE = """
article.community { border: 1px solid #ddd; border-left: 4px solid #9467bd; border-radius: 6px; padding: .8rem 1rem;
  margin: 1rem 0; }
article.community.counterfeit_cluster { border-left-color: #1f77b4; }
ul.members { margin: .3rem 0; padding-left: 1.2rem; font-size: .92rem; } ul.members li { margin: .15rem 0; }
p.steps { color: #555; font-size: .9rem; margin-top: .5rem; }
table.brokers { border-collapse: collapse; font-size: .9rem; width: 100%; }
table.brokers th, table.brokers td { border-bottom: 1px solid #eee; padding: .3rem .4rem; text-align: left;
  vertical-align: top; }
table.brokers code { white-space: nowrap; }
"""


def networks_section(part: NetworkPart, first_index: int) -> str:
    """The whole part; the first graph's data index is ``first_index``."""
    cards = [community_card(graph, first_index + k, part.names) for k, graph in enumerate(part.graphs)]
    more = part.total - len(part.graphs)
    intro = (f'<p>共 {part.total} 个（{escape(kind_counts(part))}），强者在前 / strongest first. 每个团伙的汇总流向图：线宽按盒数 '
             f"/ each with its aggregated flow; edge width by boxes.</p>")
    if not part.total:
        intro = "<p>未发现回流团伙或假药网络 / no reflux ring or counterfeit cluster found.</p>"
    rest = (f'<p class="meta">另有 {more} 个未显示，见 <code>{escape(part.more_in)}</code> / {more} more in '
            f"<code>{escape(part.more_in)}</code>.</p>") if more > 0 else ""
    return (f'<section class="networks" id="networks"><h2>团伙与网络 rings and networks（显示 shown '
            f"{len(part.graphs)} / {part.total}）</h2>{intro}{''.join(cards)}{rest}"
            f"{brokers_table(part.brokers, part.brokers_total, part.names)}</section>")


def kind_counts(part: NetworkPart) -> str:
    """How many of each kind were found, e.g. ``回流团伙 reflux rings 5；假药网络 counterfeit clusters 2``."""
    return "；".join(f"{zh} {en}s {part.kinds.get(kind, 0)}" for kind, (zh, en) in COMMUNITY_KINDS.items())


def community_card(graph: CommunityGraph, index: int, names: Mapping[str, str]) -> str:
    """One ring or cluster: title, explanations, evidence, members, graph."""
    row, community = graph.row, graph.community
    zh, en = COMMUNITY_KINDS.get(row["kind"], (row["kind"], row["kind"]))
    heading = (f"{escape(zh)} {escape(en)} #{int(row['rank'])} · <code>{escape(row['community_id'])}</code> · "
               f"可疑度 score {float(row['score']):.2f}")
    parts = [f"<h3>{heading}</h3>", f'<p class="zh">{escape(row["explanation_zh"])}</p>',
             f'<p class="en">{escape(row["explanation_en"])}</p>', _meta(row), _members(community, names)]
    if row["kind"] == "reflux_ring":
        parts.append(f'<p class="steps">{" → ".join(f"{zh} {en}" for zh, en in RING_STEPS)}（从左到右 left to right）</p>')
    else:
        parts.append(_regions(graph.regions))
    cut = f"，显示 {graph.nodes_shown} / {graph.nodes_total}" if graph.nodes_shown < graph.nodes_total else ""
    parts.append(f'<p class="meta">图中 {graph.nodes_shown} 个节点{cut} · {graph.nodes_shown} of '
                 f"{graph.nodes_total} nodes drawn</p>")
    parts.append(f'<div class="graph network" data-graph="{index}" data-community="{escape(row["community_id"])}" '
                 f'style="height: {int(graph.height)}px"></div>')
    return (f'<article class="community {escape(row["kind"])}" id="{escape(row["community_id"])}">'
            f'{"".join(parts)}</article>')


def brokers_table(brokers: Sequence[Mapping], total: int, names: Mapping[str, str]) -> str:
    """The top brokers: rank, role, who, boxes, ring, explanation."""
    if not brokers:
        return "<h3>中间人 brokers</h3><p>无 none.</p>"
    rows = "".join(
        f"<tr><td>{int(b['rank'])}</td><td>{escape(BROKER_ROLES.get(b['role'], b['role']))} "
        f"<small>{escape(b['role'])}</small></td><td>{_entity(b, names)}</td><td>{int(b['code_count'])}</td>"
        f"<td>{_ring_link(b.get('community_id'))}</td><td>{escape(b['explanation_zh'])}</td></tr>"
        for b in brokers)
    return (f"<h3>中间人 brokers（前 top {len(brokers)} / {total}）</h3><table class=\"brokers\"><thead><tr>"
            "<th>排名 rank</th><th>角色 role</th><th>对象 entity</th><th>盒数 boxes</th><th>团伙 ring</th>"
            f"<th>说明 explanation</th></tr></thead><tbody>{rows}</tbody></table>")


def member_codes(codes: Sequence[str]) -> str:
    """The codes, folded into a ``<details>`` when there are many."""
    listed = " ".join(f"<code>{escape(code)}</code>" for code in codes)
    if len(codes) <= INLINE_CODES:
        return listed
    return f"<details><summary>展开 show {len(codes)}</summary>{listed}</details>"


def _meta(row: Mapping) -> str:
    first, last = (f"{row[name]:%Y-%m-%d}" for name in ("first_time", "last_time"))
    return (f'<p class="meta">时间 time {first} – {last} · 追溯码 codes {int(row["code_count"])} · 事件 events '
            f'{int(row["event_count"])} · 金额 amount {float(row["amount"]):,.2f} 元</p>')


def _members(community, names: Mapping[str, str]) -> str:
    institutions = "；".join(_institution(code, names) for code in community.institutions)
    items = [f"<li>机构 institutions（{len(community.institutions)}）：{institutions}</li>"]
    if community.persons:
        persons = " ".join(f'<code title="{escape(p)}">{escape(short_pseudonym(p))}</code>' for p in community.persons)
        items.append(f"<li>参保人 insured persons（{len(community.persons)}）：{persons}</li>")
    items.append(f"<li>追溯码 trace codes（{len(community.trace_codes)}）：{member_codes(community.trace_codes)}</li>")
    return f'<ul class="members">{"".join(items)}</ul>'


def _institution(code: str, names: Mapping[str, str]) -> str:
    name = names.get(code)
    return f"<code>{escape(code)}</code>" + (f" {escape(name)}" if name and name != code else "")


def _entity(broker: Mapping, names: Mapping[str, str]) -> str:
    entity = str(broker["entity"])
    if broker["entity_kind"] == "person":
        return f'<code title="{escape(entity)}">{escape(short_pseudonym(entity))}</code>'
    return _institution(entity, names)


def _ring_link(community_id: str | None) -> str:
    if not community_id:
        return ""
    return f'<a href="#{escape(community_id)}"><code>{escape(community_id)}</code></a>'


def _regions(regions: Mapping[str, str]) -> str:
    shape = schema().label("Institution").shape
    swatches = " ".join(f'<span class="region">{shape_svg(shape, colour)} {escape(region)}</span>'
                        for region, colour in regions.items())
    return f'<p class="steps">机构按地区分组着色 outlets by region：{swatches} → 追溯码 trace codes</p>'
