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


def test_apps_share_the_routers_include_and_each_serves_its_own_workspace(tmp_path: Path) -> None:
    """The domain routers are included once per process (FastAPI builds an include's route state lazily and
    keeps it on the include): two apps hold the same include objects, an app adding a route of its own does
    not add it to the other, and each app answers from its own workspace."""
    from fastapi.testclient import TestClient

    from bettercities.areas import service as areas
    from bettercities.areas.schemas import CitySpec
    from bettercities.web.app import _domain_routes

    first_ws, second_ws = Workspace.init(tmp_path / "a"), Workspace.init(tmp_path / "b")
    try:
        with first_ws.database.session() as session:
            areas.create_city(session, CitySpec(slug="aachen", name="Aachen", country="DE"))
        first, second = create_app(first_ws), create_app(second_ws)
        shared = _domain_routes()
        assert all(any(r is s for r in first.router.routes) for s in shared)
        assert all(any(r is s for r in second.router.routes) for s in shared)

        @second.get("/api/route-of-the-second-app")
        def extra() -> dict[str, str]:
            return {}

        assert not any(getattr(r, "path", "") == "/api/route-of-the-second-app" for r in first.routes)
        with TestClient(first) as one, TestClient(second) as two:
            assert [c["slug"] for c in one.get("/api/cities").json()["items"]] == ["aachen"]
            assert two.get("/api/cities").json()["items"] == []
            assert two.get("/api/route-of-the-second-app").status_code == 200
            assert one.get("/api/route-of-the-second-app").status_code == 404
    finally:
        first_ws.close()
        second_ws.close()
