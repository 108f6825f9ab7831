"""Bearer-token authentication at the gateway: who a request is, from its JWT.

PyJWT verifies the tokens: it is small, widely used, and has both what development needs
(HS256 with a shared secret) and what production needs (RS256/ES256 keys from the identity
provider's JWKS, through :class:`jwt.PyJWKClient`). The claims that carry the role and the ids
sit under a configurable namespace claim (``MALLBOTS_JWT_CLAIMS_NAMESPACE``, as Hasura does), so
an identity provider can add them to its tokens without clashing with its own claims::

    {"sub": "auth0|42", "exp": ..., "https://mallbots.dev/claims":
        {"role": "customer", "customer_id": "6f1c..."}}

A customer token without ``customer_id`` (an identity provider's user who has not registered
yet) acts for the customer id derived from its issuer and subject (:func:`customer_id_for`):
``registerCustomer`` with such a token creates that customer, and later tokens of the same user
find it again.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import jwt

from backend.platform.principal import ANONYMOUS, InvalidPrincipal, Principal

DEFAULT_NAMESPACE = "https://mallbots.dev/claims"
DEV_ISSUER = "mallbots-dev"
DEV_AUDIENCE = "mallbots"
_CUSTOMER_IDS = uuid.UUID("9b4b9d1e-5a43-4d8f-9a57-0d8a4f3c2b10")
_CACHE_SIZE = 10_000


class AuthenticationFailed(Exception):
    """A bearer token that is malformed, forged, expired or not for us."""


@dataclass(frozen=True)
class TokenSettings:
    secret: str | None = None
    """HS256 shared secret (development)."""
    jwks_url: str | None = None
    """The identity provider's JWKS (production: RS256/ES256)."""
    issuer: str | None = None
    audience: str | None = None
    algorithms: tuple[str, ...] = ("HS256", "RS256", "ES256")
    namespace: str = DEFAULT_NAMESPACE
    leeway_seconds: float = 30.0
    jwks_cooldown_seconds: float = 10.0
    """The least time between two fetches forced by unknown ``kid``s (so forged tokens cannot
    make the gateway hammer the identity provider)."""
    jwks_lifespan_seconds: float = 300.0
    """How long a fetched key set is used before it is fetched again (a key the provider
    withdraws stops verifying new tokens within this time)."""


def customer_id_for(issuer: str | None, subject: str) -> str:
    """The customer id of an identity provider's user whose token names none."""
    return str(uuid.uuid5(_CUSTOMER_IDS, f"{issuer or ''}|{subject}"))


