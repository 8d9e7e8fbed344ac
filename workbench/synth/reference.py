"""Reference tables (contracts §1D): institutions, products (three-code mapping), pack relations."""
from __future__ import annotations

import csv
from pathlib import Path

from .world import World


def _write(path: Path, header: list[str], rows: list[list]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def write(ref_dir: Path, world: World, pack_relations: list[tuple[str, str]]) -> None:
    """Write ``institutions.csv``, ``products.csv`` and ``pack_relations.csv`` into ``ref_dir``."""
    ref_dir.mkdir(parents=True, exist_ok=True)
    insts = [[i.code, i.name, i.type, i.level, i.region, i.chain] for i in world.institutions]
    insts += [[code, name, "supplier", "", code[1:7], ""] for code, name, _lic in world.suppliers]
    _write(ref_dir / "institutions.csv", ["code", "name", "type", "level", "region", "chain"], insts)
    prods = [[p.code, p.drug.name, p.drug.spec, p.drug.units, f"{p.drug.price:.2f}",
              "|".join(m.prefix for m in p.mints), int(p.exempt)] for p in world.products]
    _write(ref_dir / "products.csv",
           ["med_list_codg", "name", "spec", "units_per_pack", "unit_price", "trace_prefixes", "exempt"], prods)
    _write(ref_dir / "pack_relations.csv", ["parent_code", "child_code"], [list(r) for r in pack_relations])
