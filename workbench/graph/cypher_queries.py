"""The Cypher of ``Neo4jStore``'s investigation queries (fixed text, every value a parameter), and the
small functions that turn their rows into what ``store.py``'s helpers take.

Where an event points to several nodes of one type, the answer takes the first by key, as
``MemoryStore`` does (``head(COLLECT { … ORDER BY key LIMIT 1 })``).
"""

from __future__ import annotations

from datetime import datetime

from workbench.graph.store import span_days

#: ``$code`` as a Code or a Pack node ``c`` (both keyed by the code).
_CODE = "CALL () { MATCH (c:Code {code: $code}) RETURN c UNION MATCH (c:Pack {code: $code}) RETURN c } "

#: The events of one code with where they happened, to whom and what was settled (``code_history``).
CODE_EVENTS = _CODE + """
MATCH (c)<-[:OF_CODE]-(e)
WITH e, head(COLLECT { MATCH (e)-[:AT]->(i) RETURN i ORDER BY i.code LIMIT 1 }) AS at
RETURN e {.*, institution: at.code, institution_type: at.type,
          patient: head(COLLECT { MATCH (e)-[:TO_PATIENT]->(p) RETURN p.pseudonym ORDER BY p.pseudonym LIMIT 1 }),
          product: head(COLLECT { MATCH (e)-[:OF_PRODUCT]->(p) RETURN p.med_list_codg ORDER BY p.med_list_codg LIMIT 1 })
         } AS event
"""

#: Reflux chains of one code: each of its events ``f`` (``reflux_chains(code)``).
CHAINS_OF_CODE = _CODE + "MATCH (c)<-[:OF_CODE]-(f) WITH c, f "

#: Reflux chains of every code: the events ``f`` at a dispensing institution, with their codes.
CHAINS_OF_ALL = """
MATCH (d:Institution) WHERE d.type IN $dispensers
MATCH (d)<-[:AT]-(f)-[:OF_CODE]->(c) WHERE c:Code OR c:Pack
WITH DISTINCT c, f
"""

#: From ``c`` and ``f``: dispensing sales ``f``, later sales ``r`` elsewhere at least ``$whole_seconds``
#: later (the exact span is checked on the rows), with no return to the dispenser and no transfer into
#: the reseller strictly between.
CHAIN_PAIRS = """
WHERE f.event_type = 'sale' AND f.event_time IS NOT NULL
WITH c, f, head(COLLECT { MATCH (f)-[:AT]->(i) RETURN i ORDER BY i.code LIMIT 1 }) AS fi
WHERE fi.type IN $dispensers
MATCH (c)<-[:OF_CODE]-(r)
WHERE r.event_type = 'sale' AND r.event_time IS NOT NULL
  AND duration.inSeconds(f.event_time, r.event_time).seconds >= $whole_seconds
WITH c, f, fi, r, head(COLLECT { MATCH (r)-[:AT]->(i) RETURN i ORDER BY i.code LIMIT 1 }) AS ri
WHERE ri IS NOT NULL AND ri.code <> fi.code
  AND NOT EXISTS {
    MATCH (c)<-[:OF_CODE]-(x)
    WHERE f.event_time < x.event_time < r.event_time AND x.event_type IN ['sale_return', 'transfer_in']
    WITH x, head(COLLECT { MATCH (x)-[:AT]->(i) RETURN i.code ORDER BY i.code LIMIT 1 }) AS xi
    WHERE (x.event_type = 'sale_return' AND xi = fi.code) OR (x.event_type = 'transfer_in' AND xi = ri.code)
  }
RETURN c.code AS code, fi.code AS first_seller, fi.type AS first_seller_type,
       head(COLLECT { MATCH (f)-[:TO_PATIENT]->(p) RETURN p.pseudonym ORDER BY p.pseudonym LIMIT 1 }) AS patient,
       f.event_id AS first_event, f.event_time AS first_time, ri.code AS reseller, ri.type AS reseller_type,
       r.event_id AS resale_event, r.event_time AS resale_time
"""

def by_time(event: dict) -> tuple:
    """History order: by time (events without one last), then event id.

    >>> [e["event_id"] for e in sorted([{"event_id": "b"}, {"event_id": "a", "event_time": datetime(2025, 1, 1)}],
    ...                                key=by_time)]
    ['a', 'b']
    """
    time = event.get("event_time")
    return time is None, time or datetime.min, event.get("event_id") or ""


