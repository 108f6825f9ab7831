"""Credentials of the test stacks: the development secret, the service credential, and bearer
headers for any role."""

from __future__ import annotations

from collections.abc import Iterable

from backend.platform.principal import PRINCIPAL_HEADER, Principal, forward
from gateway.auth import TokenSettings, mint

JWT_SECRET = "test-jwt-secret-of-at-least-32-bytes!"
INTERNAL_TOKEN = "test-internal-token-of-at-least-32-bytes"
TOKENS = TokenSettings(secret=JWT_SECRET)


def principal(
    role: str,
    *,
    customer_id: str | None = None,
    store_ids: Iterable[str] = (),
    bot_id: str | None = None,
) -> Principal:
    return Principal.from_claims(
        {
            "role": role,
            "sub": f"test-{role}-{customer_id or bot_id or ''}",
            **({"customer_id": customer_id} if customer_id else {}),
            **({"store_ids": list(store_ids)} if store_ids else {}),
            **({"bot_id": bot_id} if bot_id else {}),
        }
    )


def token(
    role: str,
    *,
    customer_id: str | None = None,
    store_ids: Iterable[str] = (),
    bot_id: str | None = None,
) -> str:
    """A bearer token for the test gateway."""
    who = principal(role, customer_id=customer_id, store_ids=store_ids, bot_id=bot_id)
    return mint(JWT_SECRET, who)


def auth_headers(
    role: str,
    *,
    customer_id: str | None = None,
    store_ids: Iterable[str] = (),
    bot_id: str | None = None,
) -> dict[str, str]:
    """``Authorization: Bearer …`` for the test gateway."""
    bearer = token(role, customer_id=customer_id, store_ids=store_ids, bot_id=bot_id)
    return {"Authorization": f"Bearer {bearer}"}


ADMIN = auth_headers("admin")


def backend_headers(who: Principal | None = None) -> dict[str, str]:
    """What the gateway sends the test backend: the service credential, and ``who`` forwarded
    (without ``who``, the request acts as another module would)."""
    headers = {"authorization": f"Bearer {INTERNAL_TOKEN}"}
    if who is not None:
        headers[PRINCIPAL_HEADER] = forward(who, INTERNAL_TOKEN)
    return headers
