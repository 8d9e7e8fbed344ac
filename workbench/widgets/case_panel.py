"""``CasePanel``: the 案件 case row under an app's selection (a lead in ``LeadBoard``, a ring or cluster in
``CommunityView``): open a new case holding it, or add it to a case still open, through the same
``workbench.cases.actions`` functions as ``tcw case new`` and ``tcw case add``; the result (the case id) or
the library's message is shown in the panel.

>>> panel = CasePanel(None, "lead")
>>> panel.target("L-1")
>>> panel.create.disabled, "工作区" in panel.message.value
(True, True)
>>> case_caption(Case("CASE-20261204-0a1b2c", "药店串换", "open", "", "", "", "", "2026-12-04T10:00:00+00:00"))
'CASE-20261204-0a1b2c · 待核查 · 药店串换'
"""

from __future__ import annotations

import os
from pathlib import Path

import ipywidgets as w

from loaders.errors import BadInput
from loaders.workspace import Workspace
from workbench.cases.model import CLOSED, ITEM_ZH, Case
from workbench.widgets.ui import note

#: Longest title shown in the chooser of open cases.
CAPTION_CHARS = 40


def case_workspace(workspace: Workspace | str | os.PathLike | None) -> Workspace | None:
    """The workspace cases are kept in (``None`` when an app was opened without one)."""
    if workspace is None or isinstance(workspace, Workspace):
        return workspace
    return Workspace(Path(workspace))


def case_caption(case: Case) -> str:
    """``id · status · title`` (the title cut short)."""
    title = case.title if len(case.title) <= CAPTION_CHARS else case.title[: CAPTION_CHARS - 1] + "…"
    return f"{case.case_id} · {case.status_zh} · {title}"


class CasePanel(w.VBox):
    """New case from, or add to an open case, the selected item of ``kind`` (``lead``, ``community``…)."""

    def __init__(self, workspace: Workspace | str | os.PathLike | None, kind: str, *, user: str | None = None):
        self.workspace, self.kind, self.user = case_workspace(workspace), kind, user
        self.key: str | None = None
        self.case_id: str | None = None
        self.title = w.Text(placeholder="标题（可选）title (optional)", layout=w.Layout(width="360px"))
        self.create = w.Button(description="新建案件 new case", icon="folder-open")
        self.cases = w.Dropdown(description="案件 case", options=[], layout=w.Layout(width="360px"))
        self.add = w.Button(description="加入案件 add to case", icon="plus")
        self.message = w.HTML()
        self.create.on_click(lambda _: self.new_case())
        self.add.on_click(lambda _: self.add_to_case())
        super().__init__([w.HTML("<b>案件 Case</b>"), w.HBox([self.title, self.create]), w.HBox([self.cases, self.add]),
                          self.message])
        self.target(None)

    def target(self, key: str | None) -> None:
        """The item a new case would hold or a case would get (``None``: nothing selected)."""
        self.key = key
        if self.workspace is None:
            self.message.value = note("案件需要工作区：用工作区打开此应用 / cases need a workspace: open the app with one",
                                      "error")
        elif key is None:
            self.message.value = note(f"先选择一个{ITEM_ZH[self.kind]} / select a {self.kind} first")
        else:
            held = [case.case_id for case in self.refresh() if key in case.keys(self.kind)]
            self.message.value = note(f"所选 selected: {ITEM_ZH[self.kind]} {self.kind} {key}"
                                      + (f"；已在案件 held by {', '.join(held)}" if held else ""))
        self._enable()

    def refresh(self, chosen: str | None = None) -> list[Case]:
        """Fill the chooser with the cases not closed (``chosen`` selected, else the latest); every case."""
        from workbench.cases.actions import list_cases

        cases = list_cases(self.workspace) if self.workspace is not None else []
        still_open = [case for case in cases if case.status not in CLOSED]
        self.cases.options = [(case_caption(case), case.case_id) for case in still_open]
        ids = [case.case_id for case in still_open]
        self.cases.value = chosen if chosen in ids else (ids[0] if ids else None)
        self._enable()
        return cases

    def new_case(self) -> str | None:
        """Open a case holding the selected item; its id (``None`` when the library refused)."""
        from workbench.cases.actions import new_case, show_case

        try:
            case_id = new_case(self.workspace, [(self.kind, self._key())], self.title.value.strip() or None,
                               user=self.user)
            case = show_case(self.workspace, case_id)
        except BadInput as error:
            self.message.value = note(str(error), "error")
            return None
        self.case_id, self.title.value = case_id, ""
        self.refresh(case_id)
        self.message.value = note(f"新案件 new case {case_id}（{case.status_zh} {case.status}）: {case.title}", "good")
        return case_id

    def add_to_case(self) -> list[str]:
        """Add the selected item to the chosen case; the ``kind:key`` added (none when it was held)."""
        from workbench.cases.actions import add_to_case

        case_id = self.cases.value
        try:
            if case_id is None:
                raise BadInput("没有未结的案件 / no open case", hint="新建案件 new case first")
            added = add_to_case(self.workspace, case_id, [(self.kind, self._key())], user=self.user)
        except BadInput as error:
            self.message.value = note(str(error), "error")
            return []
        self.case_id = case_id
        self.refresh(case_id)
        item = f"{self.kind}:{self.key}"
        self.message.value = (note(f"已加入 added to {case_id}: {item}", "good") if added
                              else note(f"{case_id} 已含有 already holds {item}"))
        return added

    def _key(self) -> str:
        if self.workspace is None or self.key is None:
            raise BadInput(f"没有选择{ITEM_ZH[self.kind]}或没有工作区 / no {self.kind} selected, or no workspace",
                           hint=f"select a {self.kind} in the app opened with a workspace")
        return self.key

    def _enable(self) -> None:
        ready = self.workspace is not None and self.key is not None
        self.create.disabled = not ready
        self.add.disabled = not ready or self.cases.value is None
