"""The deployment validators, run from their own virtualenvs under .tools/deploy.

``make test`` installs them first (mk/deploy.mk, pinned by tools/deploy/*.txt); ``make
deploy-tools`` installs only them. A missing tool fails the test with that hint, never skips it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".tools" / "deploy"
CHART = ROOT / "helm" / "mallbots"
CHART_TOOL = Path(__file__).with_name("chart_tool.py")


def tool(venv: str, name: str) -> Path:
    path = TOOLS / venv / "bin" / name
    assert path.exists(), f"{path} is missing: run `make deploy-tools` (make test does)"
    return path


def run(args: list[str | Path], *, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "BC_SKIP_MAPPING": "TRUE",  # checkov: no download of its mapping from the platform
        "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
        "LOG_LEVEL": "WARNING",
        "PACT_DO_NOT_TRACK": "true",
    }
    return subprocess.run(
        [str(a) for a in args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=ROOT,
        check=False,
    )


def chart_tool(*args: str | Path) -> Any:
    result = run([tool("validators", "python"), CHART_TOOL, *args])
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def checkov(framework: str, target: Path, skips: list[str]) -> dict[str, Any]:
    """checkov's JSON report of ``target`` (a file or a folder), offline, with ``skips``."""
    flag = "-f" if target.is_file() else "-d"
    args: list[str | Path] = [
        tool("checkov", "checkov"),
        "--framework",
        framework,
        flag,
        target,
        "--skip-download",
        "--quiet",
        "--compact",
        "--output",
        "json",
    ]
    if skips:
        args += ["--skip-check", ",".join(skips)]
    result = run(args)
    assert result.stdout.strip(), result.stderr[-3000:]
    report = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    failed = [c for r in reports for c in r.get("results", {}).get("failed_checks", [])]
    errors = sum(r.get("summary", {}).get("parsing_errors", 0) for r in reports)
    passed = sum(r.get("summary", {}).get("passed", 0) for r in reports)
    return {"failed": failed, "parsing_errors": errors, "passed": passed}


def failures(report: dict[str, Any]) -> list[str]:
    return [
        f"{c['check_id']} {c['check_name']}: {c['resource']} ({c['file_path']})"
        for c in report["failed"]
    ]


_SKIP_ROW = re.compile(r"^\|\s*`?(CKV2?_[A-Z0-9]+_\d+)`?\s*\|\s*(.+?)\s*\|", re.MULTILINE)


def documented_skips(readme: Path) -> dict[str, str]:
    """The checkov skips a README lists in its table, with their justification."""
    return dict(_SKIP_ROW.findall(readme.read_text()))


# Settings the code reads: a call whose first argument (after an ``environ`` mapping, if any)
# is a MALLBOTS_* literal (os.environ.get, env_int, env_float, helpers of the same shape),
# os.environ[...] subscripts, and the prefixes it scans with startswith.
_READ = re.compile(
    r"""[A-Za-z_][\w.]*\(\s*(?:\w*environ\w*\s*,\s*)?f?["'](MALLBOTS_[A-Z0-9_]+)"""
    r"""|environ\[\s*["'](MALLBOTS_[A-Z0-9_]+)["']\s*\]"""
    r"""|startswith\(\s*["'](MALLBOTS_[A-Z0-9_]+_)["']"""
)


@cache
def settings_read_by_code() -> frozenset[str]:
    """Every ``MALLBOTS_*`` name the backend, gateway and observability code read (a name
    ending in ``_`` is a prefix: ``MALLBOTS_DATABASE_URL_`` + a module)."""
    names: set[str] = set()
    for package in ("backend", "gateway", "observability"):
        for path in (ROOT / package).rglob("*.py"):
            for found in _READ.findall(path.read_text()):
                names.update(name for name in found if name)
    return frozenset(names)


def is_read_by_code(name: str) -> bool:
    known = settings_read_by_code()
    return name in known or any(p.endswith("_") and name.startswith(p) for p in known)
