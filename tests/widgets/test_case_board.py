"""Cases in the notebook apps, on a tiny generated district: a lead selected in ``LeadBoard`` opens a case
through its case panel, a ring chosen in ``CommunityView`` joins it, and ``CaseBoard`` changes its status
(a closing move without a reason is refused on screen and changes nothing), notes, assigns and exports a
package that verifies. Every click goes through ``workbench.cases``, so the store read back by
``show_case`` is what the widgets did."""

from __future__ import annotations

import pytest

from loaders.workspace import Workspace
from tests.conftest import demo_copy
from workbench.cases.actions import list_cases, show_case
from workbench.cases.verify import verify_package
from workbench.widgets.case_board import CaseBoard
from workbench.widgets.case_panel import CasePanel
from workbench.widgets.community_view import CommunityView
from workbench.widgets.leadboard import LeadBoard


@pytest.fixture(scope="module")
def ws(tiny_demo, tmp_path_factory) -> Workspace:
    """A tiny district's workspace of its own (the tests write cases, notes and packages into it)."""
    return demo_copy(tiny_demo, tmp_path_factory.mktemp("cases"))


@pytest.fixture(scope="module")
def opened(ws) -> tuple[LeadBoard, str]:
    """The strongest substitution lead selected in the lead board and a case opened from it by a click."""
    board = LeadBoard(ws)
    board.scenario.value = "substitution"
    board.table.value = board.shown[0]["lead_id"]
    board.case.title.value = "药店串换 <b>核查</b>"
    board.case.create.click()
    assert board.case.case_id, board.case.message.value
    return board, board.case.case_id


@pytest.fixture(scope="module")
def joined(ws, opened) -> str:
    """The strongest ring, chosen in the community view and added to the case by a click."""
    view = CommunityView(ws)
    ring = next(row for row in view.rows if row["kind"] == "reflux_ring")
    view.chooser.value = ring["community_id"]
    view.case.cases.value = opened[1]
    view.case.add.click()
    assert f"community:{ring['community_id']}" in view.case.message.value, view.case.message.value
    return ring["community_id"]


def board_on(ws: Workspace, case_id: str) -> CaseBoard:
    board = CaseBoard(ws, user="tester")
    board.chooser.value = case_id
    assert board.case is not None and board.case.case_id == case_id
    return board


def test_a_selected_lead_opens_a_case_from_the_panel(ws, opened):
    board, case_id = opened
    lead = board.selected
    case = show_case(ws, case_id)
    assert case.keys("lead") == [lead["lead_id"]] and case.status == "open" and case.title == "药店串换 <b>核查</b>"
    assert case.snapshots("lead")[0]["explanation_zh"] == lead["explanation_zh"]
    assert case_id in board.case.message.value and "&lt;b&gt;" in board.case.message.value, "escaped"
    assert board.case.cases.value == case_id and board.case.title.value == ""
    board.case.add.click()  # the same lead again: nothing added, said so
    assert "已含有" in board.case.message.value and len(show_case(ws, case_id).items) == 1
    board.table.value = None
    board.table.value = lead["lead_id"]
    assert f"已在案件 held by {case_id}" in board.case.message.value


def test_a_chosen_ring_joins_the_case_from_the_community_view(ws, opened, joined):
    case = show_case(ws, opened[1])
    assert case.keys("community") == [joined] and case.snapshots("community")[0]["community_id"] == joined
    assert [change.action for change in case.history] == ["new", "add"]


def test_without_a_workspace_the_panel_refuses_and_says_why():
    panel = CasePanel(None, "community")
    panel.target("RING-1")
    assert panel.create.disabled and panel.add.disabled
    assert panel.new_case() is None and "工作区" in panel.message.value and "tcw-bad" in panel.message.value


def test_status_needs_a_reason_to_close_and_the_history_shows_the_move(ws, opened, joined):
    case_id = opened[1]
    board = board_on(ws, case_id)
    assert ("待核查 open 1", "open") in board.status.options
    history = len(show_case(ws, case_id).history)
    board.move.value = "confirmed"
    board.reason.value = "  "
    board.set_status_button.click()
    assert "需要理由" in board.message.value and "tcw-bad" in board.message.value
    assert show_case(ws, case_id).status == "open" and len(show_case(ws, case_id).history) == history
    board.move.value = "investigating"
    board.set_status_button.click()
    board.move.value = "confirmed"
    board.reason.value = "处方与销售记录不符 prescriptions do not match"
    board.set_status_button.click()
    case = show_case(ws, case_id)
    assert case.status == "confirmed" and case.reason.startswith("处方与销售记录不符")
    assert [(c.detail["from"], c.detail["to"]) for c in case.history if c.action == "status"] == [
        ("open", "investigating"), ("investigating", "confirmed")]
    assert "tcw-good" in board.message.value and board.reason.value == ""
    assert "改状态 status: from=investigating to=confirmed" in board.details.value
    assert ("已确认 confirmed 1", "confirmed") in board.status.options
    assert [value for _, value in board.move.options] == ["investigating"], "a confirmed case can only reopen"
    board.status.value = "dismissed"
    assert board.chooser.options == () and board.case is None and board.set_status_button.disabled
    board.status.value = "confirmed"
    assert [value for _, value in board.chooser.options] == [case_id]


def test_notes_and_assignment_are_kept_and_shown_escaped(ws, opened):
    case_id = opened[1]
    board = board_on(ws, case_id)
    board.note_text.value = "   "
    board.note_button.click()
    assert "备注为空" in board.message.value and not show_case(ws, case_id).notes
    board.note_text.value = "已调取处方 <script>alert(1)</script>"
    board.note_button.click()
    board.assignee.value = "王五"
    board.assign_button.click()
    case = show_case(ws, case_id)
    assert [n.text for n in case.notes] == ["已调取处方 <script>alert(1)</script>"] and case.notes[0].by == "tester"
    assert case.assignee == "王五" and board.note_text.value == ""
    assert "&lt;script&gt;" in board.details.value and "<script>" not in board.details.value
    assert "王五" in board.details.value and "分派 assign: assignee=王五" in board.details.value


def test_export_writes_a_package_that_verifies(ws, opened, joined, tmp_path):
    case_id = opened[1]
    board = board_on(ws, case_id)
    assert board.out.value.endswith(case_id) and "假名" in board.reveal_note.value
    board.reveal.value = True
    assert "真实身份" in board.reveal_note.value and "tcw-bad" in board.reveal_note.value
    board.reveal.value = False
    board.out.value, board.zip.value = str(tmp_path / "package"), True
    board.export_button.click()
    folder, archive = tmp_path / "package", tmp_path / "package.zip"
    assert verify_package(folder) == [] and verify_package(archive) == [], board.message.value
    assert "manifest.json" in board.message.value and str(archive) in board.message.value
    assert [c.action for c in show_case(ws, case_id).history][-1] == "export"
    board.out.value = str(folder)
    board.export_button.click()  # the folder holds a package now: refused, said so
    assert "不为空" in board.message.value and "tcw-bad" in board.message.value


def test_the_board_lists_every_case_with_counts(ws, opened):
    board = CaseBoard(ws)
    cases = list_cases(ws)
    assert len(board.chooser.options) == len(cases) and board.status.options[0] == (f"全部 all {len(cases)}", "")
    assert board.case is None and board.set_status_button.disabled and "选择一个案件" in board.details.value
