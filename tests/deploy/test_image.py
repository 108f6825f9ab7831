"""The Dockerfile: hadolint and checkov clean, and what neither checks (no Docker engine here)."""

from __future__ import annotations

import re

from tests.deploy.tools import ROOT, checkov, failures, run, tool

DOCKERFILE = ROOT / "Dockerfile"


def stages() -> list[str]:
    """The Dockerfile's stages, each from its FROM line to the next."""
    return re.split(r"(?m)^(?=FROM )", DOCKERFILE.read_text())[1:]


def test_hadolint_finds_nothing_at_warning_level() -> None:
    result = run([tool("validators", "hadolint"), "--failure-threshold", "warning", DOCKERFILE])
    assert result.returncode == 0, result.stdout + result.stderr


def test_checkov_dockerfile_checks_pass() -> None:
    report = checkov("dockerfile", DOCKERFILE, [])
    assert report["passed"] > 0
    assert report["parsing_errors"] == 0
    assert failures(report) == []


def test_multi_stage_on_pinned_slim_bases() -> None:
    found = stages()
    assert len(found) >= 3
    images = [stage.split()[1] for stage in found]
    assert images[-1] == images[-2], "build and runtime stages on the same Python"
    assert re.fullmatch(r"python:3\.\d+\.\d+-slim-\w+", images[-1]), images[-1]
    assert re.fullmatch(r"node:\d+\.\d+\.\d+-\w+-slim", images[0]), images[0]


def test_the_final_stage_runs_as_a_user_with_no_build_tools() -> None:
    final = stages()[-1]
    assert re.search(r"(?m)^USER 10001", final)
    assert "HEALTHCHECK" in final
    assert 'ENTRYPOINT ["mallbots"]' in final
    assert not re.search(r"apt-get|gcc|build-essential|pip install", final)
    assert "COPY --from=build /opt/mallbots /opt/mallbots" in final
    for label in ("title", "version", "revision", "source", "licenses"):
        assert f"org.opencontainers.image.{label}=" in final


def test_dependencies_come_from_the_constraints() -> None:
    build = stages()[-2]
    assert "COPY constraints.txt" in build
    assert "-c constraints.txt ." in build


def test_the_build_context_is_an_allow_list() -> None:
    lines = (ROOT / ".dockerignore").read_text().split()
    assert lines[lines.index("*")] == "*"  # everything is excluded first
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    assert allowed <= {
        "constraints.txt",
        "pyproject.toml",
        "README.md",
        "LICENSE",
        "backend",
        "gateway",
        "observability",
    }
    copied = set(re.findall(r"(?m)^COPY (?!--from)(.+) \S+$", DOCKERFILE.read_text()))
    sources = {s.split("/")[0] for line in copied for s in line.split()}
    assert sources <= allowed, sources - allowed
    assert "**/node_modules" in lines


def test_every_package_the_code_imports_is_installed_into_the_image() -> None:
    """The image installs the distribution (not the source tree): each top-level package the
    backend and gateway import must be one pyproject.toml packages."""
    include = re.search(r"include = \[(.*?)\]", (ROOT / "pyproject.toml").read_text())
    assert include is not None
    patterns = {p.strip().strip('"').rstrip("*") for p in include.group(1).split(",")}
    ours = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists() and p.name != "tests"}
    imported = set()
    for package in ("backend", "gateway"):
        for path in (ROOT / package).rglob("*.py"):
            imported |= set(re.findall(r"(?m)^\s*(?:from|import) (\w+)", path.read_text()))
    assert imported & ours <= patterns, (imported & ours) - patterns
