"""The customers module's published contract: customer events and the commands it serves."""

from __future__ import annotations

from dataclasses import dataclass

from backend.platform.messages import Contract, Payload

CUSTOMER_TOPIC = "mallbots.customers.events.Customer"
COMMAND_TOPIC = "mallbots.customers.commands"


@dataclass(frozen=True)
class CustomerRegistered(Payload):
    """A customer registered."""

    message_name = "customersapi.CustomerRegistered"
    id: str
    name: str
    sms_number: str


@dataclass(frozen=True)
class CustomerSmsChanged(Payload):
    """A customer changed their SMS number."""

    message_name = "customersapi.CustomerSmsChanged"
    id: str
    sms_number: str


@dataclass(frozen=True)
class CustomerEnabled(Payload):
    """A customer was enabled."""

    message_name = "customersapi.CustomerEnabled"
    id: str


@dataclass(frozen=True)
class CustomerDisabled(Payload):
    """A customer was disabled: sagas will not authorize them."""

    message_name = "customersapi.CustomerDisabled"
    id: str


@dataclass(frozen=True)
class AuthorizeCustomer(Payload):
    """Saga command: succeed if the customer exists and is enabled."""

    message_name = "customersapi.AuthorizeCustomer"
    id: str


contract = Contract("customers")
contract.register(
    CUSTOMER_TOPIC,
    "event",
    CustomerRegistered,
    CustomerSmsChanged,
    CustomerEnabled,
    CustomerDisabled,
)
contract.register(COMMAND_TOPIC, "command", AuthorizeCustomer)
