"""Server time of the city page, an area profile and the indicator page on the demo city.

    .venv/bin/python benchmarks/pages.py                      # builds the demo city in a temporary workspace
    .venv/bin/python benchmarks/pages.py --workspace W        # or measures an existing workspace
    .venv/bin/python benchmarks/pages.py --requests 300

Every request goes through the whole app in process (FastAPI TestClient: routing, library, templates,
SVG), timed from call to complete response. Three measurements per page:

* ``cold``: the first request after start-up, with empty caches and no warm-up;
* ``repeat``: the same URL again, ``requests`` times;
* ``browse``: ``requests`` different views (indicators × periods × levels, areas of every level), after the
  warm-up that ``bettercities serve`` runs at start-up.

Target (foundation issue): p95 < 100 ms for every page in ``repeat`` and ``browse``.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TARGET_MS = 100.0


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def _time(get: Callable[[str], Any], url: str) -> float:
    started = time.perf_counter()
    response = get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{url}: HTTP {response.status_code}: {response.text[:300]}")
    return elapsed


def _stats(samples: list[float]) -> dict[str, float]:
    return {
        "n": len(samples),
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(percentile(samples, 95), 1),
        "max_ms": round(max(samples), 1),
    }


def _demo_workspace(folder: Path) -> Any:
    from bettercities.demo.service import build_demo
    from bettercities.storage.workspace import Workspace

    workspace = Workspace.init(folder / "demo")
    started = time.perf_counter()
    summary = build_demo(workspace, seed=2026)
    print(
        f"demo city built in {time.perf_counter() - started:.1f} s: {summary.areas} areas, "
        f"{summary.indicators} indicators, {summary.periods} periods, {summary.observations} observations"
    )
    return workspace


def run(workspace_path: Path | str | None = None, requests: int = 100) -> dict[str, Any]:
    """Measure the pages; returns the figures per page and measurement and whether the target is met."""
    from fastapi.testclient import TestClient

    from bettercities.storage.workspace import Workspace
    from bettercities.web.app import create_app, warm_up

    with tempfile.TemporaryDirectory(prefix="bettercities-bench-") as tmp:
        workspace = Workspace.open(Path(workspace_path)) if workspace_path else _demo_workspace(Path(tmp))
        app = create_app(workspace)
        with TestClient(app) as client:
            slug = client.get("/api/cities").json()["items"][0]["slug"]
            city = client.get(f"/cities/{slug}.json").json()
            indicators = [i["code"] for i in city["indicators"]]
            periods = [p["code"] for p in city["periods"]]
            levels = [lv["code"] for lv in city["levels"]]
            areas = {
                level: [a["code"] for a in client.get(
                    f"/api/cities/{slug}/areas", params={"level": level, "page_size": 1000}
                ).json()["items"]]
                for level in levels
            }  # fmt: skip
            some_area = areas[levels[-1]][len(areas[levels[-1]]) // 3]
            fixed = {
                "city": f"/cities/{slug}",
                "area": f"/cities/{slug}/areas/{some_area}",
                "indicator": f"/cities/{slug}/indicators/{indicators[0]}",
            }
            app.state.caches.clear()
            cold = {name: _time(client.get, url) for name, url in fixed.items()}
            repeat = {name: [_time(client.get, url) for _ in range(requests)] for name, url in fixed.items()}

            app.state.caches.clear()
            started = time.perf_counter()
            warm_up(app)
            warm_seconds = time.perf_counter() - started
            views = itertools.cycle(itertools.product(indicators, reversed(periods), reversed(levels)))
            every_area = itertools.cycle(
                [
                    (level, code)
                    for level in levels
                    for code in areas[level][:: max(1, len(areas[level]) // 40)]
                ]
            )
            browse_urls = {
                "city": [
                    f"/cities/{slug}?indicator={i}&period={p}&level={lv}"
                    for i, p, lv in itertools.islice(views, requests)
                ],
                "area": [
                    f"/cities/{slug}/areas/{code}?level={lv}"
                    for lv, code in itertools.islice(every_area, requests)
                ],
                "indicator": [
                    f"/cities/{slug}/indicators/{i}?period={p}&level={lv}"
                    for i, p, lv in itertools.islice(views, requests)
                ],
            }
            browse = {name: [_time(client.get, url) for url in urls] for name, urls in browse_urls.items()}

    results: dict[str, Any] = {"requests": requests, "warm_up_s": round(warm_seconds, 1), "pages": {}}
    met = True
    for name in fixed:
        row = {
            "cold_ms": round(cold[name], 1),
            "repeat": _stats(repeat[name]),
            "browse": _stats(browse[name]),
        }
        met &= row["repeat"]["p95_ms"] < TARGET_MS and row["browse"]["p95_ms"] < TARGET_MS
        results["pages"][name] = row
    results["target_met"] = met
    _print(results)
    return results


def _print(results: dict[str, Any]) -> None:
    print(f"\npage timings, {results['requests']} requests each (server time in process, ms); "
          f"warm-up {results['warm_up_s']} s")  # fmt: skip
    columns = ("cold", "repeat p50", "repeat p95", "browse p50", "browse p95")
    print(f"{'page':<10} " + " ".join(f"{c:>11}" for c in columns))
    for name, row in results["pages"].items():
        figures = (row["cold_ms"], *(row[m][f"{q}_ms"] for m in ("repeat", "browse") for q in ("p50", "p95")))
        print(f"{name:<10} " + " ".join(f"{f:>11.1f}" for f in figures))
    verdict = "met" if results["target_met"] else "MISSED"
    print(f"target p95 < {TARGET_MS:.0f} ms (repeat and browse): {verdict}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workspace", type=Path, help="an existing workspace (default: build the demo city)")
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    return 0 if run(args.workspace, args.requests)["target_met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
