"""The Customer entity: every rule, transition, recorded event and error message."""

from __future__ import annotations

import pytest

from backend.customers.domain import (
    Customer,
    CustomerDisabled,
    CustomerEnabled,
    CustomerRegistered,
    CustomerSmsChanged,
    check_sms_number,
)
from backend.platform.errors import BadRequest, Unauthorized


def registered() -> Customer:
    customer = Customer.register("c1", "Buyer #1", "555-1212")
    customer.pending = []
    return customer


def test_a_registered_customer_is_enabled() -> None:
    customer = Customer.register("c1", "  John Smith ", " 555-555-1212 ")
    assert (customer.id, customer.name, customer.sms_number, customer.enabled) == (
        "c1",
        "John Smith",
        "555-555-1212",
        True,
    )
    assert customer.pending == [CustomerRegistered("John Smith", "555-555-1212")]


@pytest.mark.parametrize(
    ("id", "name", "sms", "message"),
    [
        ("", "John", "555-1212", "the customer id cannot be blank"),
        (" ", "John", "555-1212", "the customer id cannot be blank"),
        ("c1", "", "555-1212", "the customer name cannot be blank"),
        ("c1", "   ", "555-1212", "the customer name cannot be blank"),
        ("c1", "x" * 201, "555-1212", "the customer name cannot be longer than 200 characters"),
        ("c1", "John", "", "the SMS number cannot be blank"),
        ("c1", "John", "  ", "the SMS number cannot be blank"),
        ("c1", "John", "call me", "the SMS number is not valid"),
    ],
)
def test_registration_rules(id: str, name: str, sms: str, message: str) -> None:
    with pytest.raises(BadRequest, match=f"^{message}$"):
        Customer.register(id, name, sms)


@pytest.mark.parametrize(
    "number", ["555-1212", "+1 (555) 555-1212", "555.555.1212", "123", "123456789012345"]
)
def test_sms_numbers_accepted(number: str) -> None:
    assert check_sms_number(f" {number} ") == number


@pytest.mark.parametrize(
    "number", ["12", "1234567890123456", "555-CALL", "++1555", "1+555", "555_1212", "555\n1212"]
)
def test_sms_numbers_refused(number: str) -> None:
    with pytest.raises(BadRequest, match="^the SMS number is not valid$"):
        check_sms_number(number)


def test_disable_and_enable_toggle_and_refuse_repeats() -> None:
    customer = registered()
    customer.disable()
    assert not customer.enabled
    with pytest.raises(BadRequest, match="^the customer is already disabled$"):
        customer.disable()
    customer.enable()
    assert customer.enabled
    with pytest.raises(BadRequest, match="^the customer is already enabled$"):
        customer.enable()
    assert customer.pending == [CustomerDisabled(), CustomerEnabled()]


def test_change_sms_number_records_the_change() -> None:
    customer = registered()
    customer.change_sms_number(" 555-0000 ")
    assert customer.sms_number == "555-0000"
    assert customer.pending == [CustomerSmsChanged("555-0000")]


def test_changing_to_the_same_number_records_nothing() -> None:
    customer = registered()
    customer.change_sms_number("555-1212")
    assert customer.pending == []


@pytest.mark.parametrize(
    ("number", "message"),
    [("", "the SMS number cannot be blank"), ("abc", "the SMS number is not valid")],
)
def test_change_sms_number_rules(number: str, message: str) -> None:
    customer = registered()
    with pytest.raises(BadRequest, match=f"^{message}$"):
        customer.change_sms_number(number)
    assert customer.sms_number == "555-1212"
    assert customer.pending == []


def test_a_disabled_customer_can_still_change_their_number() -> None:
    customer = registered()
    customer.disable()
    customer.change_sms_number("555-9999")
    assert customer.sms_number == "555-9999"


def test_only_an_enabled_customer_is_authorized() -> None:
    customer = registered()
    customer.authorize()
    customer.disable()
    with pytest.raises(Unauthorized, match="^customer is not authorized$") as raised:
        customer.authorize()
    assert (raised.value.code, raised.value.status) == ("UNAUTHORIZED", 401)
    assert customer.pending == [CustomerDisabled()], "authorizing records nothing"
