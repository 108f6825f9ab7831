"""A connection's session ends when its token expires.

An HTTP request is authenticated as it arrives; a WebSocket only at ``connection_init``, and an
SSE stream when it opens, and both may stay open for hours. So the context remembers when the
token stops being valid (its ``exp`` plus the leeway), and past it a new operation on the
connection is refused before it is parsed (``limits.OperationLimits``) and a running
subscription ends before its next payload (``Context.start_payload``, ``live.deliver``), with
``UNAUTHENTICATED``: the client connects again with a fresh token. Short-lived tokens then bound
what a stolen or withdrawn one can still read.
"""

from __future__ import annotations

import time

from graphql import GraphQLError

from gateway.errors import graphql_error

EXPIRED = "the token has expired; connect again with a new one"


def expired(expires_at: float) -> GraphQLError | None:
    """The error to answer once ``expires_at`` (epoch seconds) has passed, else None."""
    return graphql_error(EXPIRED, "UNAUTHENTICATED") if time.time() >= expires_at else None
