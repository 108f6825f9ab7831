"""Awkward values for the fuzz tests, by the type a field declares (GraphQL or JSON Schema).

Each strategy mixes values that should pass (real ids, plain text, money) with the values that
broke servers before: NUL bytes, lone surrogates, long and huge text, path tricks, numbers
beyond every range, non-finite money, wrong types.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("MALLBOTS_FUZZ_EXAMPLES", "6"))
"""Examples per operation: a few by default (the whole sweep stays well under a minute);
``MALLBOTS_FUZZ_EXAMPLES=500 make test`` or a pytest run with it searches much harder."""

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=EXAMPLES <= 20,  # the default run is the same every time
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

SERVER_FAILURES = frozenset(
    {"INTERNAL_SERVER_ERROR", "INTERNAL_ERROR", "BACKEND_UNAVAILABLE", "BACKEND_ERROR"}
)
"""Codes that mean a server, not the input, is at fault."""

NASTY_TEXT: Sequence[str] = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "\udfff tail",
    "\u202e\u0301",
    "💥" * 50,
    "x" * 201,
    "x" * 1001,
    "k" * 70_000,
    "../stores/x",
    "%2e%2e%2f",
    "a/b",
    "?ids=1",
    "'; DROP TABLE events; --",
    "null",
    "NaN",
    "-1",
    "1e1000",
    "00000000-0000-0000-0000-00000000000g",
    str(uuid.UUID(int=0)),
)

NASTY_DECIMALS: Sequence[Any] = (
    "NaN", "Infinity", "-Infinity", "1e1000", "-1", "-0.01", "0", "0.001", "1.005", "2.50",
    "9999999999.99", "10000000000", "1" * 101, "", "abc", 1.5, 10**30, True,
)  # fmt: skip

NASTY_INTS: Sequence[Any] = (
    0, -1, 1, 2, 100, 101, 10_000, 2**31 - 1, -(2**31), 2**31, 2**63, -(2**63) - 1, 1.5, "1", None,
)  # fmt: skip


def text(known: Sequence[str] = ()) -> st.SearchStrategy[str]:
    """Any awkward text, ``known`` good values among it."""
    options = [st.sampled_from(NASTY_TEXT), st.text(max_size=40)]
    if known:
        options.append(st.sampled_from(list(known)))
    return st.one_of(*options)


def ids(known: Sequence[str] = ()) -> st.SearchStrategy[str]:
    """Ids: real ones, fresh UUIDs, and awkward text."""
    fresh = st.uuids().map(str)
    good = st.sampled_from(list(known)) if known else fresh
    return st.one_of(good, good, fresh, st.sampled_from(NASTY_TEXT))


def decimals() -> st.SearchStrategy[Any]:
    good = st.decimals(min_value=0, max_value=10_000, places=2).map(str)
    return st.one_of(good, st.sampled_from(NASTY_DECIMALS))


def ints() -> st.SearchStrategy[Any]:
    return st.one_of(st.integers(min_value=-5, max_value=200), st.sampled_from(NASTY_INTS))


def wrong_type() -> st.SearchStrategy[Any]:
    """A JSON value of some other type than expected."""
    return st.sampled_from([None, True, 0, -1, 1.5, "", "x", [], [1, "a"], {}, {"a": None}])
