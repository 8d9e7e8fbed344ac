"""``CaseBoard``: the workspace's cases by status (待核查 open, 核查中 investigating, 已确认 confirmed, 已排除
dismissed, with counts); a chosen case's items, notes and history; and what ``tcw case`` does to it — change
its status (closing or reopening needs a reason), add a note, assign it, export its package — each through
the same ``workbench.cases`` functions. What the library refuses (``BadInput``) is shown, not raised.

>>> change = Change("2026-12-04T10:00:00+00:00", "ana", "status", {"from": "open", "to": "investigating", "reason": ""})
>>> change_row(change)["what"]
'改状态 status: from=open to=investigating'
>>> free_folder(Path("/nonexistent") / "CASE-1").name
'CASE-1'
"""

from __future__ import annotations

import os
from html import escape
from pathlib import Path

import ipywidgets as w

from loaders.errors import BadInput
from loaders.workspace import Workspace
from workbench.cases.model import ITEM_ZH, MOVES, STATUS_ZH, STATUSES, Case, Change
from workbench.widgets import sources
from workbench.widgets.case_panel import case_caption
from workbench.widgets.ui import STYLE, html_table, minute, note

#: What each history action is called.
ACTION_ZH = {"new": "新建 new", "add": "加入 add", "status": "改状态 status", "note": "备注 note", "assign": "分派 assign",
             "export": "导出 export"}
HEAD_COLUMNS = [("status", "状态 status"), ("reason", "理由 reason"), ("assignee", "承办人 assignee"),
                ("created", "创建 created"), ("updated", "更新 updated")]
ITEM_COLUMNS = [("kind", "类别 kind"), ("key", "编号 key"), ("about", "说明 about"), ("added", "加入 added")]
NOTE_COLUMNS = [("at", "时间 at"), ("by", "人 by"), ("text", "备注 note")]
HISTORY_COLUMNS = [("at", "时间 at"), ("by", "人 by"), ("what", "操作 what")]
PSEUDONYMISED = "案件包中的人员默认只以假名出现 / persons appear as pseudonyms only, unless identities are revealed"
REVEAL_WARNING = ("⚠ 警告：案件包将包含参保人的真实身份（人员编号、姓名、证件号码），只可交给有权接收的执法部门；此次导出记入审计日志。"
                  "/ Warning: the package will hold real identities (person numbers, names, ID numbers), for an "
                  "authorised recipient only; the export is recorded in the audit log.")


def change_row(change: Change) -> dict:
    """One history line as a table row (an export's file hashes left out)."""
    shown = {k: v for k, v in change.detail.items() if k != "files" and v not in (None, "", [], {})}
    what = " ".join(f"{k}={v}" for k, v in shown.items())
    return {"at": minute(change.at), "by": change.by, "what": f"{ACTION_ZH.get(change.action, change.action)}: {what}"}


def case_html(case: Case) -> str:
    """A case as escaped HTML: head, items, notes, history."""
    head = {"status": f"{case.status_zh} {case.status}", "reason": case.reason, "assignee": case.assignee or "-",
            "created": f"{minute(case.created_at)} {case.created_by}", "updated": minute(case.updated_at)}
    items = [{"kind": f"{ITEM_ZH.get(i.kind, i.kind)} {i.kind}", "key": i.key,
              "about": (i.snapshot or {}).get("explanation_zh", ""), "added": f"{minute(i.added_at)} {i.added_by}"}
             for i in case.items]
    notes = [{"at": minute(n.at), "by": n.by, "text": n.text} for n in case.notes]
    parts = [f"<h4>{escape(case.case_id)}: {escape(case.title)}</h4>", html_table([head], HEAD_COLUMNS),
             f"<b>条目 items</b>（{len(items)}）", html_table(items, ITEM_COLUMNS), f"<b>备注 notes</b>（{len(notes)}）",
             html_table(notes, NOTE_COLUMNS) if notes else note("没有备注 / no notes"),
             "<b>记录 history</b>", html_table([change_row(c) for c in case.history], HISTORY_COLUMNS)]
    return "".join(parts)


