"""Rate limiting per client IP and per principal: token buckets in Redis, shared by every
gateway replica.

Each operation (an HTTP request's query or mutation, a WebSocket subscription) takes one token
from the bucket of its client IP and, once the request is authenticated, one from the bucket of
its principal. A process takes tokens ahead in small batches (:data:`LEASE_FRACTION`) and spends
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
import hashlib
import logging
import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
import redis.exceptions

from gateway.errors import graphql_error
from gateway.refusals import RefusingExtension

log = logging.getLogger(__name__)

SCRIPT = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1000000
local want = tonumber(ARGV[1])
local tokens = {}
local wait = 0
local grant = want
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[2 * i])
  local burst = tonumber(ARGV[2 * i + 1])
  local state = redis.call('HMGET', key, 'tokens', 'at')
  local left = tonumber(state[1]) or burst
  local at = tonumber(state[2]) or t
  left = math.min(burst, left + math.max(0, t - at) * rate)
  tokens[i] = left
  grant = math.min(grant, math.floor(left))
  if left < 1 then wait = math.max(wait, (1 - left) / rate) end
end
if grant < 1 then grant = 0 end
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[2 * i])
  local burst = tonumber(ARGV[2 * i + 1])
  redis.call('HSET', key, 'tokens', tostring(tokens[i] - grant), 'at', tostring(t))
  redis.call('PEXPIRE', key, math.ceil(burst / rate * 1000) + 1000)
end
return {grant, tostring(wait)}
"""
"""KEYS: the buckets; ARGV: how many tokens are wanted, then (per_second, burst) of each bucket.
Takes as many as every bucket can give, up to the number wanted, and returns that number and,
when it is 0, the seconds to wait."""

LEASE_SECONDS = 0.5
"""How long tokens taken ahead for a client stay usable by this process; unused ones are lost,
so a replica never holds what the other replicas could have used for longer than this."""
LEASE_FRACTION = 20
"""Tokens are taken ahead in batches of a twentieth of the smaller bucket (at least one): the
limits hold across replicas, with one Redis round trip per batch instead of per operation."""
MAX_LEASE = 100
"""The most tokens taken ahead at once, whatever the buckets' size."""

PREFIX = "mallbots:ratelimit:"
RETRY_SECONDS = 5.0


@dataclass(frozen=True)
class Bucket:
    per_second: float
    burst: int


class RateLimiter:
    """Create inside the running event loop (the gateway's lifespan does)."""

    def __init__(self, redis_url: str, per_ip: Bucket, per_principal: Bucket) -> None:
        self.redis = aioredis.from_url(redis_url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self.script = self.redis.register_script(SCRIPT)
        self.per_ip = per_ip
        self.per_principal = per_principal
        self.down_until = 0.0
        self._leases: dict[tuple[str, str | None], tuple[int, float]] = {}
        self._locks: dict[tuple[str, str | None], asyncio.Lock] = {}
        """Tokens taken ahead, by (client IP, principal): how many are left, and until when."""

    def _spend(self, lease: tuple[str, str | None]) -> bool:
        """Spend a token taken ahead for this client, if one is left."""
        left, until = self._leases.get(lease, (0, 0.0))
        if left > 0 and time.monotonic() < until:
            self._leases[lease] = (left - 1, until)
            return True
        return False

    async def wait_seconds(self, client_ip: str, principal: str | None) -> float:
        """Take a token for this client: 0 if allowed, else the seconds until one is free."""
        lease = (client_ip, principal)
        if self._spend(lease):
            return 0.0
        # One batch in flight per client: concurrent operations wait for it instead of each
        # taking a batch of its own (which would drain the buckets for tokens nobody uses).
        if len(self._locks) > 10_000:
            self._locks.clear()
        async with self._locks.setdefault(lease, asyncio.Lock()):
            if self._spend(lease):
                return 0.0
            return await self._take(lease)

    async def _take(self, lease: tuple[str, str | None]) -> float:
        client_ip, principal = lease
        now = time.monotonic()
        keys = [f"{PREFIX}ip:{client_ip}"]
        smallest = self.per_ip.burst
        args: list[float] = [0, self.per_ip.per_second, self.per_ip.burst]
        if principal is not None:
            keys.append(f"{PREFIX}principal:{hashlib.sha256(principal.encode()).hexdigest()[:32]}")
            args += [self.per_principal.per_second, self.per_principal.burst]
            smallest = min(smallest, self.per_principal.burst)
        args[0] = max(1, min(smallest // LEASE_FRACTION, MAX_LEASE))
        if now < self.down_until:
            return 0.0
        try:
            granted, wait = await self.script(keys=keys, args=args)
        except (redis.exceptions.RedisError, OSError) as error:
            self.down_until = now + RETRY_SECONDS
            log.warning(
                "rate limiter unavailable, requests let through for %.0f s: %s",
                RETRY_SECONDS,
                error,
            )
            return 0.0
        if int(granted) < 1:
            return float(wait)
        if len(self._leases) > 10_000:
            self._leases.clear()
        self._leases[lease] = (int(granted) - 1, now + LEASE_SECONDS)
        return 0.0

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
    return str(getattr(context, "client_ip", "") or "unknown")


class RateLimit(RefusingExtension):
    def __init__(self, limiter: RateLimiter) -> None:
        self.limiter = limiter

    async def on_operation(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        wait = await self.limiter.wait_seconds(client_ip(context), principal_key(context))
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            self.refuse(
                graphql_error(
                    f"too many requests; retry in {seconds} s",
                    "RATE_LIMITED",
                    retryAfterSeconds=seconds,
                )
            )
        yield
