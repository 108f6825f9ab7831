"""A connection's session ends when its token expires.

An HTTP request is authenticated as it arrives; a WebSocket only at ``connection_init``, and an
SSE stream when it opens, and both may stay open for hours. So the context remembers when the
token stops being valid (its ``exp`` plus the leeway), and past it a new operation on the
connection is refused and a running subscription ends before its next payload, with
``UNAUTHENTICATED``: the client connects again with a fresh token. Short-lived tokens then bound
what a stolen or withdrawn one can still read.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from graphql import GraphQLError

from gateway.errors import graphql_error
from gateway.refusals import RefusingExtension

EXPIRED = "the token has expired; connect again with a new one"


def expired(expires_at: float) -> GraphQLError | None:
    """The error to answer once ``expires_at`` (epoch seconds) has passed, else None."""
    return graphql_error(EXPIRED, "UNAUTHENTICATED") if time.time() >= expires_at else None


class SessionExpiry(RefusingExtension):
    """Refuses an operation (on a connection that outlived its token) before it is parsed."""

    def on_operation(self) -> Iterator[None]:
        error = expired(getattr(self.execution_context.context, "expires_at", float("inf")))
        if error is not None:
            self.refuse(error)
        yield