def free_folder(folder: Path) -> Path:
    """``folder``, or ``folder-2``, ``folder-3``… the first that does not exist yet."""
    candidate, n = folder, 1
    while candidate.exists():
        n += 1
        candidate = folder.with_name(f"{folder.name}-{n}")
    return candidate


class CaseBoard(w.VBox):
    """Cases by status; a case's details; status, note, assign and export."""

    def __init__(self, workspace: Workspace | str | os.PathLike | None = None, *, user: str | None = None):
        self.workspace, self.user = sources.as_workspace(workspace), user
        self.cases: list[Case] = []
        self.case: Case | None = None
        self.status = w.ToggleButtons(options=[("全部 all", "")], value="")
        self.reload = w.Button(description="刷新 refresh", icon="refresh")
        self.chooser = w.Select(options=[], rows=8, layout=w.Layout(width="100%"))
        self.count, self.details, self.message = w.HTML(), w.HTML(), w.HTML()
        self.status.observe(lambda _: self._list(), names="value")
        self.chooser.observe(lambda change: self.show(change["new"]), names="value")
        self.reload.on_click(lambda _: self.refresh())
        super().__init__([w.HTML(STYLE + "<b>案件 Cases</b>"), w.HBox([self.status, self.reload]), self.count,
                          self.chooser, self.details, self._actions(), self.message])
        self.refresh()

    def _actions(self) -> w.Tab:
        self.move = w.Dropdown(description="改为 to", options=[])
        self.reason = w.Text(description="理由 reason", placeholder="结案或重开须填写 needed to close or reopen")
        self.set_status_button = w.Button(description="改状态 set status")
        self.note_text = w.Textarea(placeholder="备注 note", layout=w.Layout(width="480px"))
        self.note_button = w.Button(description="添加备注 add note")
        self.assignee = w.Text(description="承办人 assignee")
        self.assign_button = w.Button(description="分派 assign")
        self.out = w.Text(description="导出到 to folder", layout=w.Layout(width="560px"),
                          style={"description_width": "initial"})
        self.zip = w.Checkbox(description="另存 zip also a .zip", value=False)
        self.reveal = w.Checkbox(description="显示真实身份 reveal identities", value=False)
        self.reveal_note = w.HTML(note(PSEUDONYMISED))
        self.reveal.observe(lambda change: setattr(self.reveal_note, "value", note(REVEAL_WARNING, "error")
                                                   if change["new"] else note(PSEUDONYMISED)), names="value")
        self.export_button = w.Button(description="导出案件包 export package", icon="download")
        self.set_status_button.on_click(lambda _: self.change_status())
        self.note_button.on_click(lambda _: self.add_note())
        self.assign_button.on_click(lambda _: self.assign())
        self.export_button.on_click(lambda _: self.export())
        tabs = w.Tab([w.VBox([self.move, self.reason, self.set_status_button]),
                       w.VBox([self.note_text, self.note_button]), w.VBox([self.assignee, self.assign_button]),
                       w.VBox([self.out, w.HBox([self.zip, self.reveal]), self.reveal_note,
                               self.export_button])])
        for index, title in enumerate(("状态 status", "备注 note", "分派 assign", "导出 export")):
            tabs.set_title(index, title)
        return tabs

    def refresh(self) -> None:
        """Read the cases again (counts per status, the list, the chosen case)."""
        from workbench.cases.actions import list_cases

        self.cases = list_cases(self.workspace)
        counts = {status: sum(case.status == status for case in self.cases) for status in STATUSES}
        chosen = self.status.value
        self.status.options = [(f"全部 all {len(self.cases)}", "")] + [
            (f"{STATUS_ZH[s]} {s} {counts[s]}", s) for s in STATUSES]
        self.status.value = chosen
        self._list()

    def _list(self) -> None:
        chosen = self.case.case_id if self.case is not None else None
        shown = [case for case in self.cases if not self.status.value or case.status == self.status.value]
        self.count.value = note(f"案件 cases {len(shown)} / {len(self.cases)}")
        self.chooser.options = [(f"{case_caption(case)} · {case.assignee or '-'} · {minute(case.updated_at)}",
                                 case.case_id) for case in shown]
        self.chooser.value = chosen if chosen in [case.case_id for case in shown] else None
        self.show(self.chooser.value)

    def show(self, case_id: str | None) -> None:
        """Show a case's details and the moves it allows (``None``: no case chosen)."""
        self.case = next((case for case in self.cases if case.case_id == case_id), None)
        if self.case is None:
            self.details.value = note("选择一个案件查看条目、备注和记录 / choose a case for its items, notes and history")
            self.move.options = []
        else:
            self.details.value = case_html(self.case)
            self.move.options = [(f"{STATUS_ZH[s]} {s}", s) for s in MOVES[self.case.status]]
            self.assignee.value = self.case.assignee
            self.out.value = str(free_folder(self.workspace.root / "packages" / self.case.case_id))
        for button in (self.set_status_button, self.note_button, self.assign_button, self.export_button):
            button.disabled = self.case is None

    def _run(self, action, done: str) -> bool:
        """Run a library action on the chosen case; its message, or the library's refusal."""
        try:
            if self.case is None:
                raise BadInput("没有选择案件 / no case chosen", hint="choose one in the list")
            action(self.case.case_id)
        except BadInput as error:
            self.message.value = note(str(error), "error")
            return False
        self.refresh()
        self.message.value = note(done, "good")
        return True

    def change_status(self) -> bool:
        """Move the chosen case to the status picked, with the reason typed."""
        from workbench.cases.actions import set_status

        status = self.move.value
        if self._run(lambda case_id: set_status(self.workspace, case_id, status or "", self.reason.value.strip(),
                                                user=self.user), f"状态已改为 status now {STATUS_ZH.get(status)} {status}"):
            self.reason.value = ""
            return True
        return False

    def add_note(self) -> bool:
        from workbench.cases.actions import add_note

        if self._run(lambda case_id: add_note(self.workspace, case_id, self.note_text.value, user=self.user),
                     "已添加备注 note added"):
            self.note_text.value = ""
            return True
        return False

    def assign(self) -> bool:
        from workbench.cases.actions import assign

        who = self.assignee.value.strip()
        return self._run(lambda case_id: assign(self.workspace, case_id, who, user=self.user),
                         f"承办人 assignee: {who or '-'}")

    def export(self) -> list[Path]:
        """Write the chosen case's package to the folder given; the paths written (none when refused)."""
        from workbench.cases.package import export_case

        written: list[Path] = []

        def run(case_id: str) -> None:
            if not self.out.value.strip():
                raise BadInput("没有给出导出文件夹 / no folder to export to", hint="type a new folder's path")
            written.extend(export_case(self.workspace, case_id, Path(self.out.value.strip()).expanduser(),
                                       as_zip=self.zip.value, reveal=self.reveal.value, user=self.user))

        if not self._run(run, "已导出 exported"):
            return []
        self.message.value = export_html(written, self.reveal.value)
        return written


def export_html(written: list[Path], reveal: bool) -> str:
    """Where the package went: the folder's files with their sizes, the zip; the reveal warning."""
    folder = written[0]
    rows = [{"file": path.name, "bytes": f"{path.stat().st_size:,}"} for path in sorted(folder.iterdir())]
    parts = [note(f"案件包 package → {folder}", "good"), html_table(rows, [("file", "文件 file"), ("bytes", "字节 bytes")])]
    parts += [note(f"压缩包 zip → {path}", "good") for path in written[1:]]
    if reveal:
        parts.append(note("注意：包含真实身份，仅限授权接收方 / real identities included, for an authorised recipient only",
                          "error"))
    return "".join(parts)
