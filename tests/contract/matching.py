"""Pact matchers shared by the HTTP and message pacts, and values injected from provider states.

An id that the provider creates during its state set-up (a store id, an order id) is written into
the pact as an example plus a ``ProviderState`` generator: the consumer test uses the example,
the verifier replaces it with the value the state handler returned under the same name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pact import generate, match
from pact.match.matcher import AbstractMatcher, GenericMatcher

UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
TIMESTAMP = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$"
MONEY = r"^-?\d+(\.\d+)?$"

EXAMPLE_IDS = {
    "store_id": "96ffe1a2-a129-46ef-b2ed-509f1dccb500",
    "product_id": "a9f1750d-769f-4895-b9ac-9da1365422da",
    "customer_id": "7c2da62a-c820-457c-9b9e-d822b757f3c4",
    "basket_id": "eb93e2b3-9027-4cc7-a46f-348f95dc29be",
    "payment_id": "d0b35410-2268-4e95-8074-abc85e2a7d67",
    "order_id": "11135300-66be-52a3-9088-84d58a3b70e6",
    "list_id": "60a555ad-5760-426e-bb5c-0638abfdb1d3",
    "bot_id": "55eae130-8698-496c-a84e-038a2c2eae39",
}
"""The example value of every name a provider state can return."""

MISSING_ID = "00000000-0000-4000-8000-000000000000"
"""An id that no provider state creates."""

OTHER_CUSTOMER_ID = "5d1c2b3a-4f5e-4d6c-8b7a-9e8f7d6c5b4a"
"""The customer a refused (403) call acts for: not the owner of anything."""

JWT = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"
EXAMPLE_PRINCIPAL = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoiYWRtaW4ifQ.c2lnbmVkLWJ5LXRoZS1nYXRld2F5"
)
"""An example forwarded principal (a signed token): the verifier sends a fresh one."""

_PLACEHOLDER = re.compile(r"\{(\w+)(?:@(\d))?\}")


def example_id(name: str, variant: int = 0) -> str:
    """The example of ``name``; another ``variant`` tells two interactions apart in the mock
    server when they send the same request in different states (a 200 and a 400, say)."""
    example = EXAMPLE_IDS[name]
    return example if variant == 0 else example[:-1] + str(variant)


@dataclass(frozen=True)
class Ref:
    """A value given by the provider state (in a request body or query)."""

    name: str
    variant: int = 0


def injected(expression: str, example: str) -> AbstractMatcher[str]:
    """``example`` for the consumer, ``expression`` (with ``${name}`` parts) for the verifier."""
    return GenericMatcher("equality", value=example, generator=generate.provider_state(expression))


def principal_header() -> AbstractMatcher[str]:
    """The gateway's ``X-MallBots-Principal``: a signed token the provider state makes afresh
    (signatures expire within a minute, so no committed example could be replayed)."""
    return GenericMatcher(
        "regex",
        value=EXAMPLE_PRINCIPAL,
        regex=JWT,
        generator=generate.provider_state("${principal}"),
    )


def credential_header(example: str) -> AbstractMatcher[str]:
    """The gateway's ``Authorization: Bearer <service credential>``; the verifier sends the
    backend's own, which the provider state hands over (see ``providers.state_app``)."""
    return GenericMatcher(
        "regex",
        value=f"Bearer {example}",
        regex=r"^Bearer \S+$",
        generator=generate.provider_state("Bearer ${credential}"),
    )


def template(path: str) -> tuple[str, str]:
    """The example and the provider-state expression of a path like ``/stores/{store_id}``
    (``{store_id@2}``: another example of the same value)."""
    example = _PLACEHOLDER.sub(lambda m: example_id(m.group(1), int(m.group(2) or 0)), path)
    expression = _PLACEHOLDER.sub(lambda m: "${" + m.group(1) + "}", path)
    return example, expression


def path_matcher(path: str) -> str | AbstractMatcher[str]:
    example, expression = template(path)
    return example if example == path else injected(expression, example)


def example_of(value: Any) -> Any:
    """What the consumer sends for a request part that may contain ``Ref``s."""
    if isinstance(value, Ref):
        return example_id(value.name, value.variant)
    if isinstance(value, dict):
        return {k: example_of(v) for k, v in value.items()}
    if isinstance(value, list):
        return [example_of(v) for v in value]
    return value


def matcher_of(value: Any) -> Any:
    """The pact's view of a request part: ``Ref``s become injected values."""
    if isinstance(value, Ref):
        return injected("${" + value.name + "}", example_id(value.name, value.variant))
    if isinstance(value, dict):
        return {k: matcher_of(v) for k, v in value.items()}
    if isinstance(value, list):
        return [matcher_of(v) for v in value]
    return value


def uuid(example: str = EXAMPLE_IDS["order_id"]) -> AbstractMatcher[str]:
    return match.regex(example, regex=UUID)


def timestamp(example: str = "2026-12-01T17:16:03.206038+00:00") -> AbstractMatcher[str]:
    return match.regex(example, regex=TIMESTAMP)


def money(example: str = "49.99") -> AbstractMatcher[str]:
    return match.regex(example, regex=MONEY)


def one_of(example: str, *values: str) -> AbstractMatcher[str]:
    """A string from a closed set (an enum the consumer maps)."""
    return match.regex(example, regex="^(" + "|".join(map(re.escape, values)) + ")$")
