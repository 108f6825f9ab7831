"""Helm and kubernetes-validate in the validators' own virtualenv (.tools/deploy/validators).

Run by tests/deploy with that virtualenv's Python; prints one JSON document on stdout:

    chart_tool.py lint CHART
    chart_tool.py render CHART VALUES_JSON OUT_DIR [API_VERSIONS]   (one file per manifest)
    chart_tool.py validate KUBE_VERSION FILE...      (``latest`` = the newest schema it has)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml


def lint(chart: str) -> dict[str, Any]:
    import helm_python

    report: dict[str, Any] = helm_python.lint(chart, strict=True)
    return report


def render(chart: str, values_json: str, out_dir: str, api_versions: str = "") -> dict[str, Any]:
    """``API_VERSIONS`` (comma-separated, e.g. ``monitoring.coreos.com/v1/ServiceMonitor``): the
    APIs the cluster would have beyond the built-in ones, as ``helm template --api-versions``."""
    import helm_python
    from helm_python import _native

    # Chart.render (helm-python-sdk 0.2.2) does not pass api_versions, but the library's render
    # options take them: the same call as Chart.render, with that option added.
    options: dict[str, Any] = {"name": "shop", "namespace": "mallbots", "is_install": True}
    if api_versions:
        options["api_versions"] = api_versions.split(",")
    try:
        chart_handle = helm_python.Chart.load(chart)
        rendered: dict[str, str] = json.loads(
            _native.call_string(
                "helm_render", chart_handle._raw(), values_json, json.dumps(options)
            )
        )
    except helm_python.HelmError as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    out = Path(out_dir)
    files: dict[str, list[str]] = {}
    notes = ""
    for template, text in sorted(rendered.items()):
        if template.endswith("NOTES.txt"):
            notes = text
            continue
        for index, document in enumerate(d for d in yaml.safe_load_all(text) if d):
            path = out / f"{Path(template).stem}-{index:02d}.yaml"
            path.write_text(yaml.safe_dump(document, sort_keys=False))
            files.setdefault(template, []).append(str(path))
    return {"files": files, "notes": notes}


def validate(kube_version: str, paths: list[str]) -> dict[str, Any]:
    import kubernetes_validate

    version = kubernetes_validate.latest_version() if kube_version == "latest" else kube_version
    failures: dict[str, str] = {}
    no_schema: dict[str, str] = {}
    for path in paths:
        document = yaml.safe_load(Path(path).read_text())
        try:
            kubernetes_validate.validate(document, version, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            no_schema[path] = f"{document['apiVersion']}/{document['kind']}"
        except kubernetes_validate.ValidationError as exc:
            failures[path] = f"{exc.message} at {list(exc.path)}"
    return {"version": version, "failures": failures, "no_schema": no_schema}


def main(argv: list[str]) -> int:
    command, *args = argv
    if command == "lint":
        result = lint(*args)
    elif command == "render":
        result = render(*args)
    elif command == "validate":
        result = validate(args[0], args[1:])
    else:
        raise SystemExit(f"unknown command {command!r}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
