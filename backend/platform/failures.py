"""Which failures of a delivery are transient (retry for as long as they last) and which are not.

A transient failure says nothing about the message: the database, Redis or another module was
briefly unavailable, a pool had no free connection, or a concurrent writer won a race. Retrying
the same message later can succeed, so it must never count towards the dead-letter queue, or an
outage of a minute would dead-letter every message in flight (and strand the sagas waiting for
them). Anything else is permanent: a malformed message, a handler's domain error, a bug.
"""

from __future__ import annotations

import psycopg
import redis.exceptions

from backend.platform.eventstore import ConcurrencyError
from backend.platform.services import ServiceUnavailable


class NotYet(Exception):
    """The message depends on another one that has not been handled yet (it overtook it, or
    that one is being retried): retry it later, as a transient failure."""


TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    NotYet,
    # Server down, connection lost, failover, statement timeout, and (subclasses) serialization
    # failures, deadlocks and psycopg_pool.PoolTimeout.
    psycopg.OperationalError,
    ConcurrencyError,
    ServiceUnavailable,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.BusyLoadingError,
    ConnectionError,
    TimeoutError,
)


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` (or the error it was raised from) is a passing outage or race."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, TRANSIENT_ERRORS):
            return True
        seen.add(id(current))
        current = current.__cause__
    return False
