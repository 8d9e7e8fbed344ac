"""What each ``tcw`` command does, kept apart from argument parsing."""

from __future__ import annotations

from pathlib import Path

import click

from loaders.errors import BadInput
from loaders.ingest import ingest
from loaders.workspace import Workspace
from workbench.progress import progress_bar
from workbench.report_text import ingest_summary, leads_summary
from workbench.usage import output_file, output_folder, workspace_folder


def ingest_command(paths: list[str], workspace: str | None, forced: str | None, workers) -> None:
    """``workers``: a number of processes, or workers already started (``loaders.pool``)."""
    ws = Workspace(workspace_folder(workspace))
    with progress_bar("载入 ingest", unit="part") as advance:
        report = ingest(paths, ws, forced=forced, workers=workers, progress=advance)
    click.echo(ingest_summary(report.counts, rejects_hint=str(ws.root / "rejects")))
    for path, reason in report.skipped.items():
        click.echo(f"跳过 skipped {path}: {reason}")
    click.echo(f"用时 {report.seconds:.1f} s；工作区 workspace {ws.root}")


def screen_command(workspace: str | None, rule_ids: list[str], params: dict[str, str], out: str | Path,
                   engine: str | None = None) -> None:
    from workbench.screens.leads import LEAD_SUFFIXES, write_leads
    from workbench.screens.ledger import ledger_summary, write_ledger
    from workbench.screens.run import screening

    ws = Workspace(workspace_folder(workspace, writes=False))
    out = output_file(out, "--out", LEAD_SUFFIXES)
    result = screening(ws, rule_ids or None, params, engine)
    write_leads(result.leads, out)
    click.echo(leads_summary(result.leads))
    click.echo(f"线索 leads: {result.leads.num_rows} → {out}")
    if result.ledger is not None:
        write_ledger(result.ledger, out.parent / "repeats.parquet")
        click.echo(ledger_summary(result.ledger))
        click.echo(f"重复码台账 repeat ledger → {out.parent / 'repeats.parquet'}")


def graph_command(workspace: str | None, uri: str | None, batch_size: int) -> None:
    from workbench.graph.load import event_total
    from workbench.graph.writer import (
        advancing,
        connection_kept,
        graph_settings,
        graph_summary,
        open_neo4j,
        write_graph,
    )

    ws = Workspace(workspace_folder(workspace, writes=False))
    settings = graph_settings(uri)
    store = open_neo4j(settings)
    try:
        with connection_kept(settings), progress_bar("写入图 graph", unit="event", total=event_total(ws)) as advance:
            report = write_graph(store, ws, batch_size, advancing(advance))
    finally:
        store.close()
    click.echo(graph_summary(report))
    click.echo(f"图数据库 graph: {settings.uri}")


def analyse_command(workspace: str | None, source: str, uri: str | None, params: dict[str, str],
                    out: str | None, communities: str | None, brokers: str | None) -> None:
    from workbench.analytics.declared import resolved
    from workbench.analytics.output import ANALYSIS_SUFFIXES, analysis_summary, write_analysis

    ws = Workspace(workspace_folder(workspace, writes=False))
    resolved(params)  # bad parameters fail before any work
    folder = output_folder(out or ws.root / "analysis", "--out")
    files = [output_file(given or folder / default, option, ANALYSIS_SUFFIXES) for given, default, option in
             ((communities, "communities.csv", "--communities"), (brokers, "brokers.csv", "--brokers"))]
    analysis, graph = _analysis(ws, source, uri, params)
    if graph:
        click.echo(graph)
    if analysis.flows.empty:
        raise BadInput("没有回流（医院售出后在别处再次出现的码），也没有在多地销售的复制码 / no reflux (no code dispensed "
                       "at a hospital reappears elsewhere) and no copies sold in several regions: nothing to analyse",
                       path=str(ws.root), hint="check the parameters (tcw analyse --param …) or ingest more uploads")
    write_analysis(analysis, *files)
    for line in analysis_summary(analysis):
        click.echo(line)
    click.echo(f"社区 communities → {files[0]}\n中间人 brokers → {files[1]}")


def _analysis(ws: Workspace, source: str, uri: str | None, params: dict[str, str]):
    """The analysis, and from Neo4j the line saying what it wrote back to the graph (its communities
    replace the stored ones; nothing to analyse leaves none)."""
    from workbench.analytics.run import analyse_store, analyse_workspace

    if source == "workspace":
        return analyse_workspace(ws, params), None
    from workbench.graph.communities import write_communities
    from workbench.graph.writer import graph_settings, open_neo4j

    settings = graph_settings(uri)
    store = open_neo4j(settings)
    try:
        if not store.counts().get("Event"):
            raise BadInput("图数据库中没有事件 / the graph holds no events", path=settings.uri,
                           hint="run tcw graph first (it writes the workspace's events to Neo4j)")
        try:
            analysis = analyse_store(store, params)
        except BadInput:
            write_communities(store, None)
            raise
        written = write_communities(store, analysis)
    finally:
        store.close()
    return analysis, (f"图数据库 graph: {written['communities']} 团伙/网络 communities 写入 written, "
                      f"{written['removed_communities']} 移除 removed → {settings.uri}")


