"""Search's message plumbing that needs no servers: event times and the status of each event."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from backend.ordering.messages import ORDER_TOPIC, OrderApproved, contract
from backend.platform.messages import MalformedMessage, new_message
from backend.search.domain import STATUSES
from backend.search.handlers import STATUS_BY_EVENT, occurred_at


def test_every_order_event_but_creation_sets_a_known_status() -> None:
    names = {t.name for t in contract.types() if t.topic == ORDER_TOPIC}
    assert set(STATUS_BY_EVENT) == names - {"ordersapi.OrderCreated"}
    assert set(STATUS_BY_EVENT.values()) == set(STATUSES) - {"pending"}


def test_occurred_at_is_read_with_its_time_zone() -> None:
    message = new_message(ORDER_TOPIC, OrderApproved("o1", "c1", "p1"))
    moment = occurred_at(message)
    assert moment.tzinfo is not None
    assert moment.isoformat() == message.occurred_at
    naive = dataclasses.replace(message, occurred_at="2031-01-01T10:00:00")
    assert occurred_at(naive) == dt.datetime(2031, 1, 1, 10, tzinfo=dt.UTC)


def test_a_garbled_time_makes_the_message_malformed() -> None:
    message = dataclasses.replace(
        new_message(ORDER_TOPIC, OrderApproved("o1", "c1", "p1")), occurred_at="soon"
    )
    with pytest.raises(MalformedMessage, match="occurred_at is not an ISO time"):
        occurred_at(message)
