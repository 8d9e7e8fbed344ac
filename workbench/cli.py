"""``tcw``: the trace-code investigation workbench on the command line.

Exit codes: 0 success; 2 bad usage or bad input (one line, no traceback); 1 internal error.
"""

from __future__ import annotations

import os
import sys

import click

from loaders.errors import BadInput
from loaders.pool import default_workers, worker_pool

#: ``--format`` choices (``loaders.detect.FORMAT_NAMES``; checked by a test, not imported: the loaders
#: load DuckDB and pyarrow, which a command should only pay for when it runs).
FORMAT_NAMES = ("nhsa-json", "table", "events")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tcw")
def cli() -> None:
    """药品追溯码监管工作台 / trace-code investigation workbench."""


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--workspace", "-w", default=None, help="工作区 workspace folder (default $TCW_WORKSPACE or ./tcw-workspace)")
@click.option("--format", "forced", type=click.Choice(FORMAT_NAMES), default=None,
              help="override format detection")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="worker processes (default: one per core)")
def ingest(paths: tuple[str, ...], workspace: str | None, forced: str | None, workers: int | None) -> None:
    """载入进销存上传文件 / load upload files (3501–3507 JSON, CSV/XLSX, events) into the workspace."""
    with worker_pool(workers or default_workers()) as pool:  # workers start while the loaders load
        from workbench import commands

        commands.ingest_command(list(paths), workspace, forced, pool)


@cli.command()
@click.option("--workspace", "-w", default=None, help="工作区 workspace folder (default $TCW_WORKSPACE or ./tcw-workspace)")
@click.option("--rule", "rule_ids", multiple=True, help="规则 rule id (repeatable; default: every rule)")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="override a rule parameter (repeatable)")
@click.option("--out", "out", default="leads.csv", show_default=True, help="leads file: .csv, .parquet or .json")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default=None,
              help="engine (default duckdb, or $TCW_SCREEN_ENGINE)")
def screen(workspace: str | None, rule_ids: tuple[str, ...], params: tuple[str, ...], out: str,
           engine: str | None) -> None:
    """筛查线索 / run the screening rules over the workspace's events and write the leads."""
    from workbench import commands

    commands.screen_command(workspace, list(rule_ids), commands.parse_params(params), out, engine)


@cli.command()
@click.option("--workspace", "-w", default=None, help="工作区 workspace folder (default $TCW_WORKSPACE or ./tcw-workspace)")
@click.option("--neo4j", "uri", default=None, metavar="URI",
              help="Neo4j 地址 server (default $NEO4J_URI, else bolt://127.0.0.1:7687); login from NEO4J_USER, NEO4J_PASSWORD")
@click.option("--batch-size", type=click.IntRange(min=1), default=5_000, show_default=True,
              help="每个事务的事件数 events per transaction")
@click.option("--import-files", default=None, metavar="DIR",
              help="首次批量导入 first load: write neo4j-admin import files to DIR instead, and print the command")
def graph(workspace: str | None, uri: str | None, batch_size: int, import_files: str | None) -> None:
    """写入图数据库 / write the workspace's events and screen leads to Neo4j (idempotent, resumable)."""
    from workbench import commands

    if import_files is not None:
        commands.import_files_command(workspace, import_files)
    else:
        commands.graph_command(workspace, uri, batch_size)


@cli.command()
@click.option("--workspace", "-w", default=None, help="工作区 workspace folder (default $TCW_WORKSPACE or ./tcw-workspace)")
@click.option("--from", "source", type=click.Choice(["workspace", "neo4j"]), default="workspace", show_default=True,
              help="flows from the workspace's events, or from the graph tcw graph wrote")
@click.option("--neo4j", "uri", default=None, metavar="URI", help="Neo4j 地址 server for --from neo4j (default $NEO4J_URI)")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="override a parameter (repeatable)")
@click.option("--out", "out", default=None, help="output folder (default WORKSPACE/analysis)")
@click.option("--communities", default=None, help="communities file (.csv, .parquet, .json; default OUT/communities.csv)")
@click.option("--brokers", default=None, help="brokers file (.csv, .parquet, .json; default OUT/brokers.csv)")
def analyse(workspace: str | None, source: str, uri: str | None, params: tuple[str, ...], out: str | None,
            communities: str | None, brokers: str | None) -> None:
    """团伙分析 / graph analytics: reflux rings, brokers and counterfeit clusters."""
    from workbench import commands

    commands.analyse_command(workspace, source, uri, commands.parse_params(params), out, communities, brokers)


@cli.command()
@click.option("--out", "out", required=True, help="output folder")
@click.option("--seed", type=click.IntRange(min=0), default=7, show_default=True,
              help="random seed (same seed, same files)")
@click.option("--scale", default="demo", show_default=True,
              help="tiny | demo | an approximate number of records, e.g. 1000000")
@click.option("--format", "fmt", type=click.Choice(["mixed", "json", "csv"]), default="mixed", show_default=True)
def generate(out: str, seed: int, scale: str, fmt: str) -> None:
    """生成合成数据 / write a synthetic district with planted cases and truth.csv."""
    from workbench import commands

    commands.generate_command(out, seed, scale, fmt)


