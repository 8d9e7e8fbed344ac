"""What a trainee sees of one planted case or look-alike, asked of the graph store: the candidates to pick
from (the case's own entity and look-alike neighbours no truth row and no lead names), a short table of
their facts, and the subgraph to draw. One family per question:

- ``codes_at_institution`` (串换 and its look-alikes 拆零, 退货重售, 重复上传): which code of this institution is
  settled again and again?
- ``copied_codes`` (假药 and 连锁调拨): which code sells at several institutions, in several regions, within days?
- ``reseller`` (回流): which institution sold a box a hospital had already dispensed?
- ``overselling`` (空刷): which institution sold more of a product than it ever had in stock?

>>> summarise([{"event_type": "sale", "patient": "PSN-1", "institution": "P1", "product": "X", "split_flag": True,
...             "event_time": "2025-06-01T09:00:00"},
...            {"event_type": "sale_return", "patient": "PSN-1", "institution": "P1", "product": "X"}])["sales"]
1
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import networkx as nx

from workbench.graph.store import GraphStore, entity, node_id
from workbench.report_text import EVENT_TYPE_ZH
from workbench.screens.privacy import short_pseudonym
from workbench.widgets.subgraphs import code_graph, shared_events, union, with_regions
from workbench.widgets.ui import as_datetime, minute

#: Candidates per question (the case's entity among them).
CANDIDATES = 3
#: Neighbours looked at, at most, to find clean look-alike candidates.
LOOKED_AT = 40


@dataclass(frozen=True)
class Pattern:
    """A question about a case: the candidates (node ids), the one the case is about, a table and the
    graph to draw (built when first shown)."""

    question_zh: str
    question_en: str
    candidates: list[str]
    target: str
    columns: list[tuple[str, str]]
    rows: list[dict]
    draw: Callable[[], nx.MultiDiGraph]


@dataclass(frozen=True)
class Clean:
    """What no candidate other than the case's own may be: codes a truth row or a lead names, and by
    scenario the institutions its planted cases and leads name."""

    codes: frozenset[str]
    places: Mapping[str, frozenset[str]]

    def institutions(self, scenario: str) -> set[str]:
        return set(self.places.get(scenario, ()))


def summarise(history: list[Mapping]) -> dict:
    """A code's history in a few numbers."""
    types = Counter(row.get("event_type") for row in history)
    sales = [row for row in history if row.get("event_type") == "sale"]
    times = [as_datetime(row.get("event_time")) for row in sales if row.get("event_time")]
    hours = (max(times) - min(times)).total_seconds() / 3600 if times else None
    return {"sales": types["sale"], "returns": types["sale_return"], "transfers": types["transfer_in"] + types["transfer_out"],
            "persons": len({row["patient"] for row in sales if row.get("patient")}),
            "split": sum(bool(row.get("split_flag")) for row in sales), "times": len(set(times)),
            "institutions": len({row["institution"] for row in sales if row.get("institution")}),
            "products": " ".join(sorted({row["product"] for row in sales if row.get("product")})),
            "first": minute(min(times)) if times else "", "last": minute(max(times)) if times else "",
            "hours": None if hours is None else round(hours, 1)}


def _neighbours(store: GraphStore, label: str, key: str, want: str) -> list[str]:
    """Keys of the ``want`` nodes two hops from an entity through its events (suppliers left out), sorted."""
    around = store.neighbourhood(label, key, hops=2, labels=["Event", want])
    return sorted(data["key"] for node, data in around.nodes(data=True) if data.get("label") == want
                  and node != node_id(label, key) and data.get("type") != "supplier")


def _pick(rng: random.Random, keys: list[str], taken: set[str], fits: Callable[[str], bool]) -> list[str]:
    """Up to ``CANDIDATES - 1`` keys not taken that fit, in a seeded order."""
    order = list(keys)
    rng.shuffle(order)
    chosen = []
    for key in order[:LOOKED_AT]:
        if key not in taken and fits(key):
            chosen.append(key)
        if len(chosen) == CANDIDATES - 1:
            break
    return chosen


