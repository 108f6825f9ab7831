"""Rate limiting per client IP and per principal: token buckets in Redis, shared by every
gateway replica.

Each operation (an HTTP request's query or mutation, a WebSocket subscription) takes one token
from the bucket of its client IP and, once the request is authenticated, one from the bucket of
its principal; a request whose token is refused takes one from its client IP's bucket. A
process takes tokens ahead from each bucket in small batches (:data:`LEASE_FRACTION`) and spends
them locally for at most :data:`LEASE_SECONDS`, so most operations need no Redis round trip; the
tokens still come out of the shared buckets, so the limits hold across replicas.

A bucket holds at most ``burst`` tokens and refills at ``per_second``. One Lua
script checks and takes from both buckets atomically, with Redis's own clock (so replicas on
different machines agree), and takes nothing if either is empty: the answer is then
``RATE_LIMITED`` with ``extensions.retryAfterSeconds`` (and, on HTTP, 429 with ``Retry-After``).

When Redis cannot be reached the operation is let through and a warning is logged: an outage of
the limiter must not become an outage of the API. The limiter then stays out of the way for
``RETRY_SECONDS`` (no request waits on a dead Redis, one warning per outage) and tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import ipaddress
import logging
import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
import redis.exceptions
from graphql import GraphQLError

from gateway.errors import graphql_error
from gateway.refusals import RefusingExtension

log = logging.getLogger(__name__)

SCRIPT = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1000000
local tokens = {}
local wait = 0
local short = false
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[3 * i - 1])
  local burst = tonumber(ARGV[3 * i])
  local state = redis.call('HMGET', key, 'tokens', 'at')
  local left = tonumber(state[1]) or burst
  local at = tonumber(state[2]) or t
  left = math.min(burst, left + math.max(0, t - at) * rate)
  tokens[i] = left
  if left < 1 then
    short = true
    wait = math.max(wait, (1 - left) / rate)
  end
end
local grants = {}
for i, key in ipairs(KEYS) do
  local want = tonumber(ARGV[3 * i - 2])
  local rate = tonumber(ARGV[3 * i - 1])
  local burst = tonumber(ARGV[3 * i])
  local grant = 0
  if not short then grant = math.min(want, math.floor(tokens[i])) end
  grants[i] = grant
  redis.call('HSET', key, 'tokens', tostring(tokens[i] - grant), 'at', tostring(t))
  redis.call('PEXPIRE', key, math.ceil(burst / rate * 1000) + 1000)
end
return {grants, tostring(wait)}
"""
"""KEYS: the buckets; ARGV: (tokens wanted, per_second, burst) of each. If every bucket has a
token, takes from each as many as it can give up to the number wanted, and returns those
numbers; otherwise takes nothing and returns the seconds until every bucket has one."""

LEASE_SECONDS = 0.5
"""How long tokens taken ahead from a bucket stay usable by this process; unused ones are lost,
so a replica never holds what the other replicas could have used for longer than this."""
LEASE_FRACTION = 20
"""Tokens are taken ahead in batches of a twentieth of the bucket (at least one): the limits
hold across replicas, with one Redis round trip per batch instead of per operation."""
MAX_LEASE = 100
"""The most tokens taken ahead at once, whatever the bucket's size."""

PREFIX = "mallbots:ratelimit:"
RETRY_SECONDS = 5.0


