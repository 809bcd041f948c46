"""Fixtures of the browser tests."""

import pytest

from tests.support import LiveServer, make_app


@pytest.fixture
def server(tmp_path):
    """A live server whose phones back off quickly (0.4 s base) so retries fit in a test."""
    live = LiveServer(make_app(tmp_path, PWA_BACKOFF_BASE_MS=400))
    live.thread.start()
    yield live
    live.server.shutdown()
