"""``tcw graph``: a workspace's events, pack relations, screen leads and communities written to Neo4j.

Connecting comes first (a wrong password or a server that does not answer stops the command in one line
before any work), then the constraints, the screens (DuckDB) and the load: one transaction per batch of
events, every node and event keyed, so writing the same workspace twice changes no count and a load
stopped half way and run again ends in the graph of one clean load. Then the workspace's rings and
clusters (``analyse``, default parameters) become ``Community`` nodes (``workbench.graph.communities``),
and last its cases ``Case`` nodes (``workbench.graph.cases``).

>>> graph_settings("bolt://db:7687", {"NEO4J_USER": "analyst", "NEO4J_PASSWORD": "pw"})
GraphSettings(uri='bolt://db:7687', user='analyst', password='***')
>>> graph_settings(None, {}).uri
'bolt://127.0.0.1:7687'
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from loaders.errors import BadInput
from loaders.recovery import settle
from loaders.workspace import Workspace
from workbench.cases.actions import list_cases
from workbench.graph.cases import write_cases
from workbench.graph.communities import workspace_analysis, write_communities
from workbench.graph.load import Progress, load_workspace
from workbench.graph.store import GraphStore

DEFAULT_URI = "bolt://127.0.0.1:7687"
#: Events per transaction: on the benchmark machine 5,000 wrote faster than 1,000 or 20,000 (smaller
#: transactions cost more round trips, larger ones more server memory work).
BATCH_SIZE = 5_000


@dataclass(frozen=True)
class GraphSettings:
    """Where the Neo4j server is and how to log in."""

    uri: str
    user: str
    password: str = ""

    def __repr__(self) -> str:  # the password never reaches a log
        return f"GraphSettings(uri={self.uri!r}, user={self.user!r}, password={'***' if self.password else ''!r})"


def graph_settings(uri: str | None, environ: Mapping[str, str] = os.environ) -> GraphSettings:
    """``uri`` (the ``--neo4j`` option) else ``NEO4J_URI`` else the local server; the user and password
    from ``NEO4J_USER`` (default ``neo4j``) and ``NEO4J_PASSWORD``."""
    return GraphSettings(uri or environ.get("NEO4J_URI") or DEFAULT_URI, environ.get("NEO4J_USER") or "neo4j",
                         environ.get("NEO4J_PASSWORD", ""))


@dataclass(frozen=True)
class GraphReport:
    """What a load read, what the graph holds afterwards, and the seconds screening, writing the events
    and leads, and analysing and writing the communities took."""

    read: dict[str, int]
    counts: dict[str, int]
    screen_seconds: float
    write_seconds: float
    community_seconds: float = 0.0


def open_neo4j(settings: GraphSettings):
    """The Neo4j store (constraints and indexes in place); ``BadInput`` in one line when the server does
    not answer or refuses the password."""
    try:
        from workbench.graph.neo4j_store import Neo4jStore  # the driver loads only for this command
    except ImportError:
        raise BadInput("未安装 Neo4j 驱动 / the neo4j driver is not installed", hint="pip install 'tcw[graph]'") from None
    if not settings.password:
        raise BadInput("未设置 NEO4J_PASSWORD / NEO4J_PASSWORD is not set", path=settings.uri,
                       hint="export NEO4J_USER and NEO4J_PASSWORD (the local test server's are in .neo4j/env)")
    return Neo4jStore.connect(settings.uri, settings.user, settings.password)


@contextmanager
def connection_kept(settings: GraphSettings) -> Iterator[None]:
    """A server lost during the load becomes one line with what to do (running again resumes)."""
    from neo4j.exceptions import ServiceUnavailable, SessionExpired

    try:
        yield
    except (ServiceUnavailable, SessionExpired) as error:
        reason = " ".join(str(error).split())[:200]
        raise BadInput(f"与 Neo4j 的连接中断 / lost the connection to Neo4j ({reason})", path=settings.uri,
                       hint="check the server, then run the same command again: the load resumes") from None


def advancing(advance: Callable[[int], None]) -> Callable[[Progress], None]:
    """A ``load_workspace`` progress callback moving a bar by the events done since its last call.

    >>> moved = []
    >>> step = advancing(moved.append)
    >>> step(Progress(20, 50)); step(Progress(50, 50)); moved
    [20, 30]
    """
    done = 0

    def step(progress: Progress) -> None:
        nonlocal done
        advance(progress.done - done)
        done = progress.done

    return step


def require_events(ws: Workspace) -> None:
    """``BadInput`` when the workspace holds no events yet (or cannot be read), with what to do."""
    settle(ws)
    if not ws.event_files():
        raise BadInput("工作区中没有事件 / the workspace holds no events", path=str(ws.root),
                       hint="load files first: tcw ingest PATH… --workspace DIR")


def write_graph(store: GraphStore, ws: Workspace, batch_size: int = BATCH_SIZE,
                progress: Callable[[Progress], None] | None = None) -> GraphReport:
    """Screen the workspace and write its pack relations, events and leads into ``store``, then its
    communities (none when no code was sold twice), then its cases (none before the first case: the
    case file is not made here)."""
    from workbench.screens.run import screen

    require_events(ws)
    if batch_size < 1:
        raise BadInput(f"批大小须为正数 / --batch-size must be positive, got {batch_size}", hint="e.g. 20000")
    began = time.perf_counter()
    leads = screen(ws)
    screened = time.perf_counter()
    read = load_workspace(store, ws, leads, batch_size=batch_size, progress=progress)
    loaded = time.perf_counter()
    read |= write_communities(store, workspace_analysis(ws))
    read |= write_cases(store, list_cases(ws))
    return GraphReport(read, store.counts(), screened - began, loaded - screened, time.perf_counter() - loaded)


def graph_summary(report: GraphReport) -> str:
    """Lines for the terminal: what was read, the graph's counts, the time taken.

    >>> print(graph_summary(GraphReport({"events": 3, "leads": 1, "pack_relations": 0, "removed_events": 2,
    ...                                  "removed_leads": 0, "communities": 1, "removed_communities": 0},
    ...                                 {"Event": 3, "Lead": 1, "AT": 3, "FLAGS": 0}, 0.5, 1.5, 0.2)))
    筛查 screens: 1 线索 leads (0.5 s); 团伙分析 analysis (0.2 s)
    写入 written: 3 事件 events, 1 线索 leads, 0 包装关系 pack relations (1.5 s, 2 events/s)
    移除 removed: 2 事件 events (已删除 deleted), 0 线索 leads (不再成立 no longer found)
    团伙/网络 communities: 1 写入 written, 0 移除 removed (不再成立 no longer found)
    节点 nodes: Event 3, Lead 1
    关系 relationships: AT 3
    """
    from workbench.graph.schema import schema

    read, counts = report.read, report.counts
    labels = {label.name for label in schema().labels}
    nodes = ", ".join(f"{name} {n:,}" for name, n in counts.items() if name in labels and n)
    links = ", ".join(f"{name} {n:,}" for name, n in counts.items() if name not in labels and n)
    rate = read["events"] / report.write_seconds if report.write_seconds > 0 else 0
    return "\n".join([f"筛查 screens: {read['leads']:,} 线索 leads ({report.screen_seconds:.1f} s)"
                      + (f"; 团伙分析 analysis ({report.community_seconds:.1f} s)" if "communities" in read else ""),
                      f"写入 written: {read['events']:,} 事件 events, {read['leads']:,} 线索 leads, "
                      f"{read['pack_relations']:,} 包装关系 pack relations ({report.write_seconds:.1f} s, {rate:,.0f} events/s)",
                      *_removed(read), *community_lines(read), *case_lines(read), f"节点 nodes: {nodes or '-'}",
                      f"关系 relationships: {links or '-'}"])


def _removed(read: Mapping[str, int]) -> list[str]:
    """The summary's line on what the load removed, when it removed anything."""
    if not any(read.get(name) for name in ("removed_events", "removed_leads", "removed_patients")):
        return []
    line = (f"移除 removed: {read['removed_events']:,} 事件 events (已删除 deleted), "
            f"{read['removed_leads']:,} 线索 leads (不再成立 no longer found)")
    if read.get("removed_patients"):
        line += f", {read['removed_patients']:,} 参保人 persons (旧化名 old pseudonyms)"
    return [line]


def community_lines(read: Mapping[str, int]) -> list[str]:
    """The summary's line on the ``Community`` nodes written and removed (none when none were written).

    >>> community_lines({"communities": 2, "removed_communities": 1})
    ['团伙/网络 communities: 2 写入 written, 1 移除 removed (不再成立 no longer found)']
    """
    if "communities" not in read:
        return []
    return [f"团伙/网络 communities: {read['communities']:,} 写入 written, {read['removed_communities']:,} 移除 removed "
            "(不再成立 no longer found)"]


def case_lines(read: Mapping[str, int]) -> list[str]:
    """The summary's line on the ``Case`` nodes (none when the workspace has no case and none was removed).

    >>> case_lines({"cases": 2, "case_items": 5, "skipped_case_items": 1, "removed_cases": 0})
    ['案件 cases: 2 写入 written (5 条目 items linked, 1 条目不在图中 items not in the graph), 0 移除 removed']
    """
    if not read.get("cases") and not read.get("removed_cases"):
        return []
    return [f"案件 cases: {read['cases']:,} 写入 written ({read['case_items']:,} 条目 items linked, "
            f"{read['skipped_case_items']:,} 条目不在图中 items not in the graph), {read['removed_cases']:,} 移除 removed"]
