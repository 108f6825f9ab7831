"""A module's handler table: ``(topic, message name) → handler``, the one place that says what
the module consumes. ``subscriptions`` turns it into the consumer's subscriptions (read by the
host and by the AsyncAPI generator).
"""

from __future__ import annotations

from collections.abc import Mapping

from backend.platform.consumer import Handler, Subscription
from backend.platform.messages import Contract

HandlerTable = Mapping[tuple[str, str], Handler]


def names_on(contract: Contract, topic: str) -> frozenset[str]:
    """Every message name ``contract`` puts on ``topic``."""
    return frozenset(t.name for t in contract.types() if t.topic == topic)


def subscriptions(table: HandlerTable, *contracts: Contract) -> list[Subscription]:
    """One subscription per topic of ``table``; its known names come from the producers'
    ``contracts`` (a name they define and the table does not handle is acknowledged and
    ignored, explicitly). A table entry for a name no contract defines is a programming error."""
    topics: dict[str, dict[str, Handler]] = {}
    for (topic, name), handler in table.items():
        topics.setdefault(topic, {})[name] = handler
    found = []
    for topic, handlers in topics.items():
        known = frozenset().union(*(names_on(c, topic) for c in contracts))
        if missing := set(handlers) - known:
            raise ValueError(f"no contract defines {sorted(missing)} on {topic}")
        found.append(Subscription(topic, known, handlers))
    return found
