"""A case graph's event edges, merged when there are too many to open. Tiers, the first within the cap
used: one edge per event; one edge per (institution, code, event type) and per (code, person, type); the
codes' flow (``flow_edges.py``: institution → person sales, person → institution reappearances,
institution → institution transfers, each code's other events per (institution, product, event type), no
node per code); per (institution, product, event type), the person edges left out (the persons stay in the
graph as ring members). In the last two the case's own codes stay per code: its codes, its leads' codes and
its rings' codes, else (too many) without its rings' codes. Every edge says how many events it stands for
(``events``; 0 for a code → person edge, which repeats its sale, and for a reappearance), so they add up to
the events; ``count`` is the events (boxes) merged, and merged codes are listed in ``trace_codes``.

>>> edges = [EventEdge("Institution:H1", f"Code:C{k}", "sale", f"e{k}", time=f"2025-06-0{k}T09:00:00",
...                    amount=10.0, product="P1", code=f"C{k}") for k in range(1, 4)]
>>> [e.key for e in merge_event_edges(edges, [], 5).edges]
['e1', 'e2', 'e3']
>>> merged = merge_event_edges(edges, [{"C1", "C2"}, {"C1"}], 2)
>>> merged.level, [(e.end, e.facts["count"], e.facts["amount"], e.facts.get("trace_codes")) for e in merged.edges]
(2, [('Code:C1', 1, 10.0, None), ('Product:P1', 2, 20.0, 'C2|C3')])
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from workbench.cases.flow_edges import FLOW_TYPES, code_flows, code_list

#: Edge types from a code to the person who bought or returned it.
PERSON_TYPES = frozenset({"SOLD_TO", "RETURNED_BY"})


class EventEdge(NamedTuple):
    """One event as an edge: institution → code (or product), or code → person."""

    start: str
    end: str
    type: str
    key: str
    time: str = ""
    amount: float = 0.0
    quantity: float = 0.0
    person: str = ""
    institution: str = ""
    product: str = ""
    code: str = ""

    def facts(self) -> dict:
        facts = {"time": self.time, "quantity": self.quantity, "amount": self.amount, "count": 1,
                 "events": int(self.type not in PERSON_TYPES)}
        if self.type in PERSON_TYPES:
            facts["institution"] = self.institution
        elif self.person:
            facts["person"] = self.person
        return facts


class GraphEdge(NamedTuple):
    start: str
    end: str
    type: str
    key: str
    facts: dict


@dataclass(frozen=True)
class Merged:
    """The edges to draw, how far they were merged (0 not, 1 per code, 2 along the codes' flow, 3 per
    product), a sentence (Chinese / English) saying so, and the person edges left out."""

    edges: list[GraphEdge]
    level: int
    note: str
    dropped: int = 0


def merge_event_edges(edges: Sequence[EventEdge], keep_tiers: Sequence[Iterable[str]], cap: int) -> Merged:
    """The event edges, as they are when at most ``cap``, else merged (see the module's text);
    ``keep_tiers``: the codes that stay per code in the flow and per-product tiers, widest set first (the
    first that brings the edges within the cap is used, else the last)."""
    if len(edges) <= cap:
        return Merged([GraphEdge(e.start, e.end, e.type, e.key, e.facts()) for e in edges], 0,
                      f"逐条事件，未合并（{len(edges)} 条）/ one edge per event, none merged ({len(edges)})")
    per_code = _groups(edges)
    head = f"事件边 {len(edges)} 条超过上限 {cap} / {len(edges)} event edges exceed the cap of {cap}"
    if len(per_code) <= cap:
        return Merged(_summaries(per_code), 1, f"{head}：已按（机构、追溯码、事件类型）合并为 {len(per_code)} 条，count "
                                               f"为合并的事件数 / merged per (institution, trace code, event type) "
                                               f"into {len(per_code)}; count is the events merged")
    tiers = [set(tier) for tier in keep_tiers] or [set()]
    for keep in tiers:
        flow, found = _flow_tier(edges, keep)
        if len(flow) <= cap:
            return Merged(flow, 2, _flow_note(head, len(per_code), len(flow), len(keep), found))
    for keep in tiers:
        kept, dropped = _per_product(edges, keep)
        per_product = _groups(kept)
        if len(per_product) <= cap:
            break
    note = _product_note(head, (len(per_code), len(flow)), len(per_product), len(keep), dropped,
                         len(per_product) > cap)
    return Merged(_summaries(per_product), 3, note, dropped)


def _flow_tier(edges: Iterable[EventEdge], keep_codes: set[str]) -> tuple[list[GraphEdge], Counter]:
    """The case's own codes per code, the other codes along their flow (their code → person edges, which
    repeat their sales, left out), what no flow holds per product; and the flow edges by type, with the
    codes merged (``"codes"``)."""
    own = {f"Code:{code}" for code in keep_codes}
    kept: list[EventEdge] = []
    chained: list[EventEdge] = []
    rest: list[EventEdge] = []
    for edge in edges:
        if edge.start in own or edge.end in own:
            kept.append(edge)
        elif edge.type not in PERSON_TYPES:
            (chained if edge.end.startswith("Code:") else rest).append(edge)
    flows, others = code_flows(chained)
    rest += [_to_product(edge) for edge in others]
    drawn = [GraphEdge(flow.start, flow.end, flow.type, flow.type, flow.facts) for flow in flows]
    found = Counter(flow.type for flow in flows)
    found["codes"] = len({edge.end for edge in chained})
    return _summaries(_groups(kept)) + drawn + _summaries(_groups(rest)), found


def _flow_note(head: str, per_code: int, edges: int, kept: int, found: Counter) -> str:
    listed = [(FLOW_TYPES[type_], type_, found[type_]) for type_ in FLOW_TYPES if found[type_]]
    zh = "、".join(f"{names[0]} {type_} {n} 条" for names, type_, n in listed) or "无"
    en = ", ".join(f"{names[1]} {type_} {n}" for names, type_, n in listed) or "none"
    codes = found["codes"]
    return (f"{head}；按码合并后仍有 {per_code} 条：已按追溯码的流向合并为 {edges} 条（{zh}；其余事件按（机构、药品、"
            f"事件类型）合并），{codes} 个追溯码的事件不再经过码节点（码列在边的 trace_codes 中，code_count 为码数），案件"
            f"自身的 {kept} 个追溯码仍按码列出；count 为箱数，events 为边所代表的事件数 / still {per_code} per code: "
            f"merged along each code's flow into {edges} ({en}; the other events per (institution, product, "
            f"event type)), {codes} codes' events no longer pass through a code node (listed in the edges' trace_codes, "
            f"counted in code_count), the case's own {kept} codes still per code; count is boxes, events the "
            f"events an edge stands for")


def _product_note(head: str, tiers: tuple[int, int], per_product: int, kept: int, dropped: int, above: bool) -> str:
    per_code, flow = tiers
    still_zh, still_en = ("；仍超过上限", "; still above the cap") if above else ("", "")
    return (f"{head}；按码合并后仍有 {per_code} 条，按流向合并后仍有 {flow} 条：已按（机构、药品、事件类型）合并为 "
            f"{per_product} 条，案件自身的 {kept} 个追溯码仍按码列出（含参保人），其余追溯码的参保人连线 {dropped} 条"
            f"略去（参保人仍以团伙成员出现）{still_zh} / still {per_code} per code and {flow} along the codes' "
            f"flow: merged per (institution, product, event type) into {per_product}, the case's own {kept} codes "
            f"still per code (with their persons), {dropped} person edges of the other codes left out (persons "
            f"remain as ring members){still_en}")


def _per_product(edges: Iterable[EventEdge], keep_codes: set[str]) -> tuple[list[EventEdge], int]:
    """Edges to other codes moved to the code's product; the other codes' person edges dropped (counted)."""
    kept, dropped = [], 0
    own = {f"Code:{code}" for code in keep_codes}
    for edge in edges:
        if edge.type in PERSON_TYPES:
            if edge.start in own:
                kept.append(edge)
            else:
                dropped += 1
        else:
            kept.append(edge if edge.end in own else _to_product(edge))
    return kept, dropped


def _to_product(edge: EventEdge) -> EventEdge:
    """An edge to a code moved to the code's product (kept when the product is unknown)."""
    return edge._replace(end=f"Product:{edge.product}") if edge.end.startswith("Code:") and edge.product else edge


