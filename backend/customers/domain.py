"""The customers domain: a Customer entity kept in a table (not event-sourced) that records the
events its changes raise. Pure Python, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass

from backend.platform.aggregate import DomainEvent
from backend.platform.errors import BadRequest, Unauthorized

MAX_NAME = 200
_SMS_CHARACTERS = re.compile(r"\+?[0-9 ().-]+")
_MIN_SMS_DIGITS, _MAX_SMS_DIGITS = 3, 15


def check_sms_number(sms_number: str) -> str:
    """The SMS number without surrounding blanks; digits with the usual separators only.

    The reference accepts any non-blank text; a number that no SMS gateway could reach is
    refused here instead (3 to 15 digits, E.164's maximum, with an optional leading ``+``).
    """
    number = sms_number.strip()
    if not number:
        raise BadRequest("the SMS number cannot be blank")
    digits = sum(c.isdigit() for c in number)
    if not _SMS_CHARACTERS.fullmatch(number) or not _MIN_SMS_DIGITS <= digits <= _MAX_SMS_DIGITS:
        raise BadRequest("the SMS number is not valid")
    return number


@dataclass(frozen=True)
class CustomerRegistered(DomainEvent):
    event_type = "customers.CustomerRegistered"
    name: str
    sms_number: str


@dataclass(frozen=True)
class CustomerEnabled(DomainEvent):
    event_type = "customers.CustomerEnabled"


@dataclass(frozen=True)
class CustomerDisabled(DomainEvent):
    event_type = "customers.CustomerDisabled"


@dataclass(frozen=True)
class CustomerSmsChanged(DomainEvent):
    event_type = "customers.CustomerSmsChanged"
    sms_number: str


class Customer:
    """A mall customer. Command methods check the rules, change the state and record the event
    in ``pending``, which the application turns into integration events."""

    def __init__(self, id: str, name: str, sms_number: str, enabled: bool) -> None:
        self.id = id
        self.name = name
        self.sms_number = sms_number
        self.enabled = enabled
        self.pending: list[DomainEvent] = []

    @classmethod
    def register(cls, id: str, name: str, sms_number: str) -> Customer:
        if not id.strip():
            raise BadRequest("the customer id cannot be blank")
        if not name.strip():
            raise BadRequest("the customer name cannot be blank")
        if len(name.strip()) > MAX_NAME:
            raise BadRequest(f"the customer name cannot be longer than {MAX_NAME} characters")
        customer = cls(id, name.strip(), check_sms_number(sms_number), enabled=True)
        customer.pending.append(CustomerRegistered(customer.name, customer.sms_number))
        return customer

    def enable(self) -> None:
        if self.enabled:
            raise BadRequest("the customer is already enabled")
        self.enabled = True
        self.pending.append(CustomerEnabled())

    def disable(self) -> None:
        if not self.enabled:
            raise BadRequest("the customer is already disabled")
        self.enabled = False
        self.pending.append(CustomerDisabled())

    def change_sms_number(self, sms_number: str) -> None:
        """Change the number (C1); the same number again changes nothing and records nothing."""
        number = check_sms_number(sms_number)
        if number == self.sms_number:
            return
        self.sms_number = number
        self.pending.append(CustomerSmsChanged(number))

    def authorize(self) -> None:
        """A saga may act for this customer only while it is enabled; nothing is recorded."""
        if not self.enabled:
            raise Unauthorized("customer is not authorized")
