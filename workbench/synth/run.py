"""``generate``: build the world, plant the cases, stream every institution-month, write truth (truth.csv,
networks.csv) and summary."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import orjson

from . import networks_truth, reference, truth
from .background import Runner, Shared
from .clock import DAY, fmt_date
from .engine import Job, run_all, workers_for
from .plan import make_plan
from .scale import Scale, resolve
from .schedule import Schedule
from .styles import Style, draw_style
from .world import World, build_world

RECORDS_PER_BILL = {"pharmacy": 1.36, "hospital": 1.66, "clinic": 1.66}
OVERHEAD = 1.12  # purchases, returns and stock changes on top of sales


def assign_styles(world: World, fmt: str, rng: np.random.Generator) -> dict[str, Style]:
    """Upload habits per institution; in mixed mode two clinics export XLSX, one pharmacy NHSA headers."""
    styles: dict[str, Style] = {}
    n_xlsx = 0
    nhsa_done = False
    for inst in world.institutions:
        st = draw_style(rng, fmt, inst.type, xlsx_slot=n_xlsx < 2)
        n_xlsx += st.fmt == "xlsx"
        if st.fmt.startswith("csv") and inst.type == "pharmacy" and not nhsa_done:
            st.header, nhsa_done = "nhsa", True
        styles[inst.code] = st
    if fmt == "mixed" and not n_xlsx:  # at least one HIS exports Excel
        clinic = next(i for i in world.institutions if i.type == "clinic")
        styles[clinic.code].fmt, styles[clinic.code].gs1_style = "xlsx", "bracket"
    return styles


def bills_per_day(world: World, sc: Scale) -> float:
    """Daily bills per unit of institution weight that give about ``sc.target`` records."""
    end = world.end_day
    cap = sum(i.weight * max(0, end - max(world.first_day, i.start_day)) * RECORDS_PER_BILL[i.type]
              for i in world.institutions)
    return sc.target / (cap * OVERHEAD)


def generate(out_dir: Path, seed: int = 7, scale: str | int = "demo", fmt: str = "mixed",
             progress: Callable[[int], None] | None = None) -> dict:
    """Write a synthetic district to ``out_dir``; return the summary (also written as summary.json).

    The summary holds records per interface and per format, files written, planted cases and traps per
    kind (and the ring boxes only the network analysis sees), networks.csv rows per kind, the seed and the
    scale. Same seed, scale and fmt give byte-identical files.
    """
    out_dir = Path(out_dir)
    sc = resolve(scale)
    seeds = np.random.SeedSequence(seed).spawn(6)
    rngs = [np.random.default_rng(s) for s in seeds[:4]]
    world = build_world(rngs[0], rngs[1], sc, seed)
    styles = assign_styles(world, fmt, rngs[2])
    sh = Shared(world, Schedule(world.month_days))
    rate = bills_per_day(world, sc)
    inst_seeds = seeds[4].spawn(len(world.institutions))
    runners = [Runner(inst, k, styles[inst.code], sh, rate, np.random.default_rng(inst_seeds[k]))
               for k, inst in enumerate(world.institutions)]
    planted = make_plan(world, styles, {r.inst.code: r for r in runners}, sh, rngs[3])
    chains = sorted({i.chain for i in world.institutions if i.chain})
    chain_seeds = seeds[5].spawn(len(chains))
    chain_rngs = {c: np.random.default_rng(s) for c, s in zip(chains, chain_seeds, strict=True)}
    for sub in ("json", "table"):
        (out_dir / "uploads" / sub).mkdir(parents=True, exist_ok=True)
    stats = run_all(Job(world, styles, runners, sh, chain_rngs, out_dir), workers_for(sc.target), progress)
    rows = planted.finish(stats["gap"])
    truth.write(out_dir / "truth.csv", rows)
    networks_truth.write(out_dir / "networks.csv", planted.networks)
    reference.write(out_dir / "reference", world, planted.pack_relations)
    summary = _summary(seed, sc, fmt, world, stats, rows, planted.networks)
    (out_dir / "summary.json").write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2) + b"\n")
    return summary


def _summary(seed: int, sc: Scale, fmt: str, world: World, stats: dict, rows: list[dict],
             networks: list[dict]) -> dict:
    kinds = sorted({r["kind"] for r in rows})
    n_cases = {k: len({r["case_id"] for r in rows if r["kind"] == k}) for k in kinds}
    lead = {r["kind"] for r in rows if r["expect_lead"] == 1}
    return {
        "seed": seed, "scale": sc.name, "fmt": fmt, "region": "500116",
        "date_from": fmt_date(world.first_day * DAY), "date_to": fmt_date((world.end_day - 1) * DAY),
        "institutions": dict(sorted(Counter(i.type for i in world.institutions).items())),
        "products": len(world.products),
        "records": dict(sorted(stats["records"].items())), "records_total": sum(stats["records"].values()),
        "records_by_format": dict(sorted(stats["by_format"].items())), "json_envelopes": stats["envelopes"],
        "files": dict(sorted(stats["files"].items())),
        "cases": {k: n for k, n in n_cases.items() if k in lead},
        "traps": {k: n for k, n in n_cases.items() if k not in lead and k in truth.TRAPS},
        "network_only": {k: n for k, n in n_cases.items() if k not in lead and k not in truth.TRAPS},
        "truth_rows": len(rows),
        "networks": networks_truth.counts(networks),
    }
