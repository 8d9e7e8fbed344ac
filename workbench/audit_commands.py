"""What ``tcw audit verify``, ``show`` and ``repair`` do, kept apart from argument parsing.

>>> describe({"seq": 3, "at": "2025-06-01T02:30:00.000001+00:00", "user": "li", "host": "pc1",
...           "action": "case export", "case_id": "C7", "detail": {"folder": "/out/C7", "reveal": False,
...           "files": {"a.csv": "ab12"}}})
'#3  2025-06-01 02:30:00.000001Z  li@pc1  case export  C7  files=[1 项 items] folder=/out/C7 reveal=False'
"""

from __future__ import annotations

import click

from loaders.errors import BadInput
from workbench import audit
from workbench.usage import workspace_folder


def verify_command(workspace: str | None) -> None:
    """Exit 0 with the entry count and head, or exit 2 listing every problem, one per line."""
    root = workspace_folder(workspace, writes=False)
    problems = audit.verify(root)
    if problems:
        listed = "\n".join(f"  {problem}" for problem in problems)
        raise BadInput(f"审计日志未通过校验，{len(problems)} 处问题 / the audit log failed verification, "
                       f"{len(problems)} problem(s):\n{listed}", path=str(root / audit.LOG))
    saved = audit.head(root)
    if saved is None:
        click.echo(f"尚无审计日志 / no audit log yet: {root / audit.LOG}")
        return
    click.echo(f"审计日志完整 audit log intact: {saved['seq']} 条 entries, head {saved['hash'][:16]}")


def show_command(workspace: str | None, case_id: str | None, last: int | None) -> None:
    """The entries (of one case), oldest first, one line each."""
    root = workspace_folder(workspace, writes=False)
    shown = [entry for entry in audit.entries(root) if case_id is None or entry["case_id"] == case_id]
    for entry in shown[-last:] if last else shown:
        click.echo(describe(entry))
    if not shown:
        click.echo("没有审计记录 / no audit entries" + (f" for case {case_id}" if case_id else ""))


def repair_command(workspace: str | None) -> None:
    """Move a partly written last line aside and bring a lagging head up to date; exit 2 while other
    problems remain."""
    root = workspace_folder(workspace, writes=False)
    done = audit.repair(root)
    for line in done or ["无需修复 / nothing to repair"]:
        click.echo(line)
    problems = audit.verify(root)
    if problems:
        raise BadInput(f"仍有 {len(problems)} 处问题（篡改不会被修复）/ {len(problems)} problem(s) remain (tampering is "
                       "not repaired)", path=str(root / audit.LOG), hint="tcw audit verify lists them")


def describe(entry: dict) -> str:
    """One entry as a readable line: seq, UTC time, user@host, action, case, detail in brief."""
    when = entry["at"].replace("T", " ").replace("+00:00", "Z")
    parts = [f"#{entry['seq']}", when, f"{entry['user']}@{entry['host']}", entry["action"], entry["case_id"] or "-"]
    detail = entry["detail"] if isinstance(entry["detail"], dict) else {"detail": entry["detail"]}
    brief = " ".join(f"{key}={_brief(value)}" for key, value in sorted(detail.items()))
    return "  ".join(parts + ([brief] if brief else []))


def _brief(value) -> str:
    if isinstance(value, (list, dict)):
        return f"[{len(value)} 项 items]"
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."
