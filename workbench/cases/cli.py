"""``tcw case``: open, work and hand over cases (argument parsing only; ``workbench.cases.commands`` does
the work). Loaded with the CLI, so it imports nothing heavy."""

from __future__ import annotations

import click

from workbench.cases.model import STATUSES

WORKSPACE_HELP = "工作区 workspace folder (default $TCW_WORKSPACE or ./tcw-workspace)"


def item_options(function):
    """``--lead``, ``--community``, ``--code``, ``--institution``, ``--person``, ``--product`` (repeatable)."""
    for name, help_text in reversed((
            ("lead", "线索编号 lead id (tcw screen)"), ("community", "团伙/网络编号 community id (tcw analyse)"),
            ("code", "追溯码 trace code"), ("institution", "机构编码 institution code"),
            ("person", "人员假名 person pseudonym PSN-…"), ("product", "医保药品编码 med_list_codg"))):
        function = click.option(f"--{name}", f"item_{name}", multiple=True, metavar="ID", help=help_text)(function)
    return function


def _items(values: dict) -> list[tuple[str, str]]:
    from workbench.cases.commands import items_given

    return items_given({name.removeprefix("item_"): keys for name, keys in values.items()})


@click.group("case")
def case_group() -> None:
    """案件 / cases: open one from a lead, ring, code or institution; work it; export and verify its package."""


@case_group.command("new")
@item_options
@click.option("--title", default=None, help="标题 title (default: the first item's explanation)")
@click.option("--assignee", default="", help="承办人 assignee")
@click.option("--leads", default=None, metavar="FILE", help="线索文件 leads file of a screen with other parameters")
@click.option("--workspace", "-w", default=None, help=WORKSPACE_HELP)
def new(title, assignee, leads, workspace, **items) -> None:
    """新建案件 / open a case; prints its id as the last word of the last line."""
    from workbench.cases.commands import new_command

    new_command(workspace, _items(items), title, assignee, leads)


@case_group.command("add")
@click.argument("case_id")
@item_options
@click.option("--leads", default=None, metavar="FILE", help="线索文件 leads file of a screen with other parameters")
@click.option("--workspace", "-w", default=None, help=WORKSPACE_HELP)
def add(case_id, leads, workspace, **items) -> None:
    """加入 / add leads, communities or entities to a case."""
    from workbench.cases.commands import add_command

    add_command(workspace, case_id, _items(items), leads)


@case_group.command("status")
@click.argument("case_id")
@click.argument("status", type=click.Choice(STATUSES))
@click.option("--reason", default="", help="理由 reason (needed to confirm, dismiss or reopen)")
@click.option("--workspace", "-w", default=None, help=WORKSPACE_HELP)
def status(case_id, status, reason, workspace) -> None:
    """改状态 / open → investigating → confirmed | dismissed (待核查 → 核查中 → 已确认 | 已排除)."""
    from workbench.cases.commands import status_command

    status_command(workspace, case_id, status, reason)


@case_group.command("note")
@click.argument("case_id")
@click.argument("text")
@click.option("--workspace", "-w", default=None, help=WORKSPACE_HELP)
def note(case_id, text, workspace) -> None:
    """备注 / add a note to a case."""
    from workbench.cases.commands import note_command

    note_command(workspace, case_id, text)


@case_group.command("assign")
@click.argument("case_id")
@click.argument("assignee")
@click.option("--workspace", "-w", default=None, help=WORKSPACE_HELP)
def assign(case_id, assignee, workspace) -> None:
    """分派 / set who works the case."""
    from workbench.cases.commands import assign_command

    assign_command(workspace, case_id, assignee)


@case_group.command("list")
@click.option("--status", type=click.Choice(STATUSES), default=None, help="只列此状态 only this status")
@click.option("--workspace", "-w", default=None, help=WORKSPACE_HELP)
def list_(status, workspace) -> None:
    """列出案件 / list cases, most recently changed first."""
    from workbench.cases.commands import list_command

    list_command(workspace, status)


@case_group.command("show")
@click.argument("case_id")
@click.option("--workspace", "-w", default=None, help=WORKSPACE_HELP)
def show(case_id, workspace) -> None:
    """查看 / a case: items, notes, history."""
    from workbench.cases.commands import show_command

    show_command(workspace, case_id)


@case_group.command("export")
@click.argument("case_id")
@click.option("--out", "out", required=True, help="案件包文件夹 package folder (new or empty)")
@click.option("--zip", "as_zip", is_flag=True, help="同时写 OUT.zip / also write OUT.zip")
@click.option("--reveal", is_flag=True, help="包含真实身份（仅限授权接收方，记入审计日志） / real identities, for an "
                                             "authorised recipient (recorded in the audit log and the manifest)")
@click.option("--max-events", type=click.IntRange(min=1), default=100_000, show_default=True,
              help="最多列出的事件 events listed at most (the rest counted)")
@click.option("--workspace", "-w", default=None, help=WORKSPACE_HELP)
def export(case_id, out, as_zip, reveal, max_events, workspace) -> None:
    """导出案件包 / write the case package: GraphML, GEXF, CSV, XLSX, offline HTML, manifest.json."""
    from workbench.cases.commands import export_command

    export_command(workspace, case_id, out, as_zip, reveal, max_events)


@case_group.command("verify")
@click.argument("package")
def verify(package) -> None:
    """校验案件包 / recompute every file's SHA-256 against manifest.json (folder or .zip); exit 2 naming any
    changed, missing or extra file."""
    from workbench.cases.commands import verify_command

    verify_command(package)
