"""The access crawl of ``test_access_crawl.py`` on PostgreSQL, as the anonymous visitor and A's viewer.

The same routes on the same two cities; only the backend differs. Who may see what is decided in Python
(``access.policy`` and the publication step) before and after the queries, the same on both backends; what a
backend can change is what the queries return. So this crawl reads every route as the widest audience that
must not see the marker (the anonymous visitor: the published view) and as one that must (A's viewer, so the
test can fail), and leaves out the variants that only change rendering (``lang=en``: number formatting is
the web layer's). The signed-in steward of B and its token are crawled on SQLite (``test_access_crawl.py``).

It is a file of its own because ``make test`` hands whole files to the workers (``--dist loadfile``): the two
backends' crawls then run side by side instead of one after the other on one worker.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.served import BACKENDS
from tests.web.test_access_crawl import (
    CrawlResult,
    build_crawl,
    test_a_viewer_of_a_sees_the_marker,
    test_a_viewer_of_a_sees_the_restricted_metadata,
    test_every_path_parameter_is_known,
    test_no_server_errors,
    test_the_crawl_reaches_the_pages,
)

pytestmark = pytest.mark.slow

__all__ = [
    "test_a_viewer_of_a_sees_the_marker",
    "test_a_viewer_of_a_sees_the_restricted_metadata",
    "test_every_path_parameter_is_known",
    "test_no_server_errors",
    "test_the_crawl_reaches_the_pages",
]


@pytest.fixture(scope="module", params=BACKENDS[1:])
def crawled(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CrawlResult]:
    yield from build_crawl(
        request, tmp_path_factory, principals=("anonymous", "A's viewer"), skip=frozenset({"lang"})
    )


def test_the_marker_never_reaches_the_public(crawled: CrawlResult) -> None:
    leaks = [f"{v.url} [{v.status}]: …{v.excerpt}…" for v in crawled.with_marker("anonymous")]
    assert not leaks, "city A's restricted value reached the anonymous visitor:\n" + "\n".join(leaks)


def test_restricted_metadata_never_reach_the_public(crawled: CrawlResult) -> None:
    leaks = [f"{v.url} [{v.status}]: …{v.metadata}…" for v in crawled.with_metadata("anonymous")]
    assert not leaks, "city A's restricted dataset metadata reached the public:\n" + "\n".join(leaks)
