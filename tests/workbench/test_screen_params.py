"""Screen parameters: every declared parameter has a range, values outside it (or of the wrong kind, or
unknown names) are refused by ``tcw screen`` with exit 2 before any engine runs, and every rule scores its
leads within 0–1 at the ends of every range."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pytest

from loaders.workspace import Workspace
from tests.workbench.events_builder import event, write
from workbench.cli import main
from workbench.params import Param
from workbench.screens.leads import ScoreError, leads_of
from workbench.screens.rules import rules
from workbench.screens.run import screen

HOSPITAL = "H50011600001"
REPO = Path(__file__).resolve().parents[2]


def _outside(param: Param) -> list[str]:
    """Values a parameter must refuse: just past each end of its range, the wrong kind, not a number."""
    if not param.numeric:
        return ["", param.default.lower() + "x", "abc"]
    step = 1 if isinstance(param.default, int) else 0.01
    wrong = ["1.5"] if isinstance(param.default, int) else ["nan", "inf", "-inf"]
    return [str(param.minimum - step), str(param.maximum + step), "abc", *wrong]


def _cases() -> list[tuple[str, Param, str]]:
    return [(rule.id, param, value) for rule in rules().values() for param in rule.params.values()
            for value in _outside(param)]


def test_every_parameter_declares_a_range_holding_its_default():
    for rule in rules().values():
        for param in rule.params.values():
            if param.numeric:
                assert param.minimum <= param.default <= param.maximum, (rule.id, param.name)
            else:
                assert param.default in param.choices, (rule.id, param.name)


def test_the_screens_guide_lists_every_range():
    guide = (REPO / "docs" / "screens.md").read_text(encoding="utf-8")
    for rule in rules().values():
        for param in rule.params.values():
            assert f"| `{rule.id}` | `{param.name}` | {param.default} | {param.allowed()} |" in guide, param.name


@pytest.mark.parametrize(("rule_id", "param", "value"), _cases(), ids=lambda v: v.name if isinstance(v, Param) else v)
def test_a_value_outside_the_range_is_exit_2_before_any_engine_runs(rule_id, param, value, tmp_path, capsys):
    empty = tmp_path / "ws"  # no events: an engine would answer "no events" instead
    code = main(["screen", "--workspace", str(empty), "--rule", rule_id, "--param", f"{param.name}={value}",
                 "--out", str(tmp_path / "leads.csv")])
    error = capsys.readouterr().err
    assert code == 2, error
    assert f"参数 {param.name}" in error and f"默认 default {param.default}" in error
    assert len(error.strip().splitlines()) == 1 and not (tmp_path / "leads.csv").exists()
    if value not in ("abc", "1.5", "nan", "inf", "-inf"):
        assert param.allowed() in error


@pytest.mark.parametrize("params", [["min_span_days=400"], ["min_span_days=30", "max_span_days=30"],
                                    ["no_such_threshold=3"], ["min_sales=4", "min_sales=5"], ["min_sales"]])
def test_contradictory_unknown_repeated_or_malformed_parameters_are_exit_2(params, tmp_path, capsys):
    args = [arg for pair in params for arg in ("--param", pair)]
    code = main(["screen", "--workspace", str(tmp_path / "ws"), "--rule", "reflux", "--rule", "substitution", *args])
    assert code == 2 and "internal" not in capsys.readouterr().err


def _district() -> list[dict]:
    """Events on which every rule finds a lead at its defaults."""
    rows = [event(n, code="81234560000000000001", day=n) for n in range(4)]  # substitution
    rows += [event(10, code="81234560000000000002", institution_code=HOSPITAL, institution_type="hospital",
                   psn_no="PATIENT-1"),
             event(11, code="81234560000000000002", day=30, institution_code="P50011600002")]  # reflux
    rows += [event(20, code="81234560000000000003", institution_code="P50011600003"),
             event(21, code="81234560000000000003", institution_code="P51010400002", region_code="510104")]
    rows += [event(60, code="81234560000000000060", institution_code="P50011600006"),
             event(61, code="81234560000000000060", day=10, institution_code="P50011600007")]  # repeat
    phantom = {"institution_code": "P50011600004", "med_list_codg": "XA01PHANTOM"}
    rows += [event(30, code="", kind="inventory", quantity=2.0, day=-10, **phantom),
             event(31, code="", kind="purchase", quantity=3.0, day=-9, **phantom)]
    rows += [event(40 + n, code=f"8123456{40 + n:013d}", day=n, **phantom) for n in range(12)]
    for month in range(5):  # coded sales stop in the fourth month: a drop, then mostly uncoded sales
        rows += [event(100 * (month + 1) + n, code=f"8123457{100 * month + n:013d}" if month < 3 or n < 3 else "",
                       institution_code="P50011600005", event_time=datetime(2025, 4 + month, 10, 9, n))
                 for n in range(30)]
    return rows


def _extremes(param: Param, all_params: dict[str, Param]) -> list[dict[str, object]]:
    """Overrides putting ``param`` at each end of its range; a parameter that must stay below another
    goes with it: at its own minimum when the other is moved, the other at its top when it is."""
    if not param.numeric:
        return [{param.name: choice} for choice in param.choices]
    ends = [{param.name: param.minimum}, {param.name: param.maximum}]
    if param.below is not None:
        top = all_params[param.below].maximum
        ends[1] = {param.name: min(param.maximum, top - 1), param.below: top}
    for lower in all_params.values():
        if lower.below == param.name:
            ends = [{**end, lower.name: lower.minimum} for end in ends]
    return ends


def test_scores_stay_within_0_and_1_at_the_ends_of_every_range(tmp_path):
    ws = write(Workspace(tmp_path / "ws"), _district())
    found = screen(ws).column("rule_id").to_pylist()
    assert set(found) == set(rules()), "every rule finds a lead at its defaults"
    for rule in rules().values():
        for param in rule.params.values():
            for overrides in _extremes(param, rule.params):
                scores = screen(ws, [rule.id], {k: str(v) for k, v in overrides.items()}).column("score").to_pylist()
                assert all(0 <= score <= 1 for score in scores), (rule.id, overrides, scores)


def test_a_rule_scoring_outside_0_and_1_is_refused_where_leads_are_built():
    rule = rules()["phantom_sale"]
    row = {"trace_code": None, "institution_code": "P1", "institutions": "P1", "med_list_codg": "X",
           "first_time": datetime(2025, 6, 1), "last_time": datetime(2025, 6, 2), "event_count": 3, "amount": 1.0,
           "opening": 0, "supplied": 0, "returned_in": 0, "sold": 3, "excess": -9.0, "persons": 1}
    for score in (-9.0, 1.5, float("nan"), None):
        with pytest.raises(ScoreError, match="phantom_sale"):
            leads_of(rule, rule.resolve({}), pa.Table.from_pylist([{**row, "score": score}]), b"k" * 32)