def _shuffled(rng: random.Random, items: list[str]) -> list[str]:
    items = list(items)
    rng.shuffle(items)
    return items


def codes_at_institution(store: GraphStore, case: Mapping, clean: Clean, rng: random.Random) -> Pattern:
    """The case's code and codes sold once at the same institution."""
    code, place = case["trace_code"], case["institution_code"]
    others = _pick(rng, _neighbours(store, "Institution", place, "Code"), set(clean.codes) | {code},
                   lambda key: summarise(store.code_history(key))["sales"] == 1)
    codes = _shuffled(rng, [code, *others])
    rows = [{"code": key, "belongs": _product_of(store, key), **summarise(store.code_history(key))} for key in codes]
    columns = [("code", "追溯码 code"), ("sales", "销售 sales"), ("returns", "退货 returns"), ("persons", "参保人 persons"),
               ("split", "拆零 split rows"), ("times", "不同时间 distinct times"), ("belongs", "码所属药品 code's product"),
               ("products", "结算药品 settled as"), ("first", "首次 first"), ("last", "末次 last")]
    return Pattern(f"{place} 的哪个追溯码被反复结算（串换）？都合法则选“合法”。",
                   f"Which code at {place} is settled again and again (substitution)? If none, pick legitimate.",
                   [node_id("Code", key) for key in codes], node_id("Code", code), columns, rows,
                   lambda: unmarked(union(code_graph(store, key) for key in codes)))


def copied_codes(store: GraphStore, case: Mapping, clean: Clean, rng: random.Random) -> Pattern:
    """The case's code and codes sold once at one of its institutions."""
    code, place = case["trace_code"], case["institution_code"]
    others = _pick(rng, _neighbours(store, "Institution", place, "Code"), set(clean.codes) | {code},
                   lambda key: summarise(store.code_history(key))["sales"] == 1)
    codes = _shuffled(rng, [code, *others])
    rows = [_spread(store, key) for key in codes]
    columns = [("code", "追溯码 code"), ("sales", "销售 sales"), ("institutions", "机构 institutions"),
               ("regions", "地区 regions"), ("transfers", "调拨 transfers"), ("first", "首次 first"),
               ("last", "末次 last"), ("hours", "跨度（小时） hours")]
    return Pattern("哪个追溯码短期内在多个地区的多家机构售出（疑似假药）？都合法则选“合法”。",
                   "Which code sold at several institutions in several regions within days (counterfeit)? If none, "
                   "pick legitimate.", [node_id("Code", key) for key in codes], node_id("Code", code), columns, rows,
                   lambda: unmarked(with_regions(store, union(code_graph(store, key) for key in codes))))


def _product_of(store: GraphStore, code: str) -> str:
    """The product a code belongs to by its prefix (the three-code mapping), when known."""
    around = store.neighbourhood("Code", code, hops=1, labels=["Product"])
    return " ".join(sorted(data["key"] for _, data in around.nodes(data=True) if data.get("label") == "Product"))


