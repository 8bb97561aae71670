"""The read API against Datasette on the same SQLite file: one observations query, 4 concurrent clients.

    python -m venv /tmp/dsvenv && /tmp/dsvenv/bin/pip install 'datasette==0.65.5' httptools uvloop
    .venv/bin/python benchmarks/read_api.py --datasette /tmp/dsvenv/bin/datasette
    .venv/bin/python benchmarks/read_api.py --workspace W --datasette … --rounds 6 --seconds 5

Datasette is installed for the benchmark only, in a venv of its own (never into the project's install);
httptools and uvloop there too, so that both servers run uvicorn on the same HTTP parser and event loop.
Without ``--workspace`` the demo city is built in a temporary folder (about a minute).

What is measured, on the demo city's SQLite file served by both at once (each idle while the other runs):

* bettercities: ``GET /api/cities/auenstedt/observations?indicator=unemployment&period=2024&level=
  planning_area&page_size=500`` (the published values of 450 planning areas);
* Datasette: the equivalent SQL join (observation ⋈ area ⋈ spatial level ⋈ city ⋈ indicator ⋈ period, the
  current revision, ordered by area code) through ``/bettercities.json?sql=…&_shape=objects``;
* bettercities with ``If-None-Match`` (the 304 path) against the same Datasette query (Datasette answers
  no conditional requests for a query);
* ``bettercities serve --workers 2`` against ``--workers 1``, each client opening a new connection every
  100 requests (``RECONNECT_EVERY``; a kept connection stays with one worker for the whole round).

Each pair runs in alternating rounds (A B, B A, …) of ``--seconds`` each with ``--clients`` connections that
each send the next request as soon as the answer is in (keep-alive, the same request bytes for both, with
``Accept-Encoding: gzip`` as browsers and HTTP libraries send it). Every round is printed; the summary is the
median over rounds of throughput and of p50/p95 latency at the client (loopback; the load generator is a
lean asyncio client, http_load.py). Targets (issue 17): throughput ≥ 2× Datasette and p95 below
Datasette's; ``--workers 2`` above ``--workers 1``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import urllib.parse
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_load import (
    VENV_BIN,
    Outcome,
    Server,
    fetch,
    free_port,
    load,
    request_bytes,
    running,
    worker_cpu_seconds,
)

CITY, INDICATOR, PERIOD, LEVEL = "auenstedt", "unemployment", "2024", "planning_area"
#: Requests after which each client of the workers comparison opens a new connection. The kernel hands a
#: connection to one worker for its whole life: four connections kept for a whole round all landed on one
#: of two workers in four of six rounds (2026-12-04), which measured the kernel's draw, not the workers.
RECONNECT_EVERY = 100
API = f"/api/cities/{CITY}/observations?indicator={INDICATOR}&period={PERIOD}&level={LEVEL}&page_size=500"
SQL = """select a.code as area_code, a.name as area_name, o.value, o.numerator, o.denominator,
  o.provisional, o.estimated, o.suppressed, o.revision
from observation o
  join area a on a.id = o.area_id
  join spatial_level l on l.id = a.level_id
  join city c on c.id = a.city_id
  join indicator i on i.id = o.indicator_id
  join period p on p.id = o.period_id
