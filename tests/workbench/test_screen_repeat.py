"""跨机构重复销售 repeat: a code sold, net of returns, at several institutions that no other rule and no
legitimate pattern explains; and the repeat ledger, which puts every code sold more than once in exactly
one bucket. On DuckDB; the reconciliation and one lead on Spark too (the generated districts compare the
two engines' leads and ledgers in full)."""

from __future__ import annotations

import pytest

from loaders.workspace import Workspace
from tests.workbench.events_builder import event, write
from workbench.screens.ledger import KINDS, bucket_counts
from workbench.screens.run import screening

P1, P2, P3 = "P50011600001", "P50011600002", "P50011600003"
FAR = "P50010100009"  # another district
HOSPITAL = "H50011600007"


def code(n: int) -> str:
    return f"8123456{n:013d}"


def at(n: int, site: str, day: float, kind: str = "sale", number: int | None = None, **fields) -> dict:
    """Event ``number`` of code ``n`` at ``site`` on ``day``."""
    number = number if number is not None else n * 100 + int(day * 10) + hash(site) % 7
    region = site[1:7]
    kind_of_site = "hospital" if site.startswith("H") else "pharmacy"
    return event(number, code(n), kind, day, institution_code=site, institution_type=kind_of_site, region_code=region,
                 **fields)


@pytest.fixture
def ws(tmp_path) -> Workspace:
    return Workspace(tmp_path / "ws")


#: The rules a repeat can fall to (the stock and collection rules read other things, and Spark is slow).
CODE_RULES = ["substitution", "counterfeit", "reflux", "repeat"]


def _run(ws: Workspace, rows: list[dict], products: list[dict] | None = None, **params):
    write(ws, rows, products)
    return screening(ws, CODE_RULES, {k: str(v) for k, v in params.items()})


def _buckets(result) -> dict[str, str]:
    return dict(zip(result.ledger.column("trace_code").to_pylist(), result.ledger.column("bucket").to_pylist(),
                    strict=True))


def _repeats(result) -> dict[str, dict]:
    return {lead["trace_code"]: lead for lead in result.leads.to_pylist() if lead["scenario"] == "repeat"}


@pytest.mark.usefixtures("engine")
def test_three_pharmacies_of_one_district_within_three_weeks_is_a_repeat_lead(ws):
    result = _run(ws, [at(1, P1, 0), at(1, P2, 8), at(1, P3, 19)])
    lead = _repeats(result)[code(1)]
    assert (lead["institution_code"], lead["institutions"]) == (P3, f"{P1}|{P2}|{P3}")
    assert f"{P1} (500116, 2025-06-01) → {P2} (500116, 2025-06-09) → {P3}" in lead["explanation_zh"]
    assert "3 家机构" in lead["explanation_zh"] and "over 19 days" in lead["explanation_en"]
    assert 0 <= lead["score"] <= 1 and lead["event_count"] == 3
    assert _buckets(result)[code(1)] == "repeat"


def test_a_sale_at_home_and_in_another_region_five_weeks_later_is_a_repeat_lead(ws):
    result = _run(ws, [at(2, P1, 0), at(2, FAR, 35)])
    lead = _repeats(result)[code(2)]
    assert lead["institution_code"] == FAR and "2 个地区" in lead["explanation_zh"]
    assert not [row for row in result.leads.to_pylist() if row["scenario"] == "counterfeit"]


def test_the_score_grows_with_places_and_falls_with_the_span(ws):
    result = _run(ws, [at(3, P1, 0), at(3, P2, 3), at(3, P3, 6), at(3, FAR, 40),
                       at(4, P1, 0), at(4, P2, 300)])
    leads = _repeats(result)
    assert leads[code(3)]["score"] > leads[code(4)]["score"]


