"""Who is asking: the principal the gateway verified, as the backend receives it.

A shared contract of the gateway and the backend. The gateway authenticates the end user's bearer
token and forwards the resulting principal to the backend in the ``X-MallBots-Principal`` header,
as a short-lived HS256 token signed with the service credential (``MALLBOTS_INTERNAL_TOKEN``), so
a backend module can check ownership again without trusting anything a client wrote. A request
that carries the service credential but no principal header comes from another module, and acts
as ``service``.
"""

from __future__ import annotations

import functools
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import jwt

Role = Literal["anonymous", "customer", "store_manager", "bot", "admin", "service"]
ROLES: tuple[Role, ...] = ("anonymous", "customer", "store_manager", "bot", "admin", "service")

PRINCIPAL_HEADER = "x-mallbots-principal"
"""The forwarded principal (a signed token) on calls from the gateway to the backend."""

_FORWARD_TTL_SECONDS = 60
_FORWARD_AUDIENCE = "mallbots-backend"


class InvalidPrincipal(Exception):
    """A forwarded principal that is malformed, forged or expired."""


@dataclass(frozen=True)
class Principal:
    role: Role
    subject: str | None = None
    customer_id: str | None = None
    store_ids: frozenset[str] = field(default_factory=frozenset)
    bot_id: str | None = None

    @property
    def privileged(self) -> bool:
        """Admins and other modules may read and change everything."""
        return self.role in ("admin", "service")

    def is_customer(self, customer_id: object) -> bool:
        """Whether this principal may act on the customer's own things."""
        return self.privileged or (
            self.role == "customer"
            and self.customer_id is not None
            and hmac.compare_digest(self.customer_id, str(customer_id))
        )

    def manages(self, store_id: object) -> bool:
        return self.privileged or (self.role == "store_manager" and str(store_id) in self.store_ids)

    def is_bot(self, bot_id: object) -> bool:
        return self.privileged or (self.role == "bot" and self.bot_id == str(bot_id))

    def has_role(self, *roles: Role) -> bool:
        """Whether the role is one of ``roles``; a privileged principal has every role."""
        return self.privileged or self.role in roles

    @functools.cached_property
    def key(self) -> str:
        """A stable identity, for sharing work only between requests of the same principal
        (JSON: no claim's characters can make two principals' keys alike). Kept: the gateway
        asks for it several times a request, of the principal its token cache keeps."""
        fields = [self.role, self.subject, self.customer_id, sorted(self.store_ids), self.bot_id]
        return json.dumps(fields, separators=(",", ":"))

    def to_claims(self) -> dict[str, Any]:
        claims: dict[str, Any] = {"role": self.role}
        if self.subject:
            claims["sub"] = self.subject
        if self.customer_id:
            claims["customer_id"] = self.customer_id
        if self.store_ids:
            claims["store_ids"] = sorted(self.store_ids)
        if self.bot_id:
            claims["bot_id"] = self.bot_id
        return claims

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Principal:
        role = claims.get("role")
        if role not in ROLES:
            raise InvalidPrincipal(f"unknown role {role!r}")
        stores = claims.get("store_ids") or []
        if not isinstance(stores, list) or not all(isinstance(s, str) for s in stores):
            raise InvalidPrincipal("store_ids must be a list of ids")
        for name in ("sub", "customer_id", "bot_id"):
            if claims.get(name) is not None and not isinstance(claims[name], str):
                raise InvalidPrincipal(f"{name} must be a string")
        # An empty id is no id, on both sides of the forwarding (which drops empty claims): a
        # customer whose provider wrote ``customer_id: ""`` must not become one without a filter.
        return cls(
            role=role,
            subject=claims.get("sub") or None,
            customer_id=claims.get("customer_id") or None,
            store_ids=frozenset(s for s in stores if s),
            bot_id=claims.get("bot_id") or None,
        )


ANONYMOUS = Principal("anonymous")
SERVICE = Principal("service")


def forward(principal: Principal, internal_token: str) -> str:
    """The header value that carries ``principal`` to the backend."""
    claims = {
        **principal.to_claims(),
        "aud": _FORWARD_AUDIENCE,
        "exp": int(time.time()) + _FORWARD_TTL_SECONDS,
    }
    return jwt.encode(claims, internal_token, algorithm="HS256")


def received(value: str, internal_token: str) -> tuple[Principal, float]:
    """The principal of a forwarded header and when it expires (epoch seconds);
    ``InvalidPrincipal`` unless signed by us and current."""
    try:
        claims = jwt.decode(
            value,
            internal_token,
            algorithms=["HS256"],
            audience=_FORWARD_AUDIENCE,
            leeway=5,
            options={"require": ["exp", "aud"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidPrincipal(str(exc)) from None
    return Principal.from_claims(claims), float(claims["exp"])
