"""What rings and clusters have in common: the ``Community`` found, its stable id, its score and its
explanation, and the small helpers that turn numbers and lists into the sentences investigators read.

>>> ring = Community("reflux_ring", ("H1", "P1"), ("PSN-a",), ("C1", "C2", "C3"), 6, 90.0,
...                  datetime(2025, 6, 1), datetime(2025, 7, 1), 0.7, {})
>>> ring.community_id
'RING-bab5e3b390d7'
>>> listed(["A", "B", "C", "D", "E", "F", "G"])
'A, B, C, D, E +2'
>>> saturating(3, 6)
0.5
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from workbench.analytics.declared import EXPLANATIONS

#: The id prefix of each kind of community.
PREFIXES = {"reflux_ring": "RING", "counterfeit_cluster": "CLUS"}


@dataclass(frozen=True)
class Community:
    """A reflux ring or counterfeit cluster: its members (institution codes, person pseudonyms), the
    codes that tie them, the size and span of the evidence, a score (0–1) and the facts its explanation
    names."""

    kind: str
    institutions: tuple[str, ...]
    persons: tuple[str, ...]
    trace_codes: tuple[str, ...]
    event_count: int
    amount: float
    first_time: datetime
    last_time: datetime
    score: float
    facts: dict = field(compare=False, hash=False)

    @property
    def community_id(self) -> str:
        """Stable: a hash of the kind, the member institutions and the codes (same data and parameters, same
        id, in any workspace: the persons follow from the codes, and their pseudonyms from each workspace's
        key, so they are left out)."""
        text = "\n".join([self.kind, "|".join(self.institutions), "|".join(self.trace_codes)])
        return f"{PREFIXES[self.kind]}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"

    @property
    def members(self) -> list[tuple[str, str]]:
        """``(label, key)`` of every member, institutions first."""
        return [("Institution", code) for code in self.institutions] + [("Patient", p) for p in self.persons]

    def explanation(self) -> tuple[str, str]:
        """The Chinese and English sentences: who, what, when."""
        values = {"code_count": len(self.trace_codes), "event_count": self.event_count, "amount": self.amount,
                  "first_time": self.first_time, "last_time": self.last_time, "institutions_n": len(self.institutions),
                  "institutions": listed(self.institutions), "persons_n": len(self.persons), **self.facts}
        templates = EXPLANATIONS[self.kind]
        return templates["zh"].format(**values), templates["en"].format(**values)


def listed(items: Sequence[str], limit: int = 5) -> str:
    """Up to ``limit`` items, then how many more."""
    shown = ", ".join(items[:limit])
    return shown + (f" +{len(items) - limit}" if len(items) > limit else "")


def saturating(value: float, full: float) -> float:
    """``value / full``, at most 1: how a count adds to a score until it is plainly enough."""
    return min(1.0, max(0.0, value / full))


def ordered(communities: list[Community]) -> list[Community]:
    """Strongest first: score, then more codes, then the id."""
    return sorted(communities, key=lambda c: (-c.score, -len(c.trace_codes), c.community_id))
