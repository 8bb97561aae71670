"""Loopback networking for tests: free ports and an ASGI app served by uvicorn in a background thread."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from types import TracebackType
from typing import Any

__all__ = ["ServerThread", "free_port"]

LOOPBACK = "127.0.0.1"


def free_port(host: str = LOOPBACK) -> int:
    """Return a TCP port on ``host`` that was free a moment ago.

    Another process may take it before the caller binds it; prefer handing a bound socket over (as
    `ServerThread` does) where the server accepts one.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class ServerThread:
    """Serve an ASGI app with uvicorn on 127.0.0.1 in a daemon thread, for browser and HTTP tests.

    The listening socket is bound before uvicorn starts and handed to it, so there is no window in which
    another process could take the port. `start()` returns once the app answers an HTTP request (any
    status counts; pass ``probe_path=None`` to wait only for uvicorn's own start-up).

    >>> with ServerThread(app) as server:          # doctest: +SKIP
    ...     httpx.get(server.url + "/health")
    """

    def __init__(
        self,
        app: Any,
        *,
        timeout: float = 15.0,
        probe_path: str | None = "/",
        **uvicorn_options: Any,
    ) -> None:
        self.app = app
        self.timeout = timeout
        self.probe_path = probe_path
        self._options: dict[str, Any] = {"log_level": "warning", "access_log": False, **uvicorn_options}
        self._sock: socket.socket | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.port: int = 0

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:43117``."""
        if not self.port:
            raise RuntimeError("ServerThread is not started")
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> ServerThread:
        import uvicorn  # imported here so that importing tests.support stays cheap

        if self._thread is not None:
            raise RuntimeError("ServerThread already started")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((LOOPBACK, 0))
        self._sock = sock
        self.port = sock.getsockname()[1]

        config = uvicorn.Config(self.app, host=LOOPBACK, port=self.port, **self._options)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name=f"uvicorn:{self.port}", daemon=True
        )
        self._thread.start()
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_ready(self) -> None:
        assert self._thread is not None
        deadline = time.monotonic() + self.timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"uvicorn exited during start-up on port {self.port}; see its log above")
            if time.monotonic() > deadline:
                raise TimeoutError(f"uvicorn did not start within {self.timeout} s")
            time.sleep(0.01)
        if self.probe_path is None:
            return
        while True:
            # the first request may build what the app builds lazily (the OpenAPI document and the routes'
            # state: seconds on a quiet machine, many more on a loaded one): it gets 4 times the start-up time
            conn = http.client.HTTPConnection(LOOPBACK, self.port, timeout=4 * self.timeout)
            try:
                conn.request("GET", self.probe_path)
                conn.getresponse().read()
                return
            except OSError as exc:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{self.url}{self.probe_path} did not answer: {exc}") from exc
                time.sleep(0.02)
            finally:
                conn.close()

    def stop(self) -> None:
        """Ask uvicorn to shut down gracefully, wait for the thread, then force it if it lingers."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(self.timeout)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(self.timeout)
        if self._sock is not None:
            self._sock.close()
        self._server = self._thread = self._sock = None

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
