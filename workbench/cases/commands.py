"""What each ``tcw case`` command does and prints, kept apart from argument parsing; the work is done by
``workbench.cases.actions`` and ``workbench.cases.package``, as in the notebook apps."""

from __future__ import annotations

import click

from loaders.errors import BadInput
from loaders.workspace import Workspace
from workbench.cases.model import ITEM_ZH, STATUS_ZH, Case
from workbench.usage import given_path, output_folder, workspace_folder

#: ``--lead`` … ``--product`` options: item kind → option name.
ITEM_OPTIONS = {"lead": "--lead", "community": "--community", "code": "--code", "institution": "--institution",
                "person": "--person", "product": "--product"}


def items_given(values: dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    """``(kind, key)`` pairs from the item options, in option order.

    >>> items_given({"lead": ("L1",), "code": ("C1", "C2"), "person": ()})
    [('lead', 'L1'), ('code', 'C1'), ('code', 'C2')]
    """
    return [(kind, key) for kind in ITEM_OPTIONS for key in values.get(kind, ())]


def new_command(workspace: str | None, items: list[tuple[str, str]], title: str | None, assignee: str,
                leads: str | None) -> None:
    from workbench.cases.actions import new_case, show_case

    ws = _workspace(workspace)
    case_id = new_case(ws, items, title, assignee, leads)
    case = show_case(ws, case_id)
    click.echo(f"新案件 new case（{case.status_zh}）: {case.title}")
    click.echo(f"案件编号 case id: {case_id}")


def add_command(workspace: str | None, case_id: str, items: list[tuple[str, str]], leads: str | None) -> None:
    from workbench.cases.actions import add_to_case

    if not items:
        raise BadInput("没有要加入的条目 / nothing to add", hint="give --lead, --community, --code, --institution, …")
    added = add_to_case(_workspace(workspace), case_id, items, leads)
    click.echo(f"加入 added {len(added)}: {' '.join(added) or '（都已在案件中 all were held already）'}")


def status_command(workspace: str | None, case_id: str, status: str, reason: str) -> None:
    from workbench.cases.actions import set_status

    case = set_status(_workspace(workspace), case_id, status, reason)
    click.echo(f"{case_id}: {case.status_zh} {case.status}" + (f"（{reason}）" if reason else ""))


def note_command(workspace: str | None, case_id: str, text: str) -> None:
    from workbench.cases.actions import add_note

    case = add_note(_workspace(workspace), case_id, text)
    click.echo(f"{case_id}: 备注 notes {len(case.notes)}")


def assign_command(workspace: str | None, case_id: str, assignee: str) -> None:
    from workbench.cases.actions import assign

    assign(_workspace(workspace), case_id, assignee)
    click.echo(f"{case_id}: 承办人 assignee {assignee}")


def list_command(workspace: str | None, status: str | None) -> None:
    from workbench.cases.actions import list_cases

    cases = list_cases(_workspace(workspace), status)
    if not cases:
        click.echo("没有案件 no cases" + (f"（{STATUS_ZH[status]}）" if status else ""))
    for case in cases:
        counts = " ".join(f"{ITEM_ZH[kind]}{len(case.keys(kind))}" for kind in ITEM_ZH if case.keys(kind))
        click.echo(f"{case.case_id}  {case.status_zh:<4} {case.updated_at[:16]}  {case.assignee or '-':<8} "
                   f"{counts}  {case.title}")


def show_command(workspace: str | None, case_id: str) -> None:
    from workbench.cases.actions import show_case

    for line in case_lines(show_case(_workspace(workspace), case_id)):
        click.echo(line)


def case_lines(case: Case) -> list[str]:
    """A case as readable lines: head, items, notes, history."""
    lines = [f"案件 case {case.case_id}: {case.title}",
             f"状态 status: {case.status_zh} {case.status}" + (f"（{case.reason}）" if case.reason else ""),
             f"承办人 assignee: {case.assignee or '-'}  创建 created: {case.created_at[:19]} {case.created_by}"]
    lines.append("条目 items:")
    for item in case.items:
        about = (item.snapshot or {}).get("explanation_zh", "")
        lines.append(f"  {ITEM_ZH[item.kind]} {item.kind} {item.key}" + (f"  {about}" if about else ""))
    if case.notes:
        lines.append("备注 notes:")
        lines += [f"  {note.at[:19]} {note.by}: {note.text}" for note in case.notes]
    lines.append("记录 history:")
    lines += [f"  {change.at[:19]} {change.by} {change.action} {_detail(change.detail)}" for change in case.history]
    return lines


def export_command(workspace: str | None, case_id: str, out: str, as_zip: bool, reveal: bool, max_events: int) -> None:
    from workbench.cases.package import export_case

    ws = _workspace(workspace)
    folder = output_folder(out, "--out")
    written = export_case(ws, case_id, folder, as_zip=as_zip, reveal=reveal, max_events=max_events)
    if reveal:
        click.echo("注意 note: 包含真实身份（--reveal），仅限授权接收方 / real identities included, for an authorised "
                   "recipient only; recorded in the audit log")
    for path in written:
        click.echo(f"案件包 package → {path}")


def verify_command(path: str) -> None:
    from workbench.cases.verify import verify_package

    package = given_path(path, "PACKAGE")
    problems = verify_package(package)
    if problems:
        raise BadInput("案件包校验失败 / the package fails verification: " + "; ".join(problems), path=str(package),
                       hint="ask the sender for a new copy; do not use the changed files")
    click.echo(f"校验通过 verified: {package}（每个文件的 SHA-256 与 manifest.json 一致 every file matches its SHA-256）")


def _workspace(given: str | None) -> Workspace:
    return Workspace(workspace_folder(given, writes=True))


def _detail(detail: dict) -> str:
    shown = {k: v for k, v in detail.items() if k != "files" and v not in (None, "", [], {})}
    return " ".join(f"{k}={v}" for k, v in shown.items())
