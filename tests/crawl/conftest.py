"""What the crawl tests share: a scriptable news site on loopback, one per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.crawl.site import LocalNewsSite


@pytest.fixture
def site() -> Iterator[LocalNewsSite]:
    test_site = LocalNewsSite().start()
    yield test_site
    test_site.stop()
