"""The web client's tests need its build (``make web``, a prerequisite of ``make test``)."""

from __future__ import annotations

from pathlib import Path

import pytest

WEB = Path(__file__).parents[2] / "gateway" / "web"
DIST = WEB / "dist"


@pytest.fixture(scope="session")
def web_build() -> Path:
    """The built web client; fails (never skips) when it is missing."""
    if not (DIST / "index.html").is_file() or not (WEB / "node_modules").is_dir():
        pytest.fail("the web client is not built: run `make web` (make test does)")
    return DIST