@cli.command()
@click.option("--out", "out", default="tcw-demo", show_default=True, help="folder for the demo data and workspace")
@click.option("--seed", type=click.IntRange(min=0), default=7, show_default=True)
@click.option("--scale", default="demo", show_default=True)
def demo(out: str, seed: int, scale: str) -> None:
    """演示 / the main job: synthetic data → ingest → screen → offline HTML report."""
    from workbench import commands

    commands.demo_command(out, seed, scale)


@cli.command()
@click.option("--workspace", "-w", default=None, help="工作区 workspace folder (default $TCW_WORKSPACE or ./tcw-workspace)")
@click.option("--repair", is_flag=True, help="修复 complete or remove what interrupted runs left, quarantine unreadable "
                                             "files, make files owner-only")
def doctor(workspace: str | None, repair: bool) -> None:
    """检查工作区 / check a workspace: every file readable, counts reconcile with runs.jsonl, nothing left over."""
    from workbench import commands

    commands.doctor_command(workspace, repair)


@cli.command()
@click.option("--workspace", "-w", default=None, help="工作区 workspace folder (default $TCW_WORKSPACE or ./tcw-workspace)")
@click.option("--port", type=click.IntRange(1, 65535), default=8888, show_default=True, help="端口 port on 127.0.0.1")
@click.option("--neo4j", "uri", default=None, metavar="URI",
              help="Neo4j 地址: the notebooks read the graph from this server (sets NEO4J_URI and TCW_BACKEND=neo4j)")
@click.option("--no-browser", is_flag=True, help="不打开浏览器 do not open a browser (none opens without a display)")
@click.option("--ip", default="127.0.0.1", show_default=True,
              help="监听地址 listen address; 0.0.0.0 only inside a container whose port is published on 127.0.0.1")
def lab(workspace: str | None, port: int, uri: str | None, no_browser: bool, ip: str) -> None:
    """笔记本 / JupyterLab on the workspace's notebooks, offline: 127.0.0.1, a token, no news, no installs."""
    from workbench import commands

    commands.lab_command(workspace, port, uri, no_browser, ip)



@cli.group()
def audit() -> None:
    """审计日志 / the workspace audit log: every case action, export and query, hash-chained."""


@audit.command("verify")
@click.option("--workspace", "-w", default=None, help="工作区 workspace folder (default $TCW_WORKSPACE or ./tcw-workspace)")
def audit_verify(workspace: str | None) -> None:
    """校验审计日志 / check the chain: no line edited, removed or reordered, the end not cut (exit 2 if so)."""
    from workbench import audit_commands

    audit_commands.verify_command(workspace)


@audit.command("show")
@click.option("--workspace", "-w", default=None, help="工作区 workspace folder (default $TCW_WORKSPACE or ./tcw-workspace)")
@click.option("--case", "case_id", default=None, metavar="ID", help="只看此案件 only this case's entries")
@click.option("--last", type=click.IntRange(min=1), default=None, metavar="N", help="最近 N 条 only the last N entries")
def audit_show(workspace: str | None, case_id: str | None, last: int | None) -> None:
    """列出审计记录 / list the audit entries, oldest first."""
    from workbench import audit_commands

    audit_commands.show_command(workspace, case_id, last)


@audit.command("repair")
@click.option("--workspace", "-w", default=None, help="工作区 workspace folder (default $TCW_WORKSPACE or ./tcw-workspace)")
def audit_repair(workspace: str | None) -> None:
    """修复中断的写入 / move a partly written last line aside (recorded), update a lagging head; never tampering."""
    from workbench import audit_commands

    audit_commands.repair_command(workspace)

from workbench.cases.cli import case_group  # noqa: E402  (the group imports nothing heavy)

cli.add_command(case_group)


@cli.command()
@click.argument("institution")
@click.option("--out", "out", required=True, help="报告文件 report file: .xlsx or .html")
@click.option("--workspace", "-w", default=None, help="工作区 workspace folder (default $TCW_WORKSPACE or ./tcw-workspace)")
def selfcheck(institution: str, out: str, workspace: str | None) -> None:
    """机构自查自纠报告 / one institution's self-inspection report: its leads, collection rate, codes to explain."""
    from workbench.selfcheck.output import selfcheck_command

    selfcheck_command(institution, out, workspace)


def main(argv: list[str] | None = None) -> int:
    """Console entry point: maps bad input to exit 2 with one line."""
    try:
        cli.main(args=argv, prog_name="tcw", standalone_mode=False)
    except BadInput as error:
        click.echo(f"错误 error: {error}", err=True)
        return 2
    except click.ClickException as error:
        error.show()
        return 2
    except click.exceptions.Abort:
        click.echo("已中止 aborted", err=True)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # an internal error: say so in one line, details on request
        if os.environ.get("TCW_DEBUG"):
            raise
        click.echo(f"内部错误 internal error: {type(error).__name__}: {error} (set TCW_DEBUG=1 for the traceback)",
                   err=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
