"""A case graph's event edges, merged when there are too many to open: first one edge per (institution,
code, event type) and per (code, person, type); if still too many, the case's own codes stay per code and
the other codes' events merge per (institution, product, event type), their person edges left out (the
persons stay in the graph as ring members). When even that is too many, a narrower set of own codes is
tried (the codes the case and its leads name, without its rings' codes). Every merged edge counts the
events behind it, so the counts add up to the events.

>>> edges = [EventEdge("Institution:H1", f"Code:C{k}", "sale", f"e{k}", time=f"2025-06-0{k}T09:00:00",
...                    amount=10.0, product="P1") for k in range(1, 4)]
>>> [e.key for e in merge_event_edges(edges, [], 5).edges]
['e1', 'e2', 'e3']
>>> merged = merge_event_edges(edges, [{"C1", "C2"}, {"C1"}], 2)
>>> merged.level, [(e.end, e.facts["count"], e.facts["amount"]) for e in merged.edges]
(2, [('Code:C1', 1, 10.0), ('Product:P1', 2, 20.0)])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

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

    def facts(self) -> dict:
        facts = {"time": self.time, "quantity": self.quantity, "amount": self.amount, "count": 1}
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
    """The edges to draw, how far they were merged (0 not, 1 per code, 2 per product), a sentence
    (Chinese / English) saying so, and the person edges left out."""

    edges: list[GraphEdge]
    level: int
    note: str
    dropped: int = 0


def merge_event_edges(edges: Sequence[EventEdge], keep_tiers: Sequence[Iterable[str]], cap: int) -> Merged:
    """The event edges, as they are when at most ``cap``, else merged (see the module's text);
    ``keep_tiers``: the codes that stay per code at the second step, widest set first (the first that
    brings the edges within the cap is used, else the last)."""
    if len(edges) <= cap:
        return Merged([GraphEdge(e.start, e.end, e.type, e.key, e.facts()) for e in edges], 0,
                      f"逐条事件，未合并（{len(edges)} 条）/ one edge per event, none merged ({len(edges)})")
    per_code = _groups(edges)
    head = f"事件边 {len(edges)} 条超过上限 {cap} / {len(edges)} event edges exceed the cap of {cap}"
    if len(per_code) <= cap:
        return Merged(_summaries(per_code), 1, f"{head}：已按（机构、追溯码、事件类型）合并为 {len(per_code)} 条，count "
                                               f"为合并的事件数 / merged per (institution, trace code, event type) "
                                               f"into {len(per_code)}; count is the events merged")
    for keep in [set(tier) for tier in keep_tiers] or [set()]:
        kept, dropped = _per_product(edges, keep)
        per_product = _groups(kept)
        if len(per_product) <= cap:
            break
    note = _product_note(head, len(per_code), len(per_product), len(keep), dropped, len(per_product) > cap)
    return Merged(_summaries(per_product), 2, note, dropped)


def _product_note(head: str, per_code: int, per_product: int, kept: int, dropped: int, above: bool) -> str:
    still_zh, still_en = ("；仍超过上限", "; still above the cap") if above else ("", "")
    return (f"{head}；按码合并后仍有 {per_code} 条：已按（机构、药品、事件类型）合并为 {per_product} 条，案件自身的 "
            f"{kept} 个追溯码仍按码列出（含参保人），其余追溯码的参保人连线 {dropped} 条略去（参保人仍以团伙成员出现）"
            f"{still_zh} / still {per_code} per code: merged per (institution, product, event type) into "
            f"{per_product}, the case's own {kept} codes still per code (with their persons), {dropped} person "
            f"edges of the other codes left out (persons remain as ring members){still_en}")


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
        elif edge.end.startswith("Code:") and edge.end not in own and edge.product:
            kept.append(EventEdge(edge.start, f"Product:{edge.product}", edge.type, edge.key, edge.time,
                                  edge.amount, edge.quantity, edge.person, edge.institution, edge.product))
        else:
            kept.append(edge)
    return kept, dropped


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
    facts = {"count": len(group), "first_time": min(times, default=""), "last_time": max(times, default=""),
             "amount": round(sum(edge.amount for edge in group), 2),
             "quantity": round(sum(edge.quantity for edge in group), 4)}
    if key[2] in PERSON_TYPES:
        facts["institutions"] = "|".join(sorted({edge.institution for edge in group if edge.institution}))
    else:
        facts["persons"] = len({edge.person for edge in group if edge.person})
    return GraphEdge(*key, key[2], facts)
