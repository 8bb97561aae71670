"""The OpenAPI document is built once per process for the same routes (FastAPI takes ~4 s for ~150
paths), each app gets its own copy, and an app with other routes gets its own document."""

from __future__ import annotations

from pathlib import Path

from bettercities.storage.workspace import Workspace
from bettercities.web import create_app
from bettercities.web.app import _OPENAPI


def test_one_document_per_route_set_and_a_copy_per_app(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    try:
        first, second = create_app(ws), create_app(ws)
        document = first.openapi()
        built = len(_OPENAPI)
        assert second.openapi() == document and second.openapi() is not document
        assert len(_OPENAPI) == built  # the second app reused the first's
        document["info"]["title"] = "edited by a caller"
        assert second.openapi()["info"]["title"] == "bettercities"

        third = create_app(ws)

        @third.get("/api/extra-route-of-this-app")
        def extra() -> dict[str, str]:
            return {}

        assert "/api/extra-route-of-this-app" in third.openapi()["paths"]
        assert "/api/extra-route-of-this-app" not in second.openapi()["paths"]
    finally:
        ws.close()
