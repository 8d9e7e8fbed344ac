"""What a case package shows: the case, the leads and communities that flag its members, and the members'
events in the case's time span, read from the workspace with persons as pseudonyms (unless revealed).

>>> Evidence.EVENT_COLUMNS[:4]
('event_id', 'event_time', 'event_type', 'trace_code')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

import pyarrow as pa

from workbench.cases.model import Case


@dataclass(frozen=True)
class Evidence:
    """Everything a package is written from.

    ``events``: one row per event (``EVENT_COLUMNS``), by time; ``person`` is the pseudonym (``PSN-…``)
    and ``person_name`` / ``person_id_no`` are empty, unless ``reveal`` (then ``person`` is the real person
    number and the other two the name and ID number as uploaded). ``leads`` (contract §3 rows) and
    ``communities`` (contract §6 rows, persons as pseudonyms unless revealed) are the case's own ones
    first, then those flagging its members. ``span``: first and last time of the evidence (``None`` when
    unknown). ``capped``: what was left out and why, e.g. ``{"events": 12034}`` (events beyond the cap,
    counted in the summary but not listed)."""

    EVENT_COLUMNS: ClassVar[tuple[str, ...]] = (
        "event_id", "event_time", "event_type", "trace_code", "med_list_codg", "product_name", "institution_code",
        "institution_type", "region_code", "person", "person_name", "person_id_no", "setl_id", "quantity",
        "unit_price", "amount", "supplier", "batch_no", "source_file", "source_line")

    case: Case
    leads: list[dict]
    communities: list[dict]
    events: pa.Table
    span: tuple[datetime | None, datetime | None] = (None, None)
    reveal: bool = False
    capped: dict = field(default_factory=dict)
    #: Institution code → {"institution_name", "institution_type", "region_code"} where known.
    institutions: dict = field(default_factory=dict)
    #: Product code → product name where known.
    products: dict = field(default_factory=dict)
    #: The upload files behind the listed events, as ingest recorded them (the package shows names only).
    sources: tuple[str, ...] = ()
