"""python-hcl2 in the validators' virtualenv: parse every .tf file under a folder, print JSON
``{path: parsed}`` (or ``{"error": ...}`` naming the file that does not parse)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import hcl2


def main(folder: str) -> int:
    parsed = {}
    for path in sorted(Path(folder).rglob("*.tf")):
        try:
            with path.open() as handle:
                parsed[str(path.relative_to(folder))] = hcl2.load(handle)
        except Exception as exc:  # the parser's errors have no common base class
            print(json.dumps({"error": f"{path}: {exc}"}))
            return 0
    print(json.dumps(parsed, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
