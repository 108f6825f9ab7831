"""Where the pacts live, and the check that the committed ones are what the consumer tests write.

Consumer tests write each pact into a temporary folder and compare it with the committed file in
``tests/contract/pacts/``: a difference fails the test (the committed pact is stale). Run the
consumer tests with ``MALLBOTS_UPDATE_PACTS=1`` to write the committed files instead, then review
the diff and commit it. The provider tests verify the committed files.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from pact import Pact

PACTS = Path(__file__).parent / "pacts"
UPDATE = os.environ.get("MALLBOTS_UPDATE_PACTS") == "1"


def participant(module: str) -> str:
    """The Pact participant name of a backend module (one deployable: its API and messages)."""
    return f"{module}-api"


def new_pact(consumer: str, provider: str) -> Pact:
    return Pact(consumer, provider).with_specification("V4")


def file_name(consumer: str, provider: str) -> str:
    return f"{consumer}-{provider}.json"


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def write_and_compare(scratch: Path, *pacts: Pact) -> Path:
    """Write ``pacts`` (of one consumer and provider: the first replaces the file, the others
    merge into it); fail if the committed file differs (unless updating). The committed path."""
    committed = PACTS / file_name(pacts[0].consumer, pacts[0].provider)
    folder = PACTS if UPDATE else scratch
    for index, pact in enumerate(pacts):
        pact.write_file(folder, overwrite=index == 0)
    if UPDATE:
        return committed
    written = load(scratch / committed.name)
    assert committed.exists(), (
        f"{committed.name} is not committed: run the consumer tests with MALLBOTS_UPDATE_PACTS=1"
    )
    assert load(committed) == written, (
        f"{committed.name} is stale: the consumer tests now write a different pact; run them with"
        " MALLBOTS_UPDATE_PACTS=1, review the diff and commit it"
    )
    return committed


def committed_pacts(provider: str) -> list[Path]:
    """The committed pacts in which ``provider`` is the provider."""
    return sorted(p for p in PACTS.glob("*.json") if load(p)["provider"]["name"] == provider)


def plain_output(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)
