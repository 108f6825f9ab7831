"""The Prometheus configuration and alert rules through promtool (Debian's prometheus package,
installed by mk/observability.mk): the config and rules check, and the rules' unit tests."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

PROMETHEUS = Path(__file__).parents[2] / "observability" / "prometheus"


@pytest.fixture(scope="module")
def promtool() -> str:
    found = shutil.which("promtool")
    assert found, "promtool is missing: `make test` installs it (mk/observability.mk)"
    return found


def run(promtool: str, *args: str) -> str:
    done = subprocess.run(
        [promtool, *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def test_the_prometheus_config_and_its_rules_are_valid(promtool: str) -> None:
    output = run(promtool, "check", "config", "prometheus.yml")
    assert "rules found" in output


def test_the_alert_rules_pass_their_unit_tests(promtool: str) -> None:
    tests = sorted(str(p.relative_to(PROMETHEUS)) for p in (PROMETHEUS / "tests").glob("*.yml"))
    assert tests
    assert "SUCCESS" in run(promtool, "test", "rules", *tests)
