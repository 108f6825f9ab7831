"""Rendered chart manifests, once per set of values for the whole session."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import pytest
import yaml

from tests.deploy.tools import CHART, chart_tool


class Rendered:
    """The manifests of one ``helm template``-like rendering, parsed."""

    def __init__(self, folder: Path, result: dict[str, Any]) -> None:
        self.folder = folder
        self.notes: str = result["notes"]
        self.files = [Path(p) for paths in result["files"].values() for p in paths]
        self.documents = [yaml.safe_load(p.read_text()) for p in self.files]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [d for d in self.documents if d["kind"] == kind]

    def named(self, kind: str, name: str) -> dict[str, Any]:
        found = [d for d in self.of_kind(kind) if d["metadata"]["name"] == name]
        assert len(found) == 1, (
            f"{kind} {name}: {[d['metadata']['name'] for d in self.of_kind(kind)]}"
        )
        return found[0]


class Render(Protocol):
    """Render the chart with these values; ``api_versions``: the APIs the cluster serves beyond
    the built-in ones (``helm template --api-versions``), e.g. the Prometheus Operator's."""

    def __call__(self, values: dict[str, Any], api_versions: Sequence[str] = ()) -> Rendered: ...


@pytest.fixture(scope="session")
def render(tmp_path_factory: pytest.TempPathFactory) -> Render:
    cache: dict[tuple[str, str], Rendered] = {}

    def rendered(values: dict[str, Any], api_versions: Sequence[str] = ()) -> Rendered:
        key = json.dumps(values, sort_keys=True)
        apis = ",".join(sorted(api_versions))
        if (key, apis) not in cache:
            folder = tmp_path_factory.mktemp("chart")
            result = chart_tool("render", CHART, key, folder, apis)
            assert "error" not in result, result.get("error")
            cache[key, apis] = Rendered(folder, result)
        return cache[key, apis]

    return rendered


def render_error(values: dict[str, Any], folder: Path) -> str:
    """The error of a rendering that must fail (a value the schema refuses)."""
    result = chart_tool("render", CHART, json.dumps(values), folder)
    assert "error" in result, "rendered, but should have been refused"
    return str(result["error"])