where c.slug = :city and i.code = :indicator and p.code = :period and l.code = :level and o.is_current
order by a.code limit 500"""
DATASETTE = "/bettercities.json?" + urllib.parse.urlencode(
    {"sql": SQL, "city": CITY, "indicator": INDICATOR, "period": PERIOD, "level": LEVEL, "_shape": "objects"}
)


def _bettercities(workspace: Path, workers: int) -> Server:
    port = free_port()
    command = [str(VENV_BIN / "bettercities"), "serve", "--workspace", str(workspace), "--port", str(port)]
    return Server(f"bettercities-w{workers}", [*command, "--workers", str(workers)], port)


def _datasette(executable: str, database: Path) -> Server:
    port = free_port()
    return Server("datasette", [executable, "serve", str(database), "--port", str(port)], port)


def _compare(
    title: str,
    a: tuple[str, Server, bytes],
    b: tuple[str, Server, bytes],
    *,
    rounds: int,
    seconds: float,
    clients: int,
    reconnect_every: int = 0,
) -> dict[str, Any]:
    """Alternating rounds of ``a`` and ``b``; every round printed, medians returned."""
    again = f", each reconnecting every {reconnect_every} requests" if reconnect_every else ""
    print(f"\n{title}: {rounds} rounds of {seconds:.0f} s, {clients} concurrent clients{again}")
    print(
        f"{'round':>5} {'server':<24} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'status':>10}"
    )
    outcomes: dict[str, list[Outcome]] = {a[0]: [], b[0]: []}
    for number in range(rounds):
        for name, server, request in (a, b) if number % 2 == 0 else (b, a):
            assert server.process is not None
            before = worker_cpu_seconds(server.process.pid)
            outcome = load(
                server.port, [request], clients=clients, seconds=seconds, reconnect_every=reconnect_every
            )
            after = worker_cpu_seconds(server.process.pid)
            outcomes[name].append(outcome)
            statuses = ",".join(f"{k}:{v}" for k, v in sorted(outcome.statuses.items()))
            # with several workers, how the round's work fell on them (the kernel hands each of the clients'
            # keep-alive connections to one worker: four connections may all land on one)
            spent = [after[k] - before.get(k, 0.0) for k in sorted(after)]
            split = "  workers' CPU s: " + " / ".join(f"{s:.1f}" for s in spent) if len(spent) > 1 else ""
            print(
                f"{number + 1:>5} {name:<24} {outcome.requests:>9} {outcome.throughput:>8.0f} "
                f"{outcome.p50:>8.1f} {outcome.p95:>8.1f} {statuses:>10}{split}"
            )
    summary = {
        name: {
            "requests_per_second": round(statistics.median(o.throughput for o in runs), 1),
            "p50_ms": round(statistics.median(o.p50 for o in runs), 1),
            "p95_ms": round(statistics.median(o.p95 for o in runs), 1),
            "rounds_requests_per_second": [round(o.throughput, 1) for o in runs],
        }
        for name, runs in outcomes.items()
    }
    ours, theirs = summary[a[0]], summary[b[0]]
    ratios = [x.throughput / y.throughput for x, y in zip(outcomes[a[0]], outcomes[b[0]], strict=True)]
    summary["ratio"] = round(ours["requests_per_second"] / theirs["requests_per_second"], 2)
    summary["round_ratios"] = [round(r, 2) for r in ratios]
    print(
        f"median: {a[0]} {ours['requests_per_second']:.0f} req/s (p50 {ours['p50_ms']:.1f}, p95 "
        f"{ours['p95_ms']:.1f} ms), {b[0]} {theirs['requests_per_second']:.0f} req/s (p50 "
        f"{theirs['p50_ms']:.1f}, p95 {theirs['p95_ms']:.1f} ms); ratio {summary['ratio']:.2f} "
        f"(per round {min(ratios):.2f}–{max(ratios):.2f})"
    )
    return summary


def _check_same_rows(ours: Server, datasette: Server) -> int:
    """Both answer the same planning areas (and Datasette its rows at all)."""
    import json

    status, _, body = fetch(ours.port, API)
    assert status == 200, body[:300]
    api_codes = {item["area_code"] for item in json.loads(body)["items"]}
    status, _, body = fetch(datasette.port, DATASETTE)
    assert status == 200, body[:300]
    sql_codes = {row["area_code"] for row in json.loads(body)["rows"]}
    missing = api_codes - sql_codes
    assert not missing, f"Datasette's query lacks {sorted(missing)[:5]}"
    return len(api_codes)


def run(
    workspace: Path | None = None,
    *,
    datasette: str | None = None,
    rounds: int = 6,
    seconds: float = 5.0,
    clients: int = 4,
) -> dict[str, Any]:
    datasette = datasette or shutil.which("datasette")
    if not datasette:
        raise SystemExit("Datasette is not installed: see the top of benchmarks/read_api.py")
    with tempfile.TemporaryDirectory(prefix="bettercities-read-api-") as tmp:
        if workspace is None:
            from pages import _demo_workspace

            workspace = _demo_workspace(Path(tmp)).path
        assert workspace is not None
        one, two = _bettercities(workspace, 1), _bettercities(workspace, 2)
        other = _datasette(datasette, workspace / "bettercities.sqlite")
        results: dict[str, Any] = {"clients": clients, "seconds": seconds, "rounds": rounds}
        with running(one, other, two, probes=[API, DATASETTE, API]):
            results["areas"] = _check_same_rows(one, other)
            _, headers, _ = fetch(one.port, API)
            etag = headers["etag"]
            plain, sql = request_bytes(one.port, API), request_bytes(other.port, DATASETTE)
            conditional = request_bytes(one.port, API, {"If-None-Match": etag})
            options = {"rounds": rounds, "seconds": seconds, "clients": clients}
            results["datasette"] = _compare(
                "observations, bettercities vs Datasette",
                ("bettercities", one, plain),
                ("datasette", other, sql),
                **options,
            )
            results["not_modified"] = _compare(
                "observations with If-None-Match (304), bettercities vs Datasette (200)",
                ("bettercities 304", one, conditional),
                ("datasette", other, sql),
                **options,
            )
            results["identity"] = _compare(
                "observations without gzip (Accept-Encoding: identity), bettercities vs Datasette",
                ("bettercities identity", one, plain.replace(b"gzip", b"identity")),
                ("datasette", other, sql),
                **options,
            )
            results["workers"] = _compare(
                "observations, bettercities --workers 2 vs --workers 1",
                ("bettercities --workers 2", two, request_bytes(two.port, API)),
                ("bettercities --workers 1", one, plain),
                reconnect_every=RECONNECT_EVERY,
                **options,
            )
    met = (
        results["datasette"]["ratio"] >= 2.0
        and results["datasette"]["bettercities"]["p95_ms"] < results["datasette"]["datasette"]["p95_ms"]
        and results["workers"]["ratio"] > 1.0
    )
    results["target_met"] = met
    print(
        f"\ntarget: throughput >= 2x Datasette ({results['datasette']['ratio']:.2f}x), p95 below "
        f"Datasette's, --workers 2 above 1 ({results['workers']['ratio']:.2f}x): {'met' if met else 'MISSED'}"
    )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workspace", type=Path, help="an existing workspace (default: build the demo city)")
    parser.add_argument("--datasette", help="the datasette executable (default: datasette on PATH)")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    outcome = run(
        args.workspace,
        datasette=args.datasette,
        rounds=args.rounds,
        seconds=args.seconds,
        clients=args.clients,
    )
    return 0 if outcome["target_met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
