"""The per-operation cap on backend calls, counted as the calls are made.

The operation limits (:mod:`gateway.limits`) open a budget for each query or mutation before it
runs; every backend call of that operation (its resolvers' and its DataLoaders') spends one. The
budget lives in a context variable: the resolvers and the DataLoader batches of one operation run
in its task or in tasks started from it, so they all see the same budget, and two operations (two
requests, or two operations on one WebSocket) never share one. A subscription's payloads get a
budget each (``Context.start_payload``): the snapshot, and each update's resolution of the selection
(a list of orders with their sagas would otherwise call the backend once per order, unbounded).
"""

from __future__ import annotations

from contextvars import ContextVar, Token

from gateway.errors import graphql_error


class CallBudget:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def spend(self) -> None:
        """Count one backend call; refused with ``TOO_MANY_BACKEND_CALLS`` past the limit."""
        if self.used >= self.limit:
            raise graphql_error(
                f"the operation needs more than {self.limit} backend calls",
                "TOO_MANY_BACKEND_CALLS",
                limit=self.limit,
            )
        self.used += 1


_BUDGET: ContextVar[CallBudget | None] = ContextVar("mallbots_call_budget", default=None)


def open_budget(limit: int) -> Token[CallBudget | None]:
    return _BUDGET.set(CallBudget(limit))


def close_budget(token: Token[CallBudget | None]) -> None:
    _BUDGET.reset(token)


def spend_backend_call() -> None:
    """Called before each backend call: counts it against the running operation's budget."""
    budget = _BUDGET.get()
    if budget is not None:
        budget.spend()
