"""The access crawl of ``test_access_crawl.py`` on PostgreSQL.

The same tests on the same two cities; only the backend differs. It is a file of its own because
``make test`` hands whole files to the workers (``--dist loadfile``): the two backends' crawls, the longest
module fixture of the suite, then run side by side instead of one after the other on one worker.
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
    test_restricted_metadata_never_reach_outsiders,
    test_the_crawl_reaches_the_pages,
    test_the_marker_never_reaches_outsiders,
)

pytestmark = pytest.mark.slow

__all__ = [
    "test_a_viewer_of_a_sees_the_marker",
    "test_a_viewer_of_a_sees_the_restricted_metadata",
    "test_every_path_parameter_is_known",
    "test_no_server_errors",
    "test_restricted_metadata_never_reach_outsiders",
    "test_the_crawl_reaches_the_pages",
    "test_the_marker_never_reaches_outsiders",
]


@pytest.fixture(scope="module", params=BACKENDS[1:])
def crawled(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CrawlResult]:
    yield from build_crawl(request, tmp_path_factory)