@pytest.mark.parametrize(("rows", "bucket"), [
    ([at(5, P1, 0), at(5, P1, 2, "sale_return"), at(5, P2, 10)], "return_resale"),
    ([at(6, P1, 0), at(6, P1, 2, "sale_return"), at(6, P1, 3, "transfer_out"), at(6, P2, 3, "transfer_in"),
      at(6, P2, 10)], "chain_transfer"),
    ([at(7, P1, 0), at(7, P2, 3, "transfer_in"), at(7, P2, 10)], "chain_transfer"),
    ([at(8, P1, 0, number=1, receipt_no="R1"), at(8, P1, 0, number=1, receipt_no="R1", record_no="B1-again",
                                                  source_record="3505|x|B1-again")], "double_upload"),
    ([at(9, P1, 0, split_flag=True, quantity=4.0), at(9, P1, 1, split_flag=True, quantity=6.0)], "split_sale"),
    ([at(10, P1, 0), at(10, P1, 5)], "below_threshold"),
    ([at(11, P1, 0, med_list_codg="T0001"), at(11, P2, 9, med_list_codg="T0001")], "exempt"),
    ([at(12, P1, 0), at(12, P1, 0, quantity=-1.0, number=99), at(12, P1, 1, number=98)], "reversal"),
])
def test_legitimate_look_alikes_raise_no_lead_and_name_their_pattern(ws, rows, bucket):
    products = [{"med_list_codg": "XA01ABD075A002010100483", "units_per_pack": 10},
                {"med_list_codg": "T0001", "units_per_pack": 1, "exempt": "1"}]
    result = _run(ws, rows, products)
    assert _repeats(result) == {}
    assert list(_buckets(result).values()) == [bucket]


def test_a_code_another_rule_flags_is_in_its_lead_not_a_repeat(ws):
    rows = [at(13, HOSPITAL, 0), at(13, P1, 30)]  # reflux
    rows += [at(14, P1, n, number=1400 + n) for n in range(4)]  # substitution
    rows += [at(15, P1, 0), at(15, FAR, 1)]  # counterfeit
    result = _run(ws, rows)
    assert _repeats(result) == {}
    ledger = result.ledger.to_pylist()
    assert {(row["trace_code"], row["bucket"], row["lead_scenario"]) for row in ledger} == {
        (code(13), "lead", "reflux"), (code(14), "lead", "substitution"), (code(15), "lead", "counterfeit")}
    lead_ids = set(result.leads.column("lead_id").to_pylist())
    assert all(row["lead_id"] in lead_ids for row in ledger)


@pytest.mark.usefixtures("engine")
def test_the_ledger_holds_every_code_sold_more_than_once_exactly_once(ws):
    rows = [at(1, P1, 0), at(1, P2, 8), at(1, P3, 19), at(5, P1, 0), at(5, P1, 2, "sale_return"), at(5, P2, 10),
            at(10, P1, 0), at(10, P1, 5), at(13, HOSPITAL, 0), at(13, P1, 30), at(16, P1, 0)]
    result = _run(ws, rows)
    sold = {}
    for row in rows:
        if row["event_type"] == "sale":
            sold[row["trace_code"]] = sold.get(row["trace_code"], 0) + 1
    repeated = {c for c, n in sold.items() if n >= 2}
    codes = result.ledger.column("trace_code").to_pylist()
    assert sorted(codes) == sorted(repeated) and len(codes) == len(set(codes))
    counts = bucket_counts(result.ledger)
    assert sum(counts.values()) == len(repeated) and set(counts) == set(KINDS)
    assert counts == {"lead": 1, "legitimate": 1, "below_threshold": 1, "unexplained": 1}


def test_a_higher_min_institutions_moves_a_repeat_below_the_threshold(ws):
    result = _run(ws, [at(1, P1, 0), at(1, P2, 8)], min_institutions=3)
    assert _repeats(result) == {} and _buckets(result) == {code(1): "below_threshold"}


def test_choosing_only_the_repeat_rule_still_leaves_other_rules_codes_out(ws):
    write(ws, [at(13, HOSPITAL, 0), at(13, P1, 30), at(1, P1, 0), at(1, P2, 8)])
    result = screening(ws, ["repeat"])
    assert set(result.leads.column("scenario").to_pylist()) == {"repeat"}
    assert set(result.leads.column("trace_code").to_pylist()) == {code(1)}
    assert screening(ws, ["reflux"]).ledger is None
