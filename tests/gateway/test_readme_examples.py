"""The README's GraphQL examples are valid against the schema (docs that match the code)."""

from __future__ import annotations

import re
from pathlib import Path

from graphql import parse, validate

from gateway.schema import build_schema

README = Path(__file__).parents[2] / "README.md"


def test_every_graphql_example_in_the_readme_validates() -> None:
    blocks = re.findall(r"```graphql\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "the README shows GraphQL examples"
    schema = build_schema()._schema
    for block in blocks:
        errors = validate(schema, parse(block.replace('"…"', '"x"')))
        assert errors == [], f"{errors} in:\n{block}"
