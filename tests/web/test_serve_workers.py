"""Several server processes on one workspace (real processes on loopback): ``bettercities serve --workers 2``
and a second ``bettercities serve``. An import through one process is read through the others on their next
request (each process caches by the data version); SIGTERM stops the workers gracefully."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bettercities.areas import service as areas
from bettercities.catalog import service as catalog
from bettercities.catalog.schemas import DatasetSpec
from bettercities.storage.workspace import Workspace
from tests.support.net import LOOPBACK, free_port
from tests.web.citybuilder import build_city
from tests.web.conftest import add_user, issue_token

pytestmark = pytest.mark.slow  # three server processes start (each imports the whole app)

READ = "/api/cities/testville/observations?indicator=green_space&period=2022&level=planning_area"
STARTUP_SECONDS = 300  # three app imports at once on a loaded 2-core machine (180 s was too short at load 19)


def _request(port: int, method: str, path: str, *, body: bytes = b"", headers: dict | None = None) -> tuple:
    """One request on a new connection (so that the kernel may hand it to either worker)."""
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=60)
    try:
        connection.request(method, path, body=body or None, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _values(port: int, token: str) -> set[float]:
    status, _, body = _request(port, "GET", READ, headers={"Authorization": f"Bearer {token}"})
    assert status == 200, body[:300]
    return {item["value"] for item in json.loads(body)["items"]}


def _serve(workspace: Path, port: int, *more: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "bettercities.cli.main", "serve", "--workspace", str(workspace)]
    return subprocess.Popen(  # a process group of its own: the teardown ends the workers with it
        [*command, "--port", str(port), *more],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _wait_until_up(process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode()[-2000:]  # type: ignore[union-attr]
        try:
            if _request(port, "GET", "/api/cities")[0] == 200:
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"the server on port {port} did not start within {STARTUP_SECONDS} s")


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, int, str, subprocess.Popen]]:
    """Ports of ``serve --workers 2`` and of a second ``serve`` on one SQLite workspace, a write token."""
    workspace = Workspace.init(Path(tmp_path_factory.mktemp("workers")) / "ws")
    build_city(workspace)
    with workspace.database.session() as session:
        spec = DatasetSpec(
            code="green", title_de="Grün", title_en="Green", publisher="Testville", indicators=["green_space"]
        )
        catalog.add_dataset(session, areas.get_city(session, "testville"), spec)
    add_user(workspace, "ann", {"testville": "city_admin"})
    token = issue_token(workspace, "ann", write=True)
    workspace.close()
    pair, single = free_port(), free_port()
    processes = [_serve(workspace.path, pair, "--workers", "2"), _serve(workspace.path, single)]
    try:
        for process, port in zip(processes, (pair, single), strict=True):
            _wait_until_up(process, port)
        yield pair, single, token, processes[0]
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def test_an_import_through_one_process_is_read_through_the_others(servers: tuple) -> None:
    pair, single, token, _ = servers
    before = _values(single, token)
    for _ in range(6):  # new connections: both workers of the pair cache the values
        assert _values(pair, token) == before
    status, headers, _ = _request(pair, "GET", READ, headers={"Authorization": f"Bearer {token}"})
    old_etag = headers["etag"]

    rows = "".join(
        f"{code},42.5\n" for code in ("0101", "0102", "0103", "0104", "0201", "0202", "0203", "0204")
    )
    boundary = "bettercities-test"
    form = [("level", "planning_area"), ("period", "2022")]
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in form]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="green.csv"\r\n'
        f"Content-Type: text/csv\r\n\r\nid,green_space\n{rows}\r\n--{boundary}--\r\n"
    )
    status, _, body = _request(
        single,
        "POST",
        "/api/cities/testville/datasets/green/observations",
        body="".join(parts).encode(),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    assert status == 201, body[:500]

    for _ in range(6):  # whichever worker answers: the new values
        assert _values(pair, token) == {42.5}
    status, headers, _ = _request(
        pair, "GET", READ, headers={"Authorization": f"Bearer {token}", "If-None-Match": old_etag}
    )
    assert status == 200 and headers["etag"] != old_etag


def test_sigterm_stops_the_workers_gracefully(servers: tuple) -> None:
    _, _, _, pair = servers
    pair.send_signal(signal.SIGTERM)
    assert pair.wait(timeout=60) == 0
    log = pair.stderr.read().decode()
    assert log.count("Finished server process") == 2, log[-2000:]
