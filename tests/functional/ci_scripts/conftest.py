"""The tests of scripts/ci: a local HTTP server standing in for GitHub's REST API or the API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.http_stand_in import Recorder, serve


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[tuple[str, Recorder]]:
    with serve(request.param) as running:
        yield running