@dataclass(frozen=True)
class Bucket:
    per_second: float
    burst: int

    def __post_init__(self) -> None:
        if not self.per_second > 0 or self.burst < 1:
            raise ValueError(
                f"a rate limit needs a rate above 0 and a burst of at least 1, got "
                f"{self.per_second:g} per second and a burst of {self.burst}"
            )

    @property
    def lease(self) -> int:
        return max(1, min(self.burst // LEASE_FRACTION, MAX_LEASE))


class RateLimiter:
    """Create inside the running event loop (the gateway's lifespan does).

    Each bucket has a lease of its own: the clients of one IP share its lease, whatever their
    principals, so many users behind one address take the IP's tokens one by one, not a batch
    each."""

    def __init__(self, redis_url: str, per_ip: Bucket, per_principal: Bucket) -> None:
        self.redis = aioredis.from_url(redis_url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self.script = self.redis.register_script(SCRIPT)
        self.per_ip = per_ip
        self.per_principal = per_principal
        self.down_until = 0.0
        self._leases: dict[str, tuple[int, float]] = {}
        """Tokens taken ahead, by bucket key: how many are left, and until when."""
        self._locks: dict[str, asyncio.Lock] = {}
        """One batch in flight per bucket key."""

    def _left(self, key: str, now: float) -> int:
        left, until = self._leases.get(key, (0, 0.0))
        return left if now < until else 0

    def _spend(self, keys: list[str]) -> bool:
        """Spend a token taken ahead from each bucket, if every one has one left."""
        now = time.monotonic()
        if any(self._left(key, now) < 1 for key in keys):
            return False
        for key in keys:
            left, until = self._leases[key]
            self._leases[key] = (left - 1, until)
        return True

    async def wait_seconds(self, client_ip: str, principal: str | None) -> float:
        """Take a token for this client: 0 if allowed, else the seconds until one is free."""
        buckets = {f"{PREFIX}ip:{client_ip}": self.per_ip}
        if principal is not None:
            buckets[_principal_bucket(principal)] = self.per_principal
        keys = list(buckets)
        while not self._spend(keys):
            wait = await self._refill(buckets)
            if wait is None:  # the limiter is unavailable: let it through
                return 0.0
            if wait > 0:
                return wait
            # Taken: spent on the next turn (or taken again, if another operation spent a
            # lease that was not locked here first).
        return 0.0

    async def _refill(self, buckets: dict[str, Bucket]) -> float | None:
        """Refill the spent leases of ``buckets``: 0 when they hold tokens again, the seconds
        to wait when a bucket is empty, None when Redis cannot be reached.

        One batch in flight per bucket: concurrent operations wait for it instead of each taking
        a batch of its own (which would drain the bucket for tokens nobody uses). Only the
        buckets whose lease is spent are locked, in one order (IP, then principal), so no two
        operations wait on each other."""
        if len(self._locks) > 10_000:
            self._locks.clear()
        now = time.monotonic()
        async with contextlib.AsyncExitStack() as locks:
            for key in buckets:
                if self._left(key, now) < 1:
                    await locks.enter_async_context(self._locks.setdefault(key, asyncio.Lock()))
            now = time.monotonic()
            wanted = {key: b for key, b in buckets.items() if self._left(key, now) < 1}
            return await self._take(wanted, now) if wanted else 0.0

    async def _take(self, buckets: dict[str, Bucket], now: float) -> float | None:
        """Take a batch from each of ``buckets`` into its lease; the seconds to wait if one of
        them is empty (then none is taken from); None if Redis cannot be reached."""
        if now < self.down_until:
            return None
        args: list[float] = []
        for bucket in buckets.values():
            args += [bucket.lease, bucket.per_second, bucket.burst]
        try:
            grants, wait = await self.script(keys=list(buckets), args=args)
        except (redis.exceptions.RedisError, OSError) as error:
            self.down_until = now + RETRY_SECONDS
            log.warning(
                "rate limiter unavailable, requests let through for %.0f s: %s",
                RETRY_SECONDS,
                error,
            )
            return None
        if len(self._leases) > 10_000:
            self._leases.clear()
        for key, granted in zip(buckets, grants, strict=True):
            if int(granted) > 0:
                self._leases[key] = (self._left(key, now) + int(granted), now + LEASE_SECONDS)
        return float(wait)  # the script's wait is 0 exactly when every bucket granted

    async def aclose(self) -> None:
        await self.redis.aclose()


def principal_key(context: Any) -> str | None:
    """The bucket key of the request's principal, None for an anonymous request (its client
    IP's bucket applies alone)."""
    principal = getattr(context, "principal", None)
    if principal is None or getattr(principal, "role", "anonymous") == "anonymous":
        return None
    return str(principal.key)


def client_ip(context: Any) -> str:
    """The bucket key of the request's address: an IPv6 client's /64 network (one host usually
    has a whole /64 to choose its addresses from), an IPv4 client's address."""
    return _address_key(str(getattr(context, "client_ip", "") or "unknown"))


@functools.lru_cache(maxsize=4096)
def _principal_bucket(principal: str) -> str:
    """A principal's bucket key: a digest, so that no claim reaches Redis."""
    return f"{PREFIX}principal:{hashlib.sha256(principal.encode()).hexdigest()[:32]}"


@functools.lru_cache(maxsize=4096)
def _address_key(address: str) -> str:
    if ":" not in address:
        return address
    try:
        parsed = ipaddress.IPv6Address(address)
    except ValueError:
        return address
    if parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.IPv6Network((parsed, 64), strict=False))


def rate_limited_error(wait: float) -> GraphQLError:
    seconds = max(1, math.ceil(wait))
    return graphql_error(
        f"too many requests; retry in {seconds} s", "RATE_LIMITED", retryAfterSeconds=seconds
    )


async def refused_authentication(limiter: RateLimiter | None, context: Any) -> GraphQLError | None:
    """A request whose token is refused still takes a token from its client IP's bucket, as it
    would have had it been let in (the refusal comes before any operation, so the limiter's
    extension never sees it): guessing tokens or replaying stale ones is limited like any other
    traffic. The error to answer instead of the refusal once the IP's bucket is empty."""
    if limiter is None:
        return None
    wait = await limiter.wait_seconds(client_ip(context), None)
    return rate_limited_error(wait) if wait > 0 else None


class RateLimit(RefusingExtension):
    def __init__(self, limiter: RateLimiter) -> None:
        self.limiter = limiter

    async def on_operation(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        wait = await self.limiter.wait_seconds(client_ip(context), principal_key(context))
        if wait > 0:
            self.refuse(rate_limited_error(wait))
        yield
