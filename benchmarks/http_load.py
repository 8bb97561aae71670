"""Shared by the HTTP benchmarks (read_api.py, routes.py): servers in their own processes on loopback and a
lean load generator.

The load generator is a few lines of asyncio over raw HTTP/1.1 keep-alive connections (one per concurrent
client; Content-Length and chunked bodies), so that the client spends far less CPU per request than the
servers it measures: on a 2-core machine a heavyweight client (httpx costs ~1 ms of CPU per request) would
flatten every ratio towards 1. Every server measured gets the very same request bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def _process_times() -> dict[int, tuple[int, float]]:
    """Every process's parent pid and CPU seconds (user + system), from /proc (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    found: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks)
    return found


def worker_cpu_seconds(pid: int) -> dict[int, float]:
    """CPU time of each child process of ``pid`` (uvicorn's workers under ``--workers N``)."""
    return {child: seconds for child, (parent, seconds) in _process_times().items() if parent == pid}


def _cpu_seconds(pid: int) -> float:
    """CPU time of process ``pid`` and its children (uvicorn's workers)."""
    times = _process_times()
    return times.get(pid, (0, 0.0))[1] + sum(s for parent, s in times.values() if parent == pid)


@dataclass
class Server:
    """A server process on 127.0.0.1:``port``."""

    name: str
    command: list[str]
    port: int
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    log: IO[bytes] | None = None

    def start(self, probe: str, *, timeout: float = 900.0, quiet_timeout: float = 300.0) -> None:
        """Start it, wait until ``probe`` answers 200 and the process has gone quiet (its warm-up done)."""
        log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-{self.name}-{self.port}.log"
        self.log = log.open("wb")
        self.process = subprocess.Popen(
            self.command, stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, **self.env}
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {log}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{probe}", timeout=30) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not answer {probe} within {timeout:.0f} s")
            time.sleep(0.3)
        # quiet: less than 50 ms of CPU in a second (bettercities warms its caches in the background), for
        # at most ``quiet_timeout`` seconds: on a machine that others load, the warm-up may take minutes
        quiet_deadline = time.monotonic() + quiet_timeout
        before = _cpu_seconds(self.process.pid)
        while time.monotonic() < quiet_deadline:
            time.sleep(1.0)
            now = _cpu_seconds(self.process.pid)
            if now - before < 0.05:
                return
            before = now
        print(f"{self.name}: still busy after {quiet_timeout:.0f} s (warm-up); measuring anyway", flush=True)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.log is not None:
            self.log.close()


@contextlib.contextmanager
def running(*servers: Server, probes: Sequence[str]) -> Iterator[None]:
    try:
        for server, probe in zip(servers, probes, strict=True):
            server.start(probe)
        yield
    finally:
        for server in servers:
            server.stop()


def request_bytes(port: int, target: str, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"GET {target} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Accept-Encoding: gzip"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], int]:
    """Status, headers and body size of one response (the body is read and dropped)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in header_lines:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    status = int(status_line.split(" ", 2)[1])
    if "content-length" in headers:
        size = int(headers["content-length"])
        await reader.readexactly(size)
        return status, headers, size
    if headers.get("transfer-encoding", "").lower() == "chunked":
        size = 0
        while True:
            chunk = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(chunk + 2)
            size += chunk
            if chunk == 0:
                return status, headers, size
    if status in (204, 304):
        return status, headers, 0
    body = await reader.read()  # until the server closes
    return status, headers, len(body)


@dataclass
class Outcome:
    requests: int
    seconds: float
    latencies_ms: list[float]
    statuses: dict[int, int]
    bytes_read: int

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p95(self) -> float:
        return percentile(self.latencies_ms, 95)


async def _load(
    port: int, requests: Sequence[bytes], clients: int, seconds: float, reconnect_every: int = 0
) -> Outcome:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    received = 0

    async def client(start: int) -> None:
        nonlocal received
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = start
        sent = 0  # on this connection
        try:
            while time.perf_counter() < deadline:
                if reconnect_every and sent == reconnect_every:
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    sent = 0
                sent += 1
                began = time.perf_counter()
                writer.write(requests[i % len(requests)])
                status, headers, size = await _response(reader)
                latencies.append((time.perf_counter() - began) * 1000)
                statuses[status] = statuses.get(status, 0) + 1
                received += size
                i += clients
                if headers.get("connection", "").lower() == "close":
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    sent = 0
        finally:
            writer.close()

    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(client(n) for n in range(clients)))
    return Outcome(len(latencies), time.perf_counter() - started, latencies, statuses, received)


def load(
    port: int, requests: Sequence[bytes], *, clients: int = 4, seconds: float = 5.0, reconnect_every: int = 0
) -> Outcome:
    """``clients`` connections sending ``requests`` (in turn) for ``seconds``, each waiting for its answer.

    With ``reconnect_every`` each client closes its connection after that many requests and opens a new
    one (as HTTP clients recycle keep-alive connections); the time to reconnect counts in the round.
    """
    return asyncio.run(_load(port, requests, clients, seconds, reconnect_every))


def fetch(port: int, target: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One request with urllib (for checks outside the timed rounds)."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{target}", headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()
