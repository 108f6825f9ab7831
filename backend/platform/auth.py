"""The backend's HTTP API is internal: a service credential on every ``/api`` request.

Callers (the gateway, and modules reading each other on a cache miss) send
``Authorization: Bearer <MALLBOTS_INTERNAL_TOKEN>``. The gateway adds the end user's principal,
verified by it and signed with the same credential (:mod:`backend.platform.principal`); the
module handlers check ownership against it again (:func:`principal`), so a request that reaches
the backend without passing the gateway can read nobody's data.
"""

from __future__ import annotations

import hmac
import time
from collections import OrderedDict
from contextvars import ContextVar

from starlette.types import ASGIApp, Receive, Scope, Send

from backend.platform.errors import DomainError, Forbidden, Unauthenticated
from backend.platform.http import error_response
from backend.platform.principal import (
    PRINCIPAL_HEADER,
    SERVICE,
    InvalidPrincipal,
    Principal,
    received,
)

_CACHE_SIZE = 4096


class ServiceAuth:
    """ASGI middleware: refuses ``/api`` requests without the service credential and puts the
    forwarded principal into ``scope["state"]["principal"]``."""

    def __init__(self, app: ASGIApp, internal_token: str | None) -> None:
        self.app = app
        self.expected = f"Bearer {internal_token}".encode() if internal_token else None
        self.internal_token = internal_token or ""
        self._principals: OrderedDict[bytes, tuple[Principal, float]] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        try:
            principal = self._authenticate(scope)
        except DomainError as error:
            await error_response(error)(scope, receive, send)
            return
        token = _current.set(principal)
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(token)

    def _authenticate(self, scope: Scope) -> Principal:
        credential = forwarded = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                credential = value
            elif name == PRINCIPAL_HEADER.encode():
                forwarded = value
        if self.expected is None:
            raise Unauthenticated("the backend has no MALLBOTS_INTERNAL_TOKEN: it serves no one")
        if credential is None or not hmac.compare_digest(credential, self.expected):
            raise Unauthenticated("a service credential is required")
        if forwarded is None:
            return SERVICE
        return self._principal(forwarded)

    def _principal(self, forwarded: bytes) -> Principal:
        """The forwarded principal; remembered until it expires, since the gateway reuses each
        header for many requests and checking a signature costs more than the request."""
        cached = self._principals.get(forwarded)
        if cached is not None and cached[1] > time.time():
            self._principals.move_to_end(forwarded)
            return cached[0]
        try:
            principal, expires = received(forwarded.decode("latin-1"), self.internal_token)
        except InvalidPrincipal as exc:
            raise Unauthenticated(f"the forwarded principal is invalid: {exc}") from None
        self._principals[forwarded] = (principal, expires)
        if len(self._principals) > _CACHE_SIZE:
            self._principals.popitem(last=False)
        return principal


_current: ContextVar[Principal] = ContextVar("principal", default=SERVICE)


def current_principal() -> Principal:
    """Who the code runs for: the HTTP request's principal, or ``service`` for the module's own
    work (message handlers, projections), which acts for no end user."""
    return _current.get()


def require_role(*roles: str) -> Principal:
    """The current principal, if it has one of ``roles`` (privileged principals have all)."""
    who = current_principal()
    if not (who.privileged or who.role in roles):
        raise Forbidden("you are not allowed to do this")
    return who


def require_customer(customer_id: object) -> Principal:
    """The current principal, if it may act for ``customer_id``."""
    who = current_principal()
    if not who.is_customer(customer_id):
        raise Forbidden("you are not allowed to act for this customer")
    return who


def require_manager(store_id: object) -> Principal:
    """The current principal, if it manages the store."""
    who = current_principal()
    if not who.manages(store_id):
        raise Forbidden("you do not manage this store")
    return who


def require_bot(bot_id: object) -> Principal:
    """The current principal, if it is that bot."""
    who = current_principal()
    if not who.is_bot(bot_id):
        raise Forbidden("you are not this bot")
    return who
