"""Bearer-token verification: production keys from a JWKS endpoint (cached, refreshed when a new
``kid`` appears), the standard claims, the claims namespace, and development tokens."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from backend.platform.principal import Principal
from gateway.auth import AuthenticationFailed, Authenticator, TokenSettings, customer_id_for
from tests.support.waiting import eventually

NS = "https://mallbots.dev/claims"
ISSUER, AUDIENCE = "https://idp.example", "mallbots-api"


class JwksServer:
    """A JWKS endpoint on 127.0.0.1 whose key set the test changes; counts its requests."""

    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.requests = 0
        self.down = False
        """Answer 503, as a provider that has an outage."""
        jwks = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                jwks.requests += 1
                if jwks.down:
                    self.send_error(503)
                    return
                body = json.dumps({"keys": jwks.keys}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/.well-known/jwks.json"

    def publish(self, kid: str, jwk: str, alg: str) -> None:
        self.keys.append({**json.loads(jwk), "kid": kid, "alg": alg, "use": "sig"})


@pytest.fixture
def jwks() -> Iterator[JwksServer]:
    server = JwksServer()
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()
        thread.join()


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "sub": "user-1",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 600,
        NS: {"role": "customer", "customer_id": "c-1"},
    }
    return {**base, **overrides}


def authenticator(jwks: JwksServer, **overrides: Any) -> Authenticator:
    settings = TokenSettings(
        jwks_url=jwks.url,
        issuer=ISSUER,
        audience=AUDIENCE,
        leeway_seconds=30,
        jwks_cooldown_seconds=0,
        **overrides,
    )
    return Authenticator(settings)


async def test_rs256_keys_come_from_the_jwks_and_a_new_kid_refreshes_them(
    jwks: JwksServer,
) -> None:
    first, second = (rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in "ab")
    jwks.publish("k1", RSAAlgorithm.to_jwk(first.public_key()), "RS256")
    auth = authenticator(jwks)
    one = jwt.encode(claims(), first, algorithm="RS256", headers={"kid": "k1"})
    assert await auth.verify(one) == Principal("customer", subject="user-1", customer_id="c-1")
    again = jwt.encode(claims(sub="user-2"), first, algorithm="RS256", headers={"kid": "k1"})
    assert (await auth.verify(again)).subject == "user-2"
    assert jwks.requests == 1, "the key set is cached"

    jwks.publish("k2", RSAAlgorithm.to_jwk(second.public_key()), "RS256")  # the IdP rotates
    rotated = jwt.encode(claims(), second, algorithm="RS256", headers={"kid": "k2"})
    assert (await auth.verify(rotated)).customer_id == "c-1"
    assert jwks.requests == 2

    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    unknown = jwt.encode(claims(), stranger, algorithm="RS256", headers={"kid": "k9"})
    with pytest.raises(AuthenticationFailed, match="no signing key"):
        await auth.verify(unknown)
    forged = jwt.encode(claims(sub="x"), stranger, algorithm="RS256", headers={"kid": "k1"})
    with pytest.raises(AuthenticationFailed, match="Signature verification failed"):
        await auth.verify(forged)


async def test_es256_keys_are_accepted(jwks: JwksServer) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    jwks.publish("e1", ECAlgorithm.to_jwk(key.public_key()), "ES256")
    token = jwt.encode(claims(), key, algorithm="ES256", headers={"kid": "e1"})
    assert (await authenticator(jwks).verify(token)).role == "customer"


async def test_a_token_whose_algorithm_is_not_its_keys_is_refused(jwks: JwksServer) -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwks.publish("k1", RSAAlgorithm.to_jwk(rsa_key.public_key()), "RS256")
    ec_key = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(claims(), ec_key, algorithm="ES256", headers={"kid": "k1"})
    with pytest.raises(AuthenticationFailed, match="'k1' is not a ES256 key"):
        await authenticator(jwks).verify(token)


async def test_a_withdrawn_key_stops_verifying_and_an_unreachable_provider_keeps_the_last_keys(
    jwks: JwksServer,
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwks.publish("k1", RSAAlgorithm.to_jwk(key.public_key()), "RS256")
    auth = authenticator(jwks, jwks_lifespan_seconds=0.05)
    tokens = (
        jwt.encode(claims(sub=f"user-{n}"), key, algorithm="RS256", headers={"kid": "k1"})
        for n in itertools.count()
    )
    assert (await auth.verify(next(tokens))).subject == "user-0"
    fetched = jwks.requests
    jwks.down = True  # the provider fails: the key it last published still verifies
    principal = await eventually(
        lambda: auth.verify(next(tokens)), lambda _: jwks.requests > fetched
    )
    assert principal.role == "customer"  # verified while the fetch failed
    jwks.keys = []
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwks.publish("k2", RSAAlgorithm.to_jwk(other.public_key()), "RS256")
    jwks.down = False  # the provider is back, and has withdrawn the key

    async def refused() -> bool:
        try:
            await auth.verify(next(tokens))
        except AuthenticationFailed as exc:
            assert "no signing key" in str(exc)
            return True
        return False

    assert await eventually(refused, bool)


@dataclass(frozen=True)
class FromNow:
    """A time claim, in seconds from when the test runs (not from when it was collected: a long
    run would bring a collection-time ``nbf`` within the leeway)."""

    seconds: int


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"iss": "https://elsewhere"}, "Invalid issuer"),
        ({"aud": "another-api"}, "Audience doesn't match"),
        ({"exp": FromNow(-120)}, "Signature has expired"),
        ({"nbf": FromNow(120)}, "The token is not yet valid"),
        ({NS: {"role": "service"}}, "cannot claim the service role"),
        ({NS: {"role": "root"}}, "unknown role"),
        ({NS: None}, "has no"),
    ],
)
async def test_the_standard_claims_are_checked(
    jwks: JwksServer, changes: dict[str, Any], problem: str
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwks.publish("k1", RSAAlgorithm.to_jwk(key.public_key()), "RS256")
    now = int(time.time())
    resolved = {k: now + v.seconds if isinstance(v, FromNow) else v for k, v in changes.items()}
    token = jwt.encode(claims(**resolved), key, algorithm="RS256", headers={"kid": "k1"})
    with pytest.raises(AuthenticationFailed, match=problem):
        await authenticator(jwks).verify(token)


async def test_a_small_clock_skew_is_tolerated(jwks: JwksServer) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwks.publish("k1", RSAAlgorithm.to_jwk(key.public_key()), "RS256")
    skewed = claims(exp=int(time.time()) - 10, nbf=int(time.time()) + 10)
    token = jwt.encode(skewed, key, algorithm="RS256", headers={"kid": "k1"})
    assert (await authenticator(jwks).verify(token)).role == "customer"


async def test_the_claims_namespace_is_configurable() -> None:
    secret = "a-development-secret-of-32-bytes!!"
    top_level = Authenticator(TokenSettings(secret=secret, namespace=""))
    token = jwt.encode(
        {"sub": "m", "exp": int(time.time()) + 60, "role": "store_manager", "store_ids": ["s1"]},
        secret,
        algorithm="HS256",
    )
    assert (await top_level.verify(token)).store_ids == frozenset({"s1"})
    custom = Authenticator(TokenSettings(secret=secret, namespace="https://shop.example/mb"))
    nested = jwt.encode(
        {
            "sub": "b",
            "exp": int(time.time()) + 60,
            "https://shop.example/mb": {"role": "bot", "bot_id": "b1"},
        },
        secret,
        algorithm="HS256",
    )
    assert (await custom.verify(nested)).bot_id == "b1"


@pytest.mark.parametrize("claims", [{"role": "customer"}, {"role": "customer", "customer_id": ""}])
async def test_a_customer_without_an_id_acts_for_the_id_of_their_subject(
    claims: dict[str, str],
) -> None:
    """An empty id is no id (a provider rule may write ``""``): it must not reach the backend as
    a customer without one, whom a filter by customer would not narrow."""
    secret = "a-development-secret-of-32-bytes!!"
    token = jwt.encode(
        {"sub": "auth0|42", "iss": ISSUER, "exp": int(time.time()) + 60, NS: claims},
        secret,
        algorithm="HS256",
    )
    who = await Authenticator(TokenSettings(secret=secret)).verify(token)
    assert who.customer_id == customer_id_for(ISSUER, "auth0|42")
    assert customer_id_for(ISSUER, "auth0|42") != customer_id_for("https://other", "auth0|42")


def test_principal_keys_cannot_be_made_alike_by_their_claims() -> None:
    """The key shares work (forwarded headers, live payloads) only within one principal."""
    one = Principal("store_manager", subject="a", store_ids=frozenset({"s1,s2"}))
    two = Principal("store_manager", subject="a", store_ids=frozenset({"s1", "s2"}))
    three = Principal("customer", subject="x|y")
    four = Principal("customer", subject="x", customer_id="y|None")
    assert one.key != two.key
    assert three.key != four.key
    assert two.key == Principal("store_manager", subject="a", store_ids=frozenset({"s2", "s1"})).key


async def test_hs256_tokens_need_a_configured_secret_and_alg_none_is_refused() -> None:
    token = jwt.encode(claims(), "a-development-secret-of-32-bytes!!", algorithm="HS256")
    with pytest.raises(AuthenticationFailed, match="no key is configured"):
        await Authenticator(TokenSettings()).verify(token)
    unsigned = jwt.encode(claims(), None, algorithm="none")  # type: ignore[arg-type]
    with pytest.raises(AuthenticationFailed, match="not accepted"):
        await Authenticator(TokenSettings(secret="s" * 32)).verify(unsigned)
    for header in ("Bearer ", "Token abc", "bearer"):
        with pytest.raises(AuthenticationFailed, match="must be `Bearer <token>`"):
            await Authenticator(TokenSettings(secret="s" * 32)).principal(header)
