"""Secondary suppression at city scale: protecting a generated 3-level table against computing its sums.

    .venv/bin/python benchmarks/privacy_protect.py
    .venv/bin/python benchmarks/privacy_protect.py --areas 500 --quantities 20 --seed 1

The table: ``--areas`` planning areas in regions of 8, regions in districts of 5, one city; ``--quantities``
counts per area (seeded numpy; a third of them small counts — Poisson means 1 to 6 — so that many cells
are primary, the rest Poisson means 20 to 400); quantity 0 is declared the sum of quantities 1 and 2 at
every area (``inhabitants = under_65 + 65_plus``), which links their tables. Costs: an area's count + 1,
times 10 per level above the planning areas, so totals stay published where possible.

Printed (JSON): cells, relations, primary cells (frequency rule, threshold 3), the time to compute all
sums bottom-up with numpy (the baseline), the time of :func:`bettercities.privacy.secondary.protect`
(MILP + audit rounds), its status, MILP solves and withheld cells, and a final audit of the result
(:func:`bettercities.privacy.audit.exposed` must be empty).

Cases (``--case``):

- ``standard`` (default): as above;
- ``chain``: five quantities linked as a chain, as the demo declares them: inhabitants = under 65 + 65 and
  over, under 65 = under 15 + 15 to 64, at every area of the 4-level hierarchy (under 15 and 65 and over
  small counts, Poisson means 1 to 8);
- ``demo``: the demo city of :mod:`bettercities.demo` (``--areas`` planning areas, 12 years) in a
  temporary workspace; timed: :func:`bettercities.privacy.protection.compute` over all periods (reading the
  database included), against summing every stored count up the hierarchy with numpy.

``--repeat`` runs the protection that often and reports the fastest run (wall and CPU seconds).
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np

from bettercities.privacy import audit
from bettercities.privacy.primary import frequency, required_width
from bettercities.privacy.secondary import protect
from bettercities.privacy.tables import LinearTable, Relation


def levels(areas: int) -> list[np.ndarray]:
    """Parent index of each unit, per level: areas -> regions (8) -> districts (5) -> city."""
    regions = np.arange(areas) // 8
    districts = np.arange(regions.max() + 1) // 5
    city = np.zeros(districts.max() + 1, dtype=np.int64)
    return [regions, districts, city]


def sums(leaves: np.ndarray, parents: list[np.ndarray]) -> list[np.ndarray]:
    """All levels' counts from the leaves (quantities x areas), bottom-up."""
    out = [leaves]
    for parent in parents:
        current = out[-1]
        total = np.zeros((current.shape[0], parent.max() + 1))
        for q in range(current.shape[0]):
            total[q] = np.bincount(parent, weights=current[q], minlength=parent.max() + 1)
        out.append(total)
    return out


#: The chain case's quantities: inhabitants, under 65, 65 and over, under 15, 15 to 64.
CHAIN = ((0, (1, 2)), (1, (3, 4)))


def build(areas: int, quantities: int, seed: int, *, chain: bool = False) -> tuple[LinearTable, float]:
    rng = np.random.default_rng(seed)
    if chain:
        quantities = 5
        leaves = np.zeros((5, areas))
        leaves[2] = rng.poisson(rng.uniform(1, 8, areas))
        leaves[3] = rng.poisson(rng.uniform(1, 8, areas))
        leaves[4] = rng.poisson(rng.uniform(20, 400, areas))
        leaves[1] = leaves[3] + leaves[4]
        leaves[0] = leaves[1] + leaves[2]
        declared = CHAIN
    else:
        means = np.where(
            np.arange(quantities) % 3 == 2, rng.uniform(1, 6, quantities), rng.uniform(20, 400, quantities)
        )
        leaves = rng.poisson(means[:, None], size=(quantities, areas)).astype(np.float64)
        leaves[0] = leaves[1] + leaves[2]
        declared = ((0, (1, 2)),)
    parents = levels(areas)
    started = time.perf_counter()
    per_level = sums(leaves, parents)
    sum_seconds = time.perf_counter() - started

    offsets: list[int] = []
    values: list[np.ndarray] = []
    cost: list[np.ndarray] = []
    position = 0
    for depth, counts in enumerate(per_level):
        offsets.append(position)
        values.append(counts.ravel())
        cost.append(((counts + 1) * 10.0**depth).ravel())
        position += counts.size
    units = [counts.shape[1] for counts in per_level]

    def cell(depth: int, q: int, unit: int) -> int:
        return offsets[depth] + q * units[depth] + unit

    relations = []
    for depth, parent in enumerate(parents):
        children: dict[int, list[int]] = {}
        for child, p in enumerate(parent):
            children.setdefault(int(p), []).append(child)
        for q in range(quantities):
            for p, kids in children.items():
                relations.append(Relation(cell(depth + 1, q, p), tuple(cell(depth, q, k) for k in kids)))
    for depth, n in enumerate(units):
        for unit in range(n):
            for total, parts in declared:
                relations.append(
                    Relation(cell(depth, total, unit), tuple(cell(depth, q, unit) for q in parts))
                )
    keys = tuple(
        (depth, q, unit) for depth, n in enumerate(units) for q in range(quantities) for unit in range(n)
    )
    table = LinearTable(
        keys=keys, values=np.concatenate(values), cost=np.concatenate(cost), relations=tuple(relations)
    )
    return table, sum_seconds


