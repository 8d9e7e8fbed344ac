"""The month loop: every institution-month generated and written, in one process or several.

Institutions never share state during generation except chain stores (transfers), so chains stay in one
worker; each institution has its own random stream and counter range, hence the files do not depend on
how many workers ran. Workers are forked (POSIX) and report progress through pipes.
"""
from __future__ import annotations

import multiprocessing as mp
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import wait
from pathlib import Path

import numpy as np

from loaders.pool import watch_parent

from .background import Runner, Shared
from .clock import DAY, month_key
from .styles import Style
from .transfers import apply, chain_transfers
from .world import World
from .writer_json import JsonWriter
from .writer_table import TableWriter

PARALLEL_FROM = 400_000  # records; below this one process is faster than forking


@dataclass
class Job:
    world: World
    styles: dict[str, Style]
    runners: list[Runner]
    sh: Shared
    chain_rngs: dict[str, np.random.Generator]
    out_dir: Path


class Output:
    """Writes institution-month files and counts what was written."""

    def __init__(self, job: Job):
        self.out = job.out_dir
        self.styles = job.styles
        self.writers: dict[str, JsonWriter | TableWriter] = {}
        self.stats = {"records": Counter(), "by_format": Counter(), "files": Counter(), "envelopes": 0}
        for inst in job.world.institutions:
            st = job.styles[inst.code]
            opter = job.world.people.staff_name(inst.code, 0)
            self.writers[inst.code] = (TableWriter(inst.code, inst.name, st) if st.is_table
                                       else JsonWriter(inst.code, inst.name, inst.region, opter, st))

    def write(self, code: str, key: str, evs: list) -> None:
        st, w = self.styles[code], self.writers[code]
        if st.is_table:
            ext = "xlsx" if st.fmt == "xlsx" else "csv"
            w.write(self.out / "uploads" / "table" / f"{code}_{key}.{ext}", evs)
            self.stats["files"][ext] += 1
        else:
            d = self.out / "uploads" / "json" / code
            d.mkdir(exist_ok=True)
            before = w.envelopes
            (d / f"{key}.ndjson").write_bytes(w.render(evs))
            self.stats["envelopes"] += w.envelopes - before
            self.stats["files"]["json"] += 1
        self.stats["by_format"][st.fmt] += len(evs)
        self.stats["records"].update(ev.infno for ev in evs)


def run_part(job: Job, runners: list[Runner], progress: Callable[[int], None] | None) -> dict:
    """Generate and write every month of ``runners``; return counts and collection-gap statistics."""
    out = Output(job)
    md = job.world.month_days
    for m in range(len(md) - 1):
        pending = chain_transfers(runners, job.sh, job.chain_rngs, md[m], md[m + 1])
        key = month_key(md[m] * DAY)
        for r in runners:
            evs = r.month(m, md[m], md[m + 1], job.sh.schedule.pop(r.inst.code, m))
            if evs:
                out.write(r.inst.code, key, evs)
                if progress is not None:
                    progress(len(evs))
        apply(pending)
    codes = {r.inst.code for r in runners}
    return {**out.stats, "gap": {c: g for c, g in job.sh.gap.items() if c in codes}}


def partition(runners: list[Runner], n: int) -> list[list[Runner]]:
    """Split into ``n`` balanced parts, each chain's stores kept together."""
    units: dict[str, list[Runner]] = {}
    for r in runners:
        units.setdefault(r.inst.chain or r.inst.code, []).append(r)
    ordered = sorted(units.values(), key=lambda u: (-sum(r.lam for r in u), u[0].inst.code))
    parts: list[list[Runner]] = [[] for _ in range(n)]
    loads = [0.0] * n
    for u in ordered:
        k = loads.index(min(loads))
        parts[k] += u
        loads[k] += sum(r.lam for r in u)
    order = {id(r): i for i, r in enumerate(runners)}
    return [sorted(p, key=lambda r: order[id(r)]) for p in parts if p]


def workers_for(target: int) -> int:
    if target < PARALLEL_FROM or "fork" not in mp.get_all_start_methods():
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def _child(job: Job, runners: list[Runner], conn) -> None:
    watch_parent(os.getppid())
    acc = [0]

    def report(n: int) -> None:
        acc[0] += n
        if acc[0] >= 20_000:
            conn.send(("p", acc[0]))
            acc[0] = 0

    try:
        res = run_part(job, runners, report)
        conn.send(("p", acc[0]))
        conn.send(("done", res))
    except BaseException as exc:  # report, then let the parent raise
        conn.send(("error", repr(exc)))
    finally:
        conn.close()


def run_all(job: Job, n_workers: int, progress: Callable[[int], None] | None) -> dict:
    """Run every institution, in ``n_workers`` forked processes when more than one."""
    if n_workers <= 1:
        return run_part(job, job.runners, progress)
    ctx = mp.get_context("fork")
    conns, procs = [], []
    for part in partition(job.runners, n_workers):
        recv, send = ctx.Pipe(duplex=False)
        p = ctx.Process(target=_child, args=(job, part, send), daemon=True)
        p.start()
        send.close()
        conns.append(recv)
        procs.append(p)
    results = _collect(conns, progress)
    for p in procs:
        p.join()
    return _merge(results)


def _collect(conns: list, progress: Callable[[int], None] | None) -> list[dict]:
    results, live = [], list(conns)
    while live:
        for c in wait(live):
            try:
                kind, val = c.recv()
            except EOFError:
                live.remove(c)
                continue
            if kind == "p" and progress is not None and val:
                progress(val)
            elif kind == "done":
                results.append(val)
            elif kind == "error":
                raise RuntimeError(f"synthetic data worker failed: {val}")
    return results


def _merge(results: list[dict]) -> dict:
    out = {"records": Counter(), "by_format": Counter(), "files": Counter(), "envelopes": 0, "gap": {}}
    for r in results:
        for k in ("records", "by_format", "files"):
            out[k].update(r[k])
        out["envelopes"] += r["envelopes"]
        out["gap"].update(r["gap"])
    return out