def chain(row: dict) -> dict:
    """A ``CHAIN_PAIRS`` row (times as Python values) with its span in days."""
    return {**row, "span_days": span_days(row["first_time"], row["resale_time"])}


#: Label of the nodes whose neighbour a removal took away, still to be checked (see ``SWEEP``). Marking
#: them in the removal's own transaction makes a removal that is killed half way resumable.
UNSWEPT = "Unswept"

#: Remove nodes ``n`` (matched before this text) 1,000 to a transaction, marking their ends ``UNSWEPT``.
REMOVE = """
CALL (n) {
  OPTIONAL MATCH (n)--(end) WHERE elementId(end) <> elementId(n)
  FOREACH (marked IN CASE WHEN end IS NULL THEN [] ELSE [end] END | SET marked:Unswept)
  WITH DISTINCT n
  DETACH DELETE n RETURN 1 AS removed
} IN TRANSACTIONS OF 1000 ROWS
RETURN removed
"""

#: One step of the sweep, in one transaction: up to 10,000 ``UNSWEPT`` nodes unmarked, and those left
#: unreferenced (see ``GraphStore.remove``: only ``$weak`` relationships point to them) removed, their own
#: ends marked in turn.
SWEEP = """
MATCH (n:Unswept) WITH n LIMIT 10000
REMOVE n:Unswept
WITH n WHERE none(label IN labels(n) WHERE label IN $standalone)
  AND NOT EXISTS { (n)<-[r]-() WHERE NOT type(r) IN $weak } AND NOT EXISTS { (n)-[:CONTAINS]->() }
OPTIONAL MATCH (n)--(end) WHERE elementId(end) <> elementId(n)
FOREACH (marked IN CASE WHEN end IS NULL THEN [] ELSE [end] END | SET marked:Unswept)
WITH DISTINCT n
DETACH DELETE n
RETURN count(*) AS removed
"""

#: Whether any node is still to be swept.
UNSWEPT_LEFT = "MATCH (n:Unswept) RETURN count(n) > 0 AS left"
#: ``flow_events``: the flow events of every valid code sold two or more times.
FLOW_EVENTS = """
MATCH (s:Event {event_type: 'sale'})-[:OF_CODE]->(c)
WHERE c.scheme IN $schemes
WITH c, count(s) AS sales
WHERE sales >= 2
MATCH (c)<-[:OF_CODE]-(e:Event)
WHERE e.event_type IN $types AND e.event_time IS NOT NULL
WITH c, e, head(COLLECT { MATCH (e)-[:AT]->(i) RETURN i ORDER BY i.code LIMIT 1 }) AS at
WHERE at IS NOT NULL
RETURN c.code AS trace_code, e.event_id AS event_id, e.event_type AS event_type, e.event_time AS event_time,
       at.code AS institution_code, at.type AS institution_type, at.region AS region_code,
       head(COLLECT { MATCH (e)-[:TO_PATIENT]->(p) RETURN p.pseudonym ORDER BY p.pseudonym LIMIT 1 }) AS person,
       head(COLLECT { MATCH (e)-[:OF_PRODUCT]->(p) RETURN p.med_list_codg ORDER BY p.med_list_codg LIMIT 1 })
         AS med_list_codg,
       e.amount AS amount
"""

#: ``dispensed_codes``: distinct valid codes sold at dispensers, per patient or per institution.
DISPENSED_TO_PERSONS = """
UNWIND $keys AS key
MATCH (p:Patient {pseudonym: key})<-[:TO_PATIENT]-(e:Event {event_type: 'sale'})-[:AT]->(i:Institution)
WHERE i.type IN $dispensers
MATCH (e)-[:OF_CODE]->(c) WHERE c.scheme IN $schemes
RETURN key, count(DISTINCT c.code) AS codes
"""
DISPENSED_BY_INSTITUTIONS = """
UNWIND $keys AS key
MATCH (i:Institution {code: key})<-[:AT]-(e:Event {event_type: 'sale'})
WHERE i.type IN $dispensers
MATCH (e)-[:OF_CODE]->(c) WHERE c.scheme IN $schemes
RETURN key, count(DISTINCT c.code) AS codes
"""
