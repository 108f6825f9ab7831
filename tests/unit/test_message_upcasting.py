"""Payload upcasters: a reader of the current schema version decodes older messages."""

from __future__ import annotations

from decimal import Decimal

import pytest

from backend.payments.messages import COMMAND_TOPIC, ConfirmPayment
from backend.platform.messages import MalformedMessage, Message, decode_payload


def confirm(version: int, payload: dict[str, object]) -> Message:
    return Message("m-1", ConfirmPayment.message_name, COMMAND_TOPIC, "", version, payload)


def test_a_version_1_confirm_payment_is_upcast_to_version_2() -> None:
    decoded = decode_payload(confirm(1, {"id": "p-1", "amount": "9.50"}), ConfirmPayment)
    assert decoded == ConfirmPayment("p-1", Decimal("9.50"), "", "")


def test_a_current_message_is_decoded_as_it_is() -> None:
    payload = {"id": "p-1", "amount": "9.50", "order_id": "o-1", "customer_id": "c-1"}
    assert decode_payload(confirm(2, payload), ConfirmPayment).order_id == "o-1"


def test_a_current_message_missing_a_field_is_malformed() -> None:
    with pytest.raises(MalformedMessage, match="order_id"):
        decode_payload(confirm(2, {"id": "p-1", "amount": "9.50"}), ConfirmPayment)