class Authenticator:
    """Verifies bearer tokens; remembers verified ones until they expire."""

    def __init__(self, settings: TokenSettings) -> None:
        self.settings = settings
        self._jwks = (
            jwt.PyJWKClient(
                settings.jwks_url,
                lifespan=settings.jwks_lifespan_seconds,
                timeout=5,
                cooldown_duration=settings.jwks_cooldown_seconds,
            )
            if settings.jwks_url
            else None
        )
        self._keys: dict[str, tuple[jwt.PyJWK, float]] = {}
        """The last key fetched for each ``kid``, and when to fetch it again."""
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    async def principal(self, authorization: str | None) -> Principal:
        """The principal of an ``Authorization`` header value (``Bearer <jwt>``), or anonymous
        without one."""
        return (await self.session(authorization))[0]

    async def session(self, authorization: str | None) -> tuple[Principal, float]:
        """The principal of an ``Authorization`` header value, and until when (epoch seconds:
        the token's ``exp`` plus the leeway) it may act; anonymous, for ever, without one."""
        if not authorization:
            return ANONYMOUS, math.inf
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationFailed("the Authorization header must be `Bearer <token>`")
        principal, exp = await self._verified_token(token.strip())
        return principal, exp + self.settings.leeway_seconds

    async def verify(self, token: str) -> Principal:
        return (await self._verified_token(token))[0]

    async def _verified_token(self, token: str) -> tuple[Principal, float]:
        cached = self._verified.get(token)
        if cached is not None and cached[1] > time.time():
            self._verified.move_to_end(token)
            return cached
        claims = await self._claims(token)
        verified = self._verified[token] = (self._principal(claims), float(claims["exp"]))
        if len(self._verified) > _CACHE_SIZE:
            self._verified.popitem(last=False)
        return verified

    async def _claims(self, token: str) -> dict[str, Any]:
        s = self.settings
        try:
            header = jwt.get_unverified_header(token)
            algorithm = header.get("alg")
            if algorithm not in s.algorithms:
                raise AuthenticationFailed(f"tokens signed with {algorithm} are not accepted")
            key = await self._key(header, algorithm) if algorithm != "HS256" else s.secret
            if key is None:
                raise AuthenticationFailed(f"no key is configured for {algorithm} tokens")
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=s.audience,
                issuer=s.issuer,
                leeway=s.leeway_seconds,
                options={"require": ["exp", "sub"], "verify_aud": s.audience is not None},
            )
        except jwt.PyJWTError as exc:
            raise AuthenticationFailed(f"the token is not valid: {exc}") from None
        return claims

    async def _key(self, header: dict[str, Any], algorithm: str) -> Any:
        """The JWKS key of the token's ``kid``, if it is a key for ``algorithm``. The key set is
        fetched again once its lifespan is over, and for an unknown ``kid`` (the provider rotated
        its keys; at most once per cooldown). While the provider cannot be reached, the key it
        last published for the ``kid`` stays in use, and is tried again once per cooldown."""
        if self._jwks is None:
            return None
        kid = str(header.get("kid", ""))
        cached = self._keys.get(kid)
        if cached is None or cached[1] <= time.monotonic():
            try:
                signing = await asyncio.to_thread(self._jwks.get_signing_key, kid)
            except jwt.PyJWKClientConnectionError as exc:
                if cached is None:
                    raise AuthenticationFailed(f"no signing key for the token: {exc}") from None
                signing = cached[0]  # tried again after the cooldown, not for every token
                self._keys[kid] = (signing, time.monotonic() + self.settings.jwks_cooldown_seconds)
            except jwt.PyJWTError as exc:  # no such key (any more), or no usable key set
                self._keys.pop(kid, None)
                raise AuthenticationFailed(f"no signing key for the token: {exc}") from None
            else:
                refresh = time.monotonic() + self.settings.jwks_lifespan_seconds
                self._keys[kid] = (signing, refresh)
        else:
            signing = cached[0]
        if signing.algorithm_name != algorithm:  # an RSA key cannot check an ES256 signature
            raise AuthenticationFailed(f"the token's key {kid!r} is not a {algorithm} key")
        return signing.key

    def _principal(self, claims: dict[str, Any]) -> Principal:
        ns = self.settings.namespace
        ours = claims.get(ns) if ns else claims
        if not isinstance(ours, dict):
            raise AuthenticationFailed(f"the token has no `{ns}` claims")
        try:
            principal = Principal.from_claims({**ours, "sub": claims["sub"]})
        except InvalidPrincipal as exc:
            raise AuthenticationFailed(f"the token's claims are not valid: {exc}") from None
        if principal.role == "service":
            raise AuthenticationFailed("tokens cannot claim the service role")
        if principal.role == "anonymous":
            return ANONYMOUS
        if principal.role == "customer" and principal.customer_id is None:
            derived = customer_id_for(claims.get("iss"), str(claims["sub"]))
            principal = Principal.from_claims({**principal.to_claims(), "customer_id": derived})
        return principal


def mint(
    secret: str,
    principal: Principal,
    *,
    ttl_seconds: int = 12 * 3600,
    namespace: str = DEFAULT_NAMESPACE,
) -> str:
    """A development token (HS256) for ``principal``."""
    now = int(time.time())
    ours = {k: v for k, v in principal.to_claims().items() if k != "sub"}
    claims: dict[str, Any] = {
        "sub": principal.subject or f"dev-{principal.role}",
        "iss": DEV_ISSUER,
        "aud": DEV_AUDIENCE,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    if namespace:
        claims[namespace] = ours
    else:
        claims.update(ours)
    return jwt.encode(claims, secret, algorithm="HS256")
