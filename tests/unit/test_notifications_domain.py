"""Notifications: which text an order event sends, and to whom; the default sender logs."""

from __future__ import annotations

import logging

import pytest

from backend.notifications.domain import Kind, Notification, Recipient
from backend.notifications.sender import LoggingSmsSender

BUYER = Recipient("c1", "Buyer #1", "555-1212")


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        (Kind.ORDER_CREATED, "Hi Buyer #1, we have received your order o1."),
        (Kind.ORDER_READY, "Hi Buyer #1, your order o1 is ready for pickup."),
        (Kind.ORDER_CANCELED, "Hi Buyer #1, your order o1 has been canceled."),
        (
            Kind.ORDER_COMPLETED,
            "Hi Buyer #1, your order o1 is complete. Thank you for shopping!",
        ),
    ],
)
def test_each_kind_has_its_text(kind: Kind, text: str) -> None:
    assert Notification.about(kind, "o1", BUYER) == Notification("c1", "o1", kind, "555-1212", text)


def test_kinds_are_the_logged_names() -> None:
    assert [k.value for k in Kind] == [
        "order_created",
        "order_ready",
        "order_canceled",
        "order_completed",
    ]


def test_braces_in_a_name_are_not_a_template() -> None:
    odd = Recipient("c1", "{order_id}", "555-1212")
    text = Notification.about(Kind.ORDER_READY, "o1", odd).message
    assert text == "Hi {order_id}, your order o1 is ready for pickup."


async def test_the_default_sender_logs_the_sms_masked(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="backend.notifications.sender"):
        await LoggingSmsSender().send("555-1212", "hello")
    assert caplog.messages == ["SMS to *****12: <5 characters>"]