def import_files_command(workspace: str | None, folder: str | Path) -> None:
    import shlex

    from workbench.graph.bulk_import import ImportFiles, admin_arguments, write_import_files
    from workbench.graph.writer import require_events
    from workbench.screens.run import screen

    ws = Workspace(workspace_folder(workspace, writes=False))
    folder = output_folder(folder, "--import-files")
    require_events(ws)
    files = write_import_files(ws, folder.resolve(), screen(ws))
    click.echo(f"导入文件 import files: {files.events:,} 事件 events, {len(files.nodes)} 节点文件 node files, "
               f"{len(files.relationships)} 关系文件 relationship files in {folder}")
    here = ImportFiles(Path("."), {label: Path(path.name) for label, path in files.nodes.items()},
                       [(type_, Path(path.name)) for type_, path in files.relationships])
    click.echo("停止 Neo4j 后在该目录运行 / with Neo4j stopped, run in that folder (it replaces the database):")
    click.echo(f"  cd {shlex.quote(str(folder))} && neo4j-admin " + shlex.join(admin_arguments(here)))
    click.echo("然后启动 Neo4j 并运行 / then start Neo4j and run `tcw graph` once: it adds the constraints and indexes, "
               "checks every event is there and writes the communities and cases")


def doctor_command(workspace: str | None, repair: bool) -> None:
    """Print what is wrong with the workspace; bad input (exit 2) while anything is left to do."""
    from loaders.doctor import examine

    ws = Workspace(workspace_folder(workspace, writes=False))
    if not ws.root.is_dir():
        raise BadInput("工作区不存在 / no such workspace", path=str(ws.root), hint="check --workspace")
    findings = examine(ws, repair=repair)
    for finding in findings:
        click.echo(finding.line())
    left = [finding for finding in findings if not finding.repaired]
    if left:
        raise BadInput(f"工作区有 {len(left)} 个问题待处理 / {len(left)} problems left", path=str(ws.root),
                       hint="see the lines above" + ("" if repair else "; tcw doctor --repair fixes what it can"))
    click.echo(f"工作区完好 / the workspace is sound: {ws.root}")


def lab_command(workspace: str | None, port: int, uri: str | None, no_browser: bool, ip: str) -> None:
    """Prepare the workspace's lab, say where it is, then become JupyterLab (``workbench.lab``)."""
    from workbench.lab import display_available, prepare_lab, run_lab, running_as_root

    root = workspace_folder(workspace)
    setup = prepare_lab(root, port, uri, open_browser=not no_browser and display_available(), ip=ip)
    if not no_browser and not display_available():
        click.echo("没有显示器，不打开浏览器 / no display here: open the address below in a browser "
                   "(from another machine: ssh -L PORT:127.0.0.1:PORT this-server)")
    for name in setup.copied:
        click.echo(f"复制笔记本 copied notebook → {setup.workspace / 'notebooks' / name}")
    for name in setup.kept:
        click.echo(f"保留您修改过的 {name} / kept your edited {name} (the shipped one differs: rename yours and start again to get it)")
    if not Workspace(setup.workspace).event_files():
        click.echo("工作区还没有事件 / the workspace holds no events yet: tcw ingest … (or make demo, then make lab)")
    if running_as_root():
        click.echo("注意 note: 以 root 运行 / running as root: an ordinary user account is safer")
    if uri:
        click.echo(f"图数据库 graph: {uri}（登录 login from NEO4J_USER, NEO4J_PASSWORD）")
    click.echo(f"JupyterLab（Ctrl-C 停止 stops）: {setup.url}")
    code = run_lab(setup)  # on POSIX this process becomes JupyterLab and does not come back
    if code:
        raise SystemExit(code)


def parse_params(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``NAME=VALUE`` pairs as a dict; anything else, or a name given twice, is bad input."""
    parsed = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise BadInput(f"参数应写成 名称=值 / --param must be NAME=VALUE, got {pair!r}", hint="e.g. --param min_sales=4")
        if name.strip() in parsed:
            raise BadInput(f"参数重复 / --param {name.strip()} given twice", hint="give each parameter once")
        parsed[name.strip()] = value.strip()
    return parsed


def generate_command(out: str | Path, seed: int, scale: str, fmt: str) -> None:
    from workbench.synth import generate

    out, scale = output_folder(out, "--out"), parse_scale(scale)
    with progress_bar("生成 generate", unit="rec") as advance:
        summary = generate(out, seed=seed, scale=scale, fmt=fmt, progress=advance)
    click.echo(f"合成数据 synthetic data: {out}（{summary.get('records_total', '?')} 条记录 records; "
               f"truth: {out / 'truth.csv'}, {out / 'networks.csv'}）")


def demo_command(out: str | Path, seed: int, scale: str) -> None:
    from workbench.demo import run_demo

    run_demo(output_folder(out, "--out"), seed=seed, scale=parse_scale(scale), echo=click.echo)


def parse_scale(scale: str) -> str | int:
    """``tiny``/``demo`` or a number of records (``1e6`` and ``1_000_000`` work too) within the generator's
    range; anything else is bad usage.

    >>> parse_scale("1e6"), parse_scale("tiny")
    (1000000, 'tiny')
    >>> parse_scale("0")
    Traceback (most recent call last):
    ...
    loaders.errors.BadInput: 规模应在 1000 到 100000000 条记录之间 / --scale must be 1000 to 100000000 records, got '0' (use tiny, demo or a number such as 1000000)
    """
    from workbench.synth.scale import MAX_RECORDS, MIN_RECORDS

    hint = "use tiny, demo or a number such as 1000000"
    if scale in ("tiny", "demo"):
        return scale
    try:
        records = int(float(scale.replace("_", "")))
    except (ValueError, OverflowError):
        raise BadInput(f"无效的规模 / invalid --scale {scale!r}", hint=hint) from None
    if not MIN_RECORDS <= records <= MAX_RECORDS:
        raise BadInput(f"规模应在 {MIN_RECORDS} 到 {MAX_RECORDS} 条记录之间 / --scale must be {MIN_RECORDS} to "
                       f"{MAX_RECORDS} records, got {scale!r}", hint=hint)
    return records
