"""Rate limiting (issue 10, item 7): token buckets in Redis per client IP and per principal,
shared by every gateway replica, answered with ``RATE_LIMITED``, ``retryAfterSeconds`` and, on
HTTP, 429 with ``Retry-After``."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace

import httpx
import orjson
import pytest
import redis.asyncio as aioredis
from websockets.asyncio.client import connect

from backend.platform.embedded import free_port
from gateway.config import trusted_proxies_from_env
from gateway.ratelimit import PREFIX, Bucket, RateLimiter, client_ip
from tests.conftest import Servers
from tests.support.auth import auth_headers
from tests.support.gateway import RunningGateway, running_gateway

QUERY = {"query": "{ __typename }"}
NO_BACKEND = "http://127.0.0.1:9"
"""Nothing here reaches the backend."""


@pytest.fixture(autouse=True)
async def fresh_buckets(servers: Servers) -> AsyncIterator[None]:
    """Every test starts with full buckets (they are keyed by 127.0.0.1 in all of them)."""
    client = aioredis.from_url(servers.redis_url)
    async for key in client.scan_iter(match=f"{PREFIX}*"):
        await client.delete(key)
    await client.aclose()
    yield


async def post(gateway: RunningGateway, headers: dict[str, str] | None = None) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.post(gateway.graphql_url, json=QUERY, headers=headers)


async def test_a_client_ip_past_its_burst_is_told_when_to_retry(servers: Servers) -> None:
    async with running_gateway(
        NO_BACKEND, servers.redis_url, rate_limit=True,
        rate_limit_ip_burst=3, rate_limit_ip_per_second=0.01,
    ) as gateway:  # fmt: skip
        allowed = [await post(gateway) for _ in range(3)]
        refused = await post(gateway)
    assert [r.json() for r in allowed] == [{"data": {"__typename": "Query"}}] * 3
    assert refused.status_code == 429
    (error,) = refused.json()["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    retry = error["extensions"]["retryAfterSeconds"]
    assert 90 <= retry <= 100  # one token at 0.01 per second
    assert refused.headers["retry-after"] == str(retry)
    assert error["message"] == f"too many requests; retry in {retry} s"


async def test_replicas_share_the_buckets(servers: Servers) -> None:
    settings = {"rate_limit": True, "rate_limit_ip_burst": 3, "rate_limit_ip_per_second": 0.01}
    async with (
        running_gateway(NO_BACKEND, servers.redis_url, **settings) as one,
        running_gateway(NO_BACKEND, servers.redis_url, **settings) as two,
    ):
        answers = [await post(one), await post(two), await post(one), await post(two)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]


async def test_each_principal_has_a_bucket_of_its_own(servers: Servers) -> None:
    async with running_gateway(
        NO_BACKEND, servers.redis_url, rate_limit=True, rate_limit_ip_burst=100,
        rate_limit_principal_burst=2, rate_limit_principal_per_second=0.01,
    ) as gateway:  # fmt: skip
        ann = auth_headers("customer", customer_id=str(uuid.uuid4()))
        bob = auth_headers("customer", customer_id=str(uuid.uuid4()))
        anns = [(await post(gateway, ann)).status_code for _ in range(3)]
        bobs = [(await post(gateway, bob)).status_code for _ in range(2)]
        anonymous = [(await post(gateway)).status_code for _ in range(3)]
    assert anns == [200, 200, 429]
    assert bobs == [200, 200]
    assert anonymous == [200, 200, 200]  # only the client IP's bucket (burst 100) applies


async def test_rate_limiting_is_off_unless_enabled(servers: Servers) -> None:
    async with running_gateway(
        NO_BACKEND, servers.redis_url, rate_limit_ip_burst=1, rate_limit_ip_per_second=0.01
    ) as gateway:
        statuses = [(await post(gateway)).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]


async def test_each_websocket_subscription_takes_a_token(servers: Servers) -> None:
    store = uuid.uuid4()
    subscribe = {"query": f'subscription {{ catalogUpdated(storeId: "{store}") {{ cursor }} }}'}
    async with (
        running_gateway(
            NO_BACKEND,
            servers.redis_url,
            rate_limit=True,
            rate_limit_ip_burst=2,
            rate_limit_ip_per_second=0.01,
        ) as gateway,  # fmt: skip
        connect(gateway.ws_url, subprotocols=["graphql-transport-ws"]) as ws,  # type: ignore[list-item]
    ):
        await ws.send(orjson.dumps({"type": "connection_init"}).decode())
        assert orjson.loads(await ws.recv())["type"] == "connection_ack"
        codes = []
        for id in ("1", "2", "3"):
            message = {"id": id, "type": "subscribe", "payload": subscribe}
            await ws.send(orjson.dumps(message).decode())
            while (answer := orjson.loads(await ws.recv())).get("id") != id:
                pass
            errors = answer["payload"] if answer["type"] == "error" else answer["payload"]["errors"]
            codes.append(errors[0]["extensions"]["code"])
    # the first two get as far as the (absent) backend; the third is refused before parsing
    assert codes == ["BACKEND_UNAVAILABLE", "BACKEND_UNAVAILABLE", "RATE_LIMITED"]


async def test_refused_tokens_take_from_the_client_ips_bucket(servers: Servers) -> None:
    """A request whose token is refused is stopped before any operation runs, yet it spends a
    token of its address like any other request: guessing or replaying tokens is limited too,
    and the address's signed-in traffic shares the same bucket."""
    async with running_gateway(
        NO_BACKEND, servers.redis_url, rate_limit=True,
        rate_limit_ip_burst=2, rate_limit_ip_per_second=0.01,
    ) as gateway:  # fmt: skip
        forged = {"Authorization": "Bearer not.a.token"}
        refused = [await post(gateway, forged) for _ in range(3)]
        valid = await post(gateway, auth_headers("customer", customer_id=str(uuid.uuid4())))
    assert [r.status_code for r in refused] == [401, 401, 429]
    assert refused[0].json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    (error,) = refused[2].json()["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert refused[2].headers["retry-after"] == str(error["extensions"]["retryAfterSeconds"])
    assert refused[2].json()["data"] is None
    assert valid.status_code == 429


async def test_refused_websocket_tokens_take_from_the_client_ips_bucket(servers: Servers) -> None:
    """The same for a WebSocket's ``connection_init`` (graphql-ws sends the rejection's payload;
    graphql-transport-ws only closes with 4403)."""
    init = {"type": "connection_init", "payload": {"Authorization": "Bearer not.a.token"}}
    async with running_gateway(
        NO_BACKEND, servers.redis_url, rate_limit=True,
        rate_limit_ip_burst=1, rate_limit_ip_per_second=0.01,
    ) as gateway:  # fmt: skip
        codes = []
        for _ in range(2):
            async with connect(gateway.ws_url, subprotocols=["graphql-ws"]) as ws:  # type: ignore[list-item]
                await ws.send(orjson.dumps(init).decode())
                answer = orjson.loads(await ws.recv())
                assert answer["type"] == "connection_error"
                codes.append(answer["payload"]["extensions"]["code"])
    assert codes == ["UNAUTHENTICATED", "RATE_LIMITED"]


async def test_an_unreachable_redis_lets_requests_through(
    caplog: pytest.LogCaptureFixture,
) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"
    limiter = RateLimiter(closed, per_ip=Bucket(0.01, 1), per_principal=Bucket(0.01, 1))
    try:
        waits = [await limiter.wait_seconds("127.0.0.1", None) for _ in range(3)]
    finally:
        await limiter.aclose()
    assert waits == [0.0, 0.0, 0.0]
    warnings = [r.getMessage() for r in caplog.records if r.name == "gateway.ratelimit"]
    assert len(warnings) == 1  # once per outage, not once per request
    assert warnings[0].startswith("rate limiter unavailable, requests let through for 5 s")


async def test_tokens_taken_ahead_still_come_out_of_the_shared_buckets(servers: Servers) -> None:
    """Two replicas taking tokens ahead in batches admit exactly a bucket's burst between them,
    with one Redis round trip per batch rather than per operation."""
    ip = f"10.9.{uuid.uuid4().int % 250}.1"
    replicas = [RateLimiter(servers.redis_url, Bucket(0.001, 40), Bucket(0.001, 40)) for _ in "ab"]
    trips = 0
    for replica in replicas:
        script = replica.script

        async def counted(*args: object, _script: object = script, **kwargs: object) -> object:
            nonlocal trips
            trips += 1
            return await _script(*args, **kwargs)  # type: ignore[operator]

        replica.script = counted  # type: ignore[assignment]
    try:
        admitted = [await replicas[n % 2].wait_seconds(ip, None) for n in range(40)]
        trips_for_the_burst = trips
        refused = [await replicas[n % 2].wait_seconds(ip, None) for n in range(20)]
    finally:
        for replica in replicas:
            await replica.aclose()
    assert admitted == [0.0] * 40
    assert all(wait > 0 for wait in refused), "not one token past the burst, across replicas"
    assert trips_for_the_burst == 20  # batches of 40 // 20 = 2 tokens


async def test_concurrent_operations_of_one_client_share_one_batch(servers: Servers) -> None:
    """64 operations at once, under a burst of 100: all admitted (they wait for one batch in
    flight instead of each taking a batch and draining the bucket for nobody)."""
    ip = f"10.8.{uuid.uuid4().int % 250}.1"
    limiter = RateLimiter(servers.redis_url, Bucket(0.001, 100), Bucket(0.001, 100))
    try:
        waits = await asyncio.gather(*(limiter.wait_seconds(ip, "customer|x") for _ in range(64)))
        left = [await limiter.wait_seconds(ip, "customer|x") for _ in range(40)]
    finally:
        await limiter.aclose()
    assert list(waits) == [0.0] * 64
    assert left[:36] == [0.0] * 36 and all(wait > 0 for wait in left[36:])


async def test_many_principals_behind_one_ip_take_its_tokens_one_by_one(servers: Servers) -> None:
    """60 signed-in users behind one address (an office's NAT), one operation each, under an IP
    burst of 100: all admitted, and 40 tokens are left for the address (a batch taken from it
    per user would have emptied it after 20 users)."""
    ip = f"10.7.{uuid.uuid4().int % 250}.1"
    limiter = RateLimiter(servers.redis_url, Bucket(0.001, 100), Bucket(0.001, 100))
    try:
        users = [await limiter.wait_seconds(ip, f"customer|{n}") for n in range(60)]
        anonymous = [await limiter.wait_seconds(ip, None) for _ in range(41)]
    finally:
        await limiter.aclose()
    assert users == [0.0] * 60
    assert anonymous[:40] == [0.0] * 40
    assert anonymous[40] > 0


@pytest.mark.parametrize(("per_second", "burst"), [(0, 10), (-1, 10), (1, 0)])
def test_a_rate_limit_that_would_admit_nothing_is_refused(per_second: float, burst: int) -> None:
    with pytest.raises(ValueError, match="a rate above 0 and a burst of at least 1"):
        Bucket(per_second, burst)


@pytest.mark.parametrize(("trusted", "own_bucket"), [("127.0.0.1", True), ("192.0.2.1", False)])
async def test_only_a_trusted_proxy_names_the_client_of_a_request(
    servers: Servers, trusted: str, own_bucket: bool
) -> None:
    """Through the load balancer (a trusted proxy), each client has its bucket, named by
    ``X-Forwarded-For``; from anywhere else the header is ignored: the tests' 127.0.0.1 is the
    client, whatever it claims."""
    async with running_gateway(
        NO_BACKEND, servers.redis_url, rate_limit=True, trusted_proxies=(trusted,),
        rate_limit_ip_burst=2, rate_limit_ip_per_second=0.01,
    ) as gateway:  # fmt: skip
        first = [await post(gateway, {"x-forwarded-for": "203.0.113.7"}) for _ in range(2)]
        other = await post(gateway, {"x-forwarded-for": "198.51.100.9"})
    assert [r.status_code for r in first] == [200, 200]
    assert other.status_code == (200 if own_bucket else 429)


def test_trusted_proxies_must_be_addresses_or_networks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLBOTS_TRUSTED_PROXIES", "10.0.0.0/8, fd00::/8,192.0.2.1")
    assert trusted_proxies_from_env() == ("10.0.0.0/8", "fd00::/8", "192.0.2.1")
    monkeypatch.setenv("MALLBOTS_TRUSTED_PROXIES", "10.0.0.0/8,alb.internal")
    with pytest.raises(ValueError, match="got 'alb.internal'"):
        trusted_proxies_from_env()


def test_an_ipv6_client_is_limited_by_its_64_network() -> None:
    """One host usually has a whole /64 to pick addresses from: they share one bucket."""
    same = {client_ip(SimpleNamespace(client_ip=f"2001:db8:1:2::{n:x}")) for n in range(1, 50)}
    assert same == {"2001:db8:1:2::/64"}
    assert client_ip(SimpleNamespace(client_ip="2001:db8:1:3::1")) == "2001:db8:1:3::/64"
    assert client_ip(SimpleNamespace(client_ip="::ffff:192.0.2.7")) == "192.0.2.7"
    assert client_ip(SimpleNamespace(client_ip="192.0.2.7")) == "192.0.2.7"
    assert client_ip(SimpleNamespace(client_ip="")) == "unknown"