def run(
    *, areas: int = 500, quantities: int = 20, seed: int = 1, chain: bool = False, repeat: int = 1
) -> dict[str, Any]:
    table, sum_seconds = build(areas, quantities, seed, chain=chain)
    primary = frequency(table.values)
    width = required_width(table.values)
    walls, cpus = [], []
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        result = protect(table, primary, width)
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    protect_seconds = min(walls)
    started = time.perf_counter()
    left = audit.exposed(table, result.withheld, primary, width)
    audit_seconds = time.perf_counter() - started
    return {
        "cells": len(table),
        "relations": len(table.relations),
        "primary": int(primary.sum()),
        "secondary": int(result.secondary.sum()),
        "status": result.status,
        "milp_solves": result.iterations,
        "sum_seconds": round(sum_seconds, 4),
        "protect_seconds": round(protect_seconds, 3),
        "protect_cpu_seconds": round(min(cpus), 3),
        "ratio": round(protect_seconds / max(sum_seconds, 1e-9), 1),
        "final_audit_seconds": round(audit_seconds, 3),
        "exposed_after": int(left.size),
    }


def run_demo(*, areas: int = 450, seed: int = 2026, repeat: int = 1) -> dict[str, Any]:
    """Protection of the whole demo city, all periods, against summing its stored counts."""
    import tempfile
    from pathlib import Path

    from sqlalchemy import select

    from bettercities.areas.models import Area, City
    from bettercities.demo.service import build_demo
    from bettercities.indicators.models import Observation
    from bettercities.privacy import protection
    from bettercities.storage.workspace import Workspace

    with tempfile.TemporaryDirectory() as directory:
        workspace = Workspace.init(Path(directory) / "workspace")
        try:
            build_demo(workspace, seed=seed, n_planning_areas=areas)
            with workspace.database.reader() as session:
                city_id = session.scalar(select(City.id))
                rows = session.execute(
                    select(Observation.indicator_id, Observation.period_id, Area.parent_id, Observation.value)
                    .join(Area, Area.id == Observation.area_id)
                    .where(Observation.value.is_not(None))
                ).all()
                group = np.array([[r[0], r[1], r[2] or 0] for r in rows], dtype=np.int64)
                value = np.array([r[3] for r in rows], dtype=np.float64)
                started = time.perf_counter()
                _, inverse = np.unique(group, axis=0, return_inverse=True)
                np.bincount(inverse.ravel(), weights=value)
                sum_seconds = time.perf_counter() - started
                walls, cpus = [], []
                for _ in range(repeat):
                    started, cpu = time.perf_counter(), time.process_time()
                    result = protection.compute(session, city_id)
                    walls.append(time.perf_counter() - started)
                    cpus.append(time.process_time() - cpu)
        finally:
            workspace.close()
    return {
        "periods": len(result.periods),
        "cells": sum(p.cells for p in result.periods),
        "withheld": sum(p.withheld for p in result.periods),
        "status": sorted({p.status for p in result.periods}),
        "milp_solves": sum(p.iterations for p in result.periods),
        "sum_seconds": round(sum_seconds, 4),
        "protect_seconds": round(min(walls), 3),
        "protect_cpu_seconds": round(min(cpus), 3),
        "ratio": round(min(walls) / max(sum_seconds, 1e-9), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--areas", type=int, default=500)
    parser.add_argument("--quantities", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--case", choices=("standard", "chain", "demo"), default="standard")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    if args.case == "demo":
        areas = 450 if args.areas == 500 else args.areas  # the demo's own size unless asked otherwise
        print(json.dumps(run_demo(areas=areas, repeat=args.repeat), indent=2))
        return
    result = run(
        areas=args.areas,
        quantities=args.quantities,
        seed=args.seed,
        chain=args.case == "chain",
        repeat=args.repeat,
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
