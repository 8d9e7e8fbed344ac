"""A case graph's "flow" edges: the events of many trace codes merged along the way each box travelled, so a
big reflux ring still reads hospital → collector → pharmacy without one node per code.

Each code's events are followed in time order (at one moment a box leaves before it arrives) and become:

- ``SOLD_TO`` institution → person, a sale to an insured person (``RETURNED_BY`` institution → person for a
  return by one);
- ``REAPPEARED_AT`` person → institution, where the box a person bought turns up next (any later event at
  another institution: a resale, a transfer, a stock movement); a link between two events, counted on
  their own edges;
- ``TRANSFER`` institution → institution, a 3502 transfer out (or a stock out) followed by the box at
  another institution, together with that institution's transfer in; or a transfer in from wherever the box
  was last seen.

Every other event (purchases, inventory, sales without a person, an out the box never left by) is handed
back, to be merged per (institution, product, event type). Each flow edge counts boxes (``count``) and the
events it stands for (``events``: a sale 1, a transfer out with its transfer in 2, a reappearance 0), so the
events add up; ``trace_codes`` lists up to ``MAX_LISTED_CODES`` of its codes and ``code_count`` counts them;
``first_time`` / ``last_time`` span it, ``amount`` and ``quantity`` sum its sales, ``median_days`` is a
reappearance's usual delay.

>>> from workbench.cases.event_edges import EventEdge
>>> def event(site, kind, day, person="", key=""):
...     return EventEdge(f"Institution:{site}", "Code:C1", kind, key or f"{site}-{day}",
...                      f"2025-06-{day:02d}T09:00:00", 10.0, 1.0, person, site, "P1", "C1")
>>> flows, rest = code_flows([event("H1", "purchase", 1), event("H1", "sale", 2, "PSN-a"),
...                           event("P2", "sale", 12, "PSN-b")])
>>> for flow in flows:
...     print(flow.start, flow.type, flow.end, flow.facts["count"], flow.facts["events"])
Institution:H1 SOLD_TO Person:PSN-a 1 1
Institution:P2 SOLD_TO Person:PSN-b 1 1
Person:PSN-a REAPPEARED_AT Institution:P2 1 0
>>> flows[2].facts["median_days"], [e.type for e in rest]
(10.0, ['purchase'])
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median
from typing import NamedTuple, Protocol

#: Codes an edge lists in ``trace_codes`` at most (``code_count`` counts them all).
MAX_LISTED_CODES = 20
#: Flow edge types, in the order their edges are listed, each with its Chinese and English name.
FLOW_TYPES = {"SOLD_TO": ("售予", "sold to"), "RETURNED_BY": ("退货人", "returned by"),
              "REAPPEARED_AT": ("再现于", "reappeared at"), "TRANSFER": ("调拨", "transfer")}
#: Events after which the box is on its way to another institution.
OUT_TYPES = frozenset({"transfer_out", "stock_out"})
#: Events that do not move a box (a sold box stays with its buyer through its seller's inventory).
PASSIVE_TYPES = frozenset({"inventory", "other"})
#: Order of one code's events at the same moment: out before in before the rest.
MOMENT_ORDER = {"transfer_out": 0, "stock_out": 0, "transfer_in": 1, "stock_in": 1, "purchase": 1}


class Event(Protocol):
    """What a flow reads of an event's edge (``event_edges.EventEdge``): institution → code."""

    start: str
    end: str
    type: str
    time: str
    amount: float
    quantity: float
    person: str


class Flow(NamedTuple):
    """One merged flow edge: its ends, type and attributes."""

    start: str
    end: str
    type: str
    facts: dict


@dataclass
class _Tally:
    """What one flow edge has gathered so far."""

    count: int = 0
    events: int = 0
    times: list[str] = field(default_factory=list)
    amount: float = 0.0
    quantity: float = 0.0
    days: list[float] = field(default_factory=list)
    codes: dict[str, None] = field(default_factory=dict)

    def facts(self, type_: str) -> dict:
        facts = {"count": self.count, "events": self.events, "first_time": min(self.times, default=""),
                 "last_time": max(self.times, default=""), **code_list(self.codes)}
        if type_ in ("SOLD_TO", "RETURNED_BY"):
            facts.update(amount=round(self.amount, 2), quantity=round(self.quantity, 4))
        if type_ == "REAPPEARED_AT" and self.days:
            facts["median_days"] = round(median(self.days), 1)
        return facts