def unmarked(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """The graph without what would give the answer away: leads and communities."""
    return graph.subgraph(n for n, label in graph.nodes(data="label") if label not in ("Lead", "Community")).copy()


def _spread(store: GraphStore, code: str) -> dict:
    history = store.code_history(code)
    places = sorted({row["institution"] for row in history if row.get("institution")})
    regions = {data["key"] for place in places for _, data in
               store.neighbourhood("Institution", place, hops=1, labels=["Region"]).nodes(data=True)
               if data.get("label") == "Region"}
    return {"code": code, **summarise(history), "institutions": len(places), "regions": len(regions)}


def reseller(store: GraphStore, case: Mapping, clean: Clean, rng: random.Random) -> Pattern:
    """The code's dispensing hospital, its reseller and another seller of the product."""
    code, place = case["trace_code"], case["institution_code"]
    history = store.code_history(code)
    sellers = list(dict.fromkeys(row["institution"] for row in history if row.get("institution")))
    taken = clean.institutions(case["scenario"]) | set(sellers)
    others = _pick(rng, _neighbours(store, "Product", case["med_list_codg"], "Institution"), taken, lambda key: True)
    places = _shuffled(rng, list(dict.fromkeys([*sellers, place, *others]))[:CANDIDATES + 1])
    rows = [{"time": minute(row.get("event_time")), "type": EVENT_TYPE_ZH.get(row["event_type"], row["event_type"]),
             "institution": row.get("institution"), "institution_type": row.get("institution_type"),
             "person": short_pseudonym(row.get("patient") or "")} for row in history]
    columns = [("time", "时间 time"), ("type", "类型 type"), ("institution", "机构 institution"),
               ("institution_type", "机构类型 kind"), ("person", "参保人 person")]
    return Pattern(f"追溯码 {code}：哪家机构再次销售了医疗机构已售出的药（回流）？都合法则选“合法”。",
                   f"Code {code}: which institution sold again a box a hospital had already dispensed (reflux)? If "
                   "none, pick legitimate.", [node_id("Institution", key) for key in places],
                   node_id("Institution", place), columns, rows, lambda: unmarked(code_graph(store, code)))


def overselling(store: GraphStore, case: Mapping, clean: Clean, rng: random.Random) -> Pattern:
    """The case's institution and other sellers of the same product, with their stock figures."""
    place, product = case["institution_code"], case["med_list_codg"]
    others = _pick(rng, _neighbours(store, "Product", product, "Institution"), clean.institutions(case["scenario"]) | {place},
                   lambda key: stock(shared_events(store, ("Institution", key), ("Product", product)))["sale"] > 0)
    places = _shuffled(rng, [place, *others])
    rows = [{"institution": key, **stock(shared_events(store, ("Institution", key), ("Product", product)))}
            for key in places]
    columns = [("institution", "机构 institution"), ("inventory", "首次盘存 first count"),
               ("purchase", "采购 purchased"), ("transfer_in", "调入 transferred in"), ("sale", "销售 sold"),
               ("sale_return", "退货 returned")]
    return Pattern(f"药品 {product}：哪家机构卖出的数量超过了它的库存（空刷）？都合法则选“合法”。",
                   f"Product {product}: which institution sold more than it ever had in stock (phantom sales)? If "
                   "none, pick legitimate.", [node_id("Institution", key) for key in places],
                   node_id("Institution", place), columns, rows,
                   lambda: union(shared_events(store, ("Institution", key), ("Product", product)) for key in places))


def stock(graph: nx.MultiDiGraph) -> dict:
    """Quantities by event type among a graph's events; ``inventory`` the first stock count."""
    events = sorted((data for _, data in graph.nodes(data=True) if data.get("label") == "Event"),
                    key=lambda data: str(data.get("event_time") or ""))
    totals: Counter = Counter()
    for data in events:
        totals[data.get("event_type")] += data.get("quantity") or 0
    counts = [data for data in events if data.get("event_type") == "inventory"]
    first = sum(data.get("quantity") or 0 for data in counts if data.get("event_time") == counts[0].get("event_time"))
    return {name: round(totals[name], 2) for name in ("purchase", "transfer_in", "sale", "sale_return")} | {
        "inventory": round(first, 2) if counts else None}


#: The question family of each kind a trainer sees.
FAMILIES: dict[str, Callable[..., Pattern]] = {
    "substitution": codes_at_institution, "split_sale": codes_at_institution, "return_resale": codes_at_institution,
    "double_upload": codes_at_institution, "counterfeit": copied_codes, "chain_transfer": copied_codes,
    "reflux": reseller, "phantom_sale": overselling,
}


def candidate_text(node: str) -> str:
    """A candidate on its button: the label's Chinese and the key."""
    label, key = entity(node)
    return f"{'追溯码' if label in ('Code', 'Pack') else '机构'} {key}"
