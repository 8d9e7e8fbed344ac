"""What a case's events add up to, for its workbook: each code's timeline (its events in time order with
the step number and the days since the code's previous event), and per institution and per person the
events, codes and sales amount (sales less sale returns, CNY) with the first and last time.

>>> from datetime import datetime
>>> events = pa.table({"event_id": ["e1", "e2", "e3"], "event_type": ["sale", "sale", "sale_return"],
...     "event_time": [datetime(2025, 6, 1), datetime(2025, 6, 3, 12), datetime(2025, 6, 4)],
...     "trace_code": ["81000000000000000001"] * 3, "institution_code": ["P1", "P2", "P2"],
...     "person": ["PSN-a", "PSN-b", "PSN-b"], "amount": [20.0, 25.0, 25.0]})
>>> [(row["step"], row["days_since_previous"]) for row in code_timelines(events)]
[(1, None), (2, 2.5), (3, 0.5)]
>>> [(row["institution_code"], row["events"], row["amount"]) for row in institution_rollup(events)]
[('P2', 2, 0.0), ('P1', 1, 20.0)]
>>> [(row["person"], row["institutions"]) for row in person_rollup(events)]
[('PSN-b', 1), ('PSN-a', 1)]
"""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc


def code_timelines(events: pa.Table, limit: int | None = None) -> list[dict]:
    """One row per event with a trace code: codes in the order of their first event (then by code),
    each code's events in time order; ``step`` (1 = the code's first event) and ``days_since_previous``
    (``None`` for the first). At most ``limit`` rows."""
    events = _blank_as_null(events, "trace_code")
    events = events.filter(pc.is_valid(events["trace_code"]))
    order = [("trace_code", "ascending"), ("event_time", "ascending")]
    if "event_id" in events.column_names:
        order.append(("event_id", "ascending"))
    rows = events.sort_by(order).to_pylist()
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(row["trace_code"], []).append(row)
    ordered = sorted(groups.values(), key=lambda group: (_time_key(group[0]["event_time"]), group[0]["trace_code"]))
    out: list[dict] = []
    for group in ordered:
        previous = None
        for step, row in enumerate(group, start=1):
            if limit is not None and len(out) >= limit:
                return out
            out.append({**row, "step": step, "days_since_previous": _days(previous, row.get("event_time"))})
            previous = row.get("event_time")
    return out


def coded_events(events: pa.Table) -> int:
    """How many events carry a trace code."""
    return events.num_rows - _blank_as_null(events, "trace_code")["trace_code"].null_count


def institution_rollup(events: pa.Table) -> list[dict]:
    """Per institution: ``events``, ``codes``, ``persons``, ``amount`` (sales less returns), ``first_time``,
    ``last_time``; most events first, then by code."""
    return _rollup(events, "institution_code", ("trace_code", "person"))


def person_rollup(events: pa.Table) -> list[dict]:
    """Per person: ``events``, ``codes``, ``institutions`` (how many), ``institution_list`` (``|``-separated),
    ``amount``, ``first_time``, ``last_time``; most events first, then by person."""
    rows = _rollup(events, "person", ("trace_code", "institution_code"), listed="institution_code")
    for row in rows:
        row["institution_list"] = "|".join(sorted(row.pop("institution_code_list") or []))
    return rows


def sales_amount(events: pa.Table) -> float:
    """The sales amount of the events: sales less sale returns, CNY."""
    return round(pc.sum(_with_sales(events)["sales"]).as_py() or 0.0, 2)


def _rollup(events: pa.Table, key: str, distinct: tuple[str, str], listed: str = "") -> list[dict]:
    events = _with_sales(_blank_as_null(events, key, *distinct))
    events = events.filter(pc.is_valid(events[key]))
    aggregations = [("event_id", "count", pc.CountOptions("all")), (distinct[0], "count_distinct"),
                    (distinct[1], "count_distinct"), ("sales", "sum"), ("event_time", "min"), ("event_time", "max")]
    if listed:
        aggregations.append((listed, "distinct"))
    table = events.group_by(key).aggregate(aggregations)
    names = {"event_id_count": "events", f"{distinct[0]}_count_distinct": _plural(distinct[0]),
             f"{distinct[1]}_count_distinct": _plural(distinct[1]), "sales_sum": "amount",
             "event_time_min": "first_time", "event_time_max": "last_time", f"{listed}_distinct": f"{listed}_list"}
    table = table.rename_columns([names.get(name, name) for name in table.column_names])
    rows = table.sort_by([("events", "descending"), (key, "ascending")]).to_pylist()
    for row in rows:
        row["amount"] = round(row["amount"] or 0.0, 2)
    return rows


def _plural(column: str) -> str:
    return {"trace_code": "codes", "person": "persons", "institution_code": "institutions"}[column]


def _with_sales(events: pa.Table) -> pa.Table:
    """``events`` with a ``sales`` column: the amount of sales, minus that of sale returns, 0 otherwise."""
    kind = events["event_type"].cast(pa.string())
    sign = pc.fill_null(pc.if_else(pc.equal(kind, "sale"), 1.0,
                                   pc.if_else(pc.equal(kind, "sale_return"), -1.0, 0.0)), 0.0)
    amount = pc.fill_null(events["amount"].cast(pa.float64()), 0.0)
    amount = pc.if_else(pc.is_nan(amount), 0.0, amount)
    return events.append_column("sales", pc.multiply(sign, amount))


def _blank_as_null(events: pa.Table, *columns: str) -> pa.Table:
    """``events`` with the named text columns' empty strings as nulls (no code, no person)."""
    for name in columns:
        index = events.column_names.index(name)
        column = events[name].cast(pa.string())
        events = events.set_column(index, name, pc.if_else(pc.equal(pc.utf8_trim_whitespace(column), ""),
                                                           pa.scalar(None, pa.string()), column))
    return events


def _days(previous, current) -> float | None:
    if previous is None or current is None:
        return None
    return round((current - previous).total_seconds() / 86400, 2)


def _time_key(value) -> tuple:
    return (value is None, value if value is not None else datetime.min)