class _Flows:
    """Flow edges by (start, end, type), in the order they first appear."""

    def __init__(self) -> None:
        self.tallies: dict[tuple[str, str, str], _Tally] = {}

    def add(self, start: str, end: str, type_: str, code: str, time: str, *, boxes: int = 1,
            events: Iterable[Event] = (), days: float | None = None) -> None:
        tally = self.tallies.setdefault((start, end, type_), _Tally())
        tally.count += boxes
        tally.codes[code] = None
        if time:
            tally.times.append(time)
        if days is not None:
            tally.days.append(days)
        for event in events:
            tally.events += 1
            tally.amount += event.amount
            tally.quantity += event.quantity

    def edges(self) -> list[Flow]:
        order = {type_: rank for rank, type_ in enumerate(FLOW_TYPES)}
        keys = sorted(self.tallies, key=lambda key: order[key[2]])
        return [Flow(*key, self.tallies[key].facts(key[2])) for key in keys]


def code_flows(edges: Iterable[Event]) -> tuple[list[Flow], list[Event]]:
    """The flow edges of the codes' events (institution → code edges, in time order), and the events no
    flow holds, as they came."""
    by_code: dict[str, list[Event]] = {}
    for edge in edges:
        by_code.setdefault(edge.end, []).append(edge)
    flows, rest = _Flows(), []
    for code, events in by_code.items():
        events.sort(key=lambda event: (event.time, MOMENT_ORDER.get(event.type, 2)))
        rest += _follow(code.split(":", 1)[1], events, flows)
    return flows.edges(), rest


def _follow(code: str, events: list[Event], flows: _Flows) -> list[Event]:
    """Add one code's flow to ``flows``; the events it does not hold.

    Who holds the box: ``("person", node, site, time)`` after a sale, ``("out", site, event)`` after a
    transfer or stock out, ``("site", site)`` after anything else."""
    holder: tuple | None = None
    rest: list[Event] = []
    for event in events:
        site, absorbed = event.start, False
        if holder and holder[0] == "person" and site != holder[2]:
            flows.add(holder[1], site, "REAPPEARED_AT", code, event.time, days=_days(holder[3], event.time))
        elif holder and holder[0] == "out":
            if site == holder[1]:
                rest.append(holder[2])
            else:
                absorbed = event.type == "transfer_in"
                moved = [holder[2], event] if absorbed else [holder[2]]
                flows.add(holder[1], site, "TRANSFER", code, holder[2].time, events=moved)
        elif holder and holder[0] == "site" and site != holder[1] and event.type == "transfer_in":
            absorbed = True
            flows.add(holder[1], site, "TRANSFER", code, event.time, events=[event])
        holder = _holder(code, event, holder, absorbed, flows, rest)
    if holder and holder[0] == "out":
        rest.append(holder[2])
    return rest


def _holder(code: str, event: Event, holder: tuple | None, absorbed: bool, flows: _Flows,
            rest: list[Event]) -> tuple:
    """Add the event's own edge (a sale or return to a person), or hand it back; who holds the box next."""
    site = event.start
    if absorbed:
        return ("site", site)
    if event.person and event.type in ("sale", "sale_return"):
        person = f"Person:{event.person}"
        type_ = "SOLD_TO" if event.type == "sale" else "RETURNED_BY"
        flows.add(site, person, type_, code, event.time, events=[event])
        return ("person", person, site, event.time) if type_ == "SOLD_TO" else ("site", site)
    if event.type in OUT_TYPES:
        return ("out", site, event)
    rest.append(event)
    if holder and holder[0] == "person" and holder[2] == site and event.type in PASSIVE_TYPES:
        return holder
    return ("site", site)


def _days(since: str, until: str) -> float | None:
    """Days from one ISO time to another (``None`` when either is no time).

    >>> _days("2025-06-01T09:00:00", "2025-06-11T21:00:00"), _days("", "2025-06-11")
    (10.5, None)
    """
    try:
        return (datetime.fromisoformat(until) - datetime.fromisoformat(since)).total_seconds() / 86400
    except (TypeError, ValueError):
        return None


def code_list(codes: Iterable[str]) -> dict:
    """``trace_codes`` (up to ``MAX_LISTED_CODES``, ``|``-separated) and ``code_count`` of some codes.

    >>> code_list(["C1", "C2", "C1", ""])
    {'trace_codes': 'C1|C2', 'code_count': 2}
    """
    listed = [code for code in dict.fromkeys(codes) if code]
    return {"trace_codes": "|".join(listed[:MAX_LISTED_CODES]), "code_count": len(listed)}
