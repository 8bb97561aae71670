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


def build(areas: int, quantities: int, seed: int) -> tuple[LinearTable, float]:
    rng = np.random.default_rng(seed)
    means = np.where(
        np.arange(quantities) % 3 == 2, rng.uniform(1, 6, quantities), rng.uniform(20, 400, quantities)
    )
    leaves = rng.poisson(means[:, None], size=(quantities, areas)).astype(np.float64)
    leaves[0] = leaves[1] + leaves[2]
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
            relations.append(Relation(cell(depth, 0, unit), (cell(depth, 1, unit), cell(depth, 2, unit))))
    keys = tuple(
        (depth, q, unit) for depth, n in enumerate(units) for q in range(quantities) for unit in range(n)
    )
    table = LinearTable(
        keys=keys, values=np.concatenate(values), cost=np.concatenate(cost), relations=tuple(relations)
    )
    return table, sum_seconds


def run(*, areas: int = 500, quantities: int = 20, seed: int = 1) -> dict[str, Any]:
    table, sum_seconds = build(areas, quantities, seed)
    primary = frequency(table.values)
    width = required_width(table.values)
    started = time.perf_counter()
    result = protect(table, primary, width)
    protect_seconds = time.perf_counter() - started
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
        "ratio": round(protect_seconds / max(sum_seconds, 1e-9), 1),
        "final_audit_seconds": round(audit_seconds, 3),
        "exposed_after": int(left.size),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--areas", type=int, default=500)
    parser.add_argument("--quantities", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(json.dumps(run(areas=args.areas, quantities=args.quantities, seed=args.seed), indent=2))


if __name__ == "__main__":
    main()
