"""The web client's component and client tests (Vitest, in gateway/web), run by pytest so that
`make test` fails when they fail."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from tests.web.conftest import WEB


@pytest.mark.timeout(300)
async def test_vitest_component_and_client_tests_pass(web_build: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        "npm", "test", "--silent", "--", "--reporter=dot",
        cwd=WEB, env={**os.environ, "CI": "1", "NO_COLOR": "1"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate()
    text = output.decode(errors="replace")
    assert process.returncode == 0, text
    assert " passed" in text and " failed" not in text, text
