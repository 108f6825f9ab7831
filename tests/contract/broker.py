"""Verifying from a Pact Broker instead of the committed files (``make pact-verify-broker``).

With ``PACT_BROKER_BASE_URL`` set (and ``PACT_BROKER_TOKEN``, which the verifier reads itself), the
provider tests fetch the pacts with the consumer version selectors Pact recommends (the main
branch, the matching branch, whatever is deployed or released), with pending and work-in-progress
pacts enabled, and publish their results under the git commit and branch. Without it they verify
the committed files, as ``make test`` does.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from pact import Verifier

WIP_SINCE = "2026-12-01"
"""Work-in-progress pacts published since this date are verified too (as pending)."""


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], check=True, capture_output=True, text=True, cwd=Path(__file__).parent
    ).stdout.strip()


def version() -> str:
    """This build's version for the broker: the git commit (``GIT_COMMIT`` overrides)."""
    return os.environ.get("GIT_COMMIT") or git("rev-parse", "HEAD")


def branch() -> str:
    return os.environ.get("GIT_BRANCH") or git("rev-parse", "--abbrev-ref", "HEAD")


def add_sources(checked: Verifier, pacts: list[Path]) -> Verifier:
    if not os.environ.get("PACT_BROKER_BASE_URL"):
        for pact in pacts:
            checked.add_source(pact)
        return checked
    (
        checked.broker_source(selector=True)
        .consumer_version(main_branch=True)
        .consumer_version(matching_branch=True)
        .consumer_version(deployed_or_released=True)
        .include_pending()
        .include_wip_since(WIP_SINCE)
        .provider_branch(branch())
        .build()
    )
    return checked.set_publish_options(version=version(), branch=branch())