def _groups(edges: Iterable[EventEdge]) -> dict[tuple[str, str, str], list[EventEdge]]:
    """The edges by (start, end, type), in the order the groups first appear."""
    groups: dict[tuple[str, str, str], list[EventEdge]] = {}
    for edge in edges:
        groups.setdefault((edge.start, edge.end, edge.type), []).append(edge)
    return groups


def _summaries(groups: dict[tuple[str, str, str], list[EventEdge]]) -> list[GraphEdge]:
    return [_summary(key, group) for key, group in groups.items()]


def _summary(key: tuple[str, str, str], group: list[EventEdge]) -> GraphEdge:
    times = [edge.time for edge in group if edge.time]
    person_edge = key[2] in PERSON_TYPES
    facts = {"count": len(group), "events": 0 if person_edge else len(group), "first_time": min(times, default=""),
             "last_time": max(times, default=""), "amount": round(sum(edge.amount for edge in group), 2),
             "quantity": round(sum(edge.quantity for edge in group), 4)}
    if person_edge:
        facts["institutions"] = "|".join(sorted({edge.institution for edge in group if edge.institution}))
    else:
        facts["persons"] = len({edge.person for edge in group if edge.person})
    if key[1].startswith("Product:") and any(edge.code for edge in group):
        facts.update(code_list(edge.code for edge in group))
    return GraphEdge(*key, key[2], facts)
