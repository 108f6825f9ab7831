"""Every consumer → producer message pair of the integration matrix, as a table.

A pact message is the whole envelope as it goes to Redis (``Message.to_json``: id, name, subject,
occurred_at, schema_version, payload, metadata with correlation, causation and saga headers); its
Pact metadata names the topic and the message, which the AsyncAPI agreement test checks.

The examples tell one coherent story (the ids of ``matching.EXAMPLE_IDS``: the order id is the
one ordering derives from the basket id), so that each consumer can run its real handlers over
its pacts' examples in order: a cache is filled before an order refers to it, an order is created
before it is approved. Each message names the producer state that makes the producer send it.
"""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass
from typing import Any

from pact import match

from backend.platform.messages import (
    COMMAND_REPLY_CHANNEL,
    COMMAND_SAGA_ID,
    COMMAND_SAGA_NAME,
    REPLY_OUTCOME,
    REPLY_SAGA_ID,
    REPLY_SAGA_NAME,
)
from tests.contract import http_calls as shapes
from tests.contract.matching import EXAMPLE_IDS, money, timestamp, uuid

ID = EXAMPLE_IDS
SAGA = "cosec.CreateOrder"
REPLIES = "mallbots.cosec.replies.CreateOrder"
STORE, PRODUCT = "mallbots.stores.events.Store", "mallbots.stores.events.Product"
CUSTOMER, BASKET = "mallbots.customers.events.Customer", "mallbots.baskets.events.Basket"
ORDER, SHOPPING = "mallbots.ordering.events.Order", "mallbots.depot.events.ShoppingList"
INVOICE = "mallbots.payments.events.Invoice"
CUSTOMER_COMMANDS, DEPOT_COMMANDS = "mallbots.customers.commands", "mallbots.depot.commands"
PAYMENT_COMMANDS, ORDER_COMMANDS = "mallbots.payments.commands", "mallbots.ordering.commands"
COMMAND_SAGA_STEP, COMMAND_SAGA_COMMAND_ID = "COMMAND_SAGA_STEP", "COMMAND_SAGA_COMMAND_ID"
REPLY_SAGA_STEP, REPLY_SAGA_COMMAND_ID = "REPLY_SAGA_STEP", "REPLY_SAGA_COMMAND_ID"

# Producer states (set up by provider_states.STATES).
STORE_STATE = "a participating store with a product exists"
STORE_CHANGED = "a store was rebranded and its product rebranded, repriced and removed"
CUSTOMER_STATE = "a customer exists"
SMS_CHANGED = "a customer changed their SMS number"
APPROVED = "an order is approved and its shopping list is available"
READY = "an order is ready and its invoice pending"
COMPLETED = "an order is completed"
CANCELED = "an approved order was cancelled"
UNAUTHORIZED = "a disabled customer checked out"
UNPAID = "a basket was checked out with a payment that does not cover it"
OPEN_BASKET = "an open basket with an item exists"
PRODUCT_GONE = "a basket was checked out after its product was removed"


@dataclass(frozen=True)
class Msg:
    consumer: str
    producer: str
    topic: str
    name: str
    state: str
    payload: Any
    kind: str = "event"
    """``event``, ``caused`` (an event a message caused), ``command`` or ``reply``."""
    outcome: str = "SUCCESS"
    reply_to: str = ""
    """For a reply: the command it answers (how the verifier finds the producer's reply)."""
    step: str = "1"
    schema_version: int = 1
    older: bool = False
    """An older schema version, upcast by the consumer: producers that were not upgraded yet
    still send it, and it stays on the stream. Pending for the provider, which sends the
    current version now."""

    @property
    def description(self) -> str:
        about = f" to {self.reply_to}" if self.reply_to else ""
        version = f" (schema version {self.schema_version})" if self.older else ""
        of = f" of {self.payload['projection']}" if self.name == "projections.Updated" else ""
        return f"{self.name}{about}{of}{version} on {self.topic}"

    @property
    def message_id(self) -> str:
        """A fixed id per interaction: the consumer's inbox must see each example as new."""
        return str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"{self.consumer}:{self.description}"))

    def envelope(self) -> dict[str, Any]:
        metadata: dict[str, Any] = {"correlation_id": uuid(ID["basket_id"])}
        if self.kind != "event":
            metadata["causation_id"] = uuid(ID["basket_id"])
        if self.kind == "command":
            metadata |= {
                COMMAND_REPLY_CHANNEL: REPLIES,
                COMMAND_SAGA_ID: uuid(ID["order_id"]),
                COMMAND_SAGA_NAME: SAGA,
                COMMAND_SAGA_STEP: match.regex(self.step, regex=r"^\d+$"),
                COMMAND_SAGA_COMMAND_ID: uuid(self.message_id),
            }
        if self.kind == "reply":
            metadata |= {
                REPLY_SAGA_ID: uuid(ID["order_id"]),
                REPLY_SAGA_NAME: SAGA,
                REPLY_OUTCOME: self.outcome,
                REPLY_SAGA_STEP: match.regex(self.step, regex=r"^\d+$"),
                REPLY_SAGA_COMMAND_ID: uuid(),
            }
        return {
            "id": uuid(self.message_id),
            "name": self.name,
            "subject": self.topic,
            "occurred_at": timestamp(),
            "schema_version": self.schema_version,
            "payload": self.payload,
            "metadata": metadata,
        }


def text(example: str) -> Any:
    return match.str(example)


STORE_CREATED = {"id": uuid(ID["store_id"]), "name": text("Waldorf Books"),
                 "location": text("West Upper Level")}  # fmt: skip
PARTICIPATION = {"id": uuid(ID["store_id"]), "participating": match.bool(True)}
STORE_REBRANDED = {"id": uuid(ID["store_id"]), "name": text("Waldorf Books & Games")}
PRODUCT_ADDED = {"id": uuid(ID["product_id"]), "store_id": uuid(ID["store_id"]),
                 "name": text("EDA with Golang"), "description": text(""), "sku": text("1234"),
                 "price": money()}  # fmt: skip
PRODUCT_REBRANDED = {"id": uuid(ID["product_id"]), "name": text("EDA with Go"),
                     "description": text("2nd edition")}  # fmt: skip
PRICE_UP = {"id": uuid(ID["product_id"]), "delta": money("10.00"), "price": money("59.99")}
PRICE_DOWN = {"id": uuid(ID["product_id"]), "delta": money("-20.00"), "price": money("39.99")}
PRODUCT_REMOVED = {"id": uuid(ID["product_id"])}
CUSTOMER_REGISTERED = {"id": uuid(ID["customer_id"]), "name": text("Buyer #1"),
                       "sms_number": text("555-1212")}  # fmt: skip
SMS = {"id": uuid(ID["customer_id"]), "sms_number": text("555-0000")}
ITEM = {"store_id": uuid(ID["store_id"]), "product_id": uuid(ID["product_id"]),
        "store_name": text("Waldorf Books"), "product_name": text("EDA with Golang"),
        "price": money(), "quantity": match.int(1)}  # fmt: skip
CHECKED_OUT = {"id": uuid(ID["basket_id"]), "customer_id": uuid(ID["customer_id"]),
               "payment_id": uuid(ID["payment_id"]), "items": match.each_like(ITEM)}  # fmt: skip
ORDER_IDS = {"id": uuid(ID["order_id"]), "customer_id": uuid(ID["customer_id"]),
             "payment_id": uuid(ID["payment_id"])}  # fmt: skip
ORDER_CREATED = {**ORDER_IDS, "shopping_id": text(""), "items": match.each_like(ITEM)}
ORDER_APPROVED = {**ORDER_IDS, "shopping_id": uuid(ID["list_id"])}
ORDER_READIED = {**ORDER_IDS, "total": money()}
ORDER_CANCELED = {**ORDER_IDS, "shopping_id": uuid(ID["list_id"])}
ORDER_COMPLETED = {"id": uuid(ID["order_id"]), "customer_id": uuid(ID["customer_id"]),
                   "invoice_id": uuid(ID["order_id"])}  # fmt: skip
LIST_COMPLETED = {"id": uuid(ID["list_id"]), "order_id": uuid(ID["order_id"])}
INVOICE_PAID = {"id": uuid(ID["order_id"]), "order_id": uuid(ID["order_id"])}
AUTHORIZE = {"id": uuid(ID["customer_id"])}
CREATE_LIST = {"order_id": uuid(ID["order_id"]),
               "items": match.each_like({"product_id": uuid(ID["product_id"]),
                                         "store_id": uuid(ID["store_id"]),
                                         "quantity": match.int(1)})}  # fmt: skip
LIST = {"id": uuid(ID["list_id"])}
CONFIRM = {"id": uuid(ID["payment_id"]), "amount": money(), "order_id": uuid(ID["order_id"]),
           "customer_id": uuid(ID["customer_id"])}  # fmt: skip
CONFIRM_V1 = {"id": uuid(ID["payment_id"]), "amount": money()}
APPROVE = {"id": uuid(ID["order_id"]), "shopping_id": uuid(ID["list_id"])}
REJECT = {"id": uuid(ID["order_id"])}
FAILURE = {"code": text("BAD_REQUEST"), "error": text("the customer is disabled")}


def projection(name: str, key: str, state: Any) -> dict[str, Any]:
    return {"projection": name, "key": uuid(ID[key]), "state": state}


def store_events(consumer: str, *names: str) -> list[Msg]:
    every = {
        "storesapi.StoreCreated": (STORE, STORE_STATE, STORE_CREATED),
        "storesapi.StoreParticipatingToggled": (STORE, STORE_STATE, PARTICIPATION),
        "storesapi.StoreRebranded": (STORE, STORE_CHANGED, STORE_REBRANDED),
        "storesapi.ProductAdded": (PRODUCT, STORE_STATE, PRODUCT_ADDED),
        "storesapi.ProductRebranded": (PRODUCT, STORE_CHANGED, PRODUCT_REBRANDED),
        "storesapi.ProductPriceIncreased": (PRODUCT, STORE_CHANGED, PRICE_UP),
        "storesapi.ProductPriceDecreased": (PRODUCT, STORE_CHANGED, PRICE_DOWN),
        "storesapi.ProductRemoved": (PRODUCT, STORE_CHANGED, PRODUCT_REMOVED),
    }
    return [Msg(consumer, "stores", *every[n][:1], n, *every[n][1:]) for n in names]


def order_events(consumer: str, *names: str) -> list[Msg]:
    every = {
        "ordersapi.OrderCreated": (APPROVED, ORDER_CREATED),
        "ordersapi.OrderApproved": (APPROVED, ORDER_APPROVED),
        "ordersapi.OrderReadied": (READY, ORDER_READIED),
        "ordersapi.OrderCompleted": (COMPLETED, ORDER_COMPLETED),
        "ordersapi.OrderCanceled": (CANCELED, ORDER_CANCELED),
        "ordersapi.OrderRejected": (UNAUTHORIZED, ORDER_IDS),
    }
    by_http = {"ordersapi.OrderCanceled"}  # cancelled over HTTP: no message caused it
    return [
        Msg(consumer, "ordering", ORDER, n, *every[n], kind="event" if n in by_http else "caused")
        for n in names
    ]


_STORES_ALL = ("storesapi.StoreCreated", "storesapi.StoreParticipatingToggled",
               "storesapi.StoreRebranded", "storesapi.ProductAdded", "storesapi.ProductRebranded",
               "storesapi.ProductPriceIncreased", "storesapi.ProductPriceDecreased",
               "storesapi.ProductRemoved")  # fmt: skip
_STORES_NAMES = ("storesapi.StoreCreated", "storesapi.StoreRebranded", "storesapi.ProductAdded",
                 "storesapi.ProductRebranded")  # fmt: skip

# In the order each consumer is fed its examples.
# fmt: off
MESSAGES: tuple[Msg, ...] = (
    *store_events("baskets", *_STORES_ALL),
    *store_events("depot", *_STORES_NAMES[:3], "storesapi.ProductRebranded"),
    Msg("depot", "cosec", DEPOT_COMMANDS, "depotapi.CreateShoppingListCommand", APPROVED,
        CREATE_LIST, kind="command", step="2"),
    Msg("depot", "cosec", DEPOT_COMMANDS, "depotapi.InitiateShoppingCommand", APPROVED, LIST,
        kind="command", step="4"),
    Msg("depot", "cosec", DEPOT_COMMANDS, "depotapi.CancelShoppingListCommand", UNPAID, LIST,
        kind="command", step="2"),
    *order_events("depot", "ordersapi.OrderCanceled"),
    *store_events("depot", "storesapi.ProductRemoved"),
    *store_events("search", *_STORES_NAMES),
    Msg("search", "customers", CUSTOMER, "customersapi.CustomerRegistered", CUSTOMER_STATE,
        CUSTOMER_REGISTERED),
    *order_events("search", "ordersapi.OrderCreated", "ordersapi.OrderApproved",
                  "ordersapi.OrderReadied", "ordersapi.OrderCompleted", "ordersapi.OrderCanceled",
                  "ordersapi.OrderRejected"),
    Msg("notifications", "customers", CUSTOMER, "customersapi.CustomerRegistered",
        CUSTOMER_STATE, CUSTOMER_REGISTERED),
    Msg("notifications", "customers", CUSTOMER, "customersapi.CustomerSmsChanged", SMS_CHANGED,
        SMS),
    *order_events("notifications", "ordersapi.OrderCreated", "ordersapi.OrderReadied",
                  "ordersapi.OrderCompleted", "ordersapi.OrderCanceled"),
    Msg("customers", "cosec", CUSTOMER_COMMANDS, "customersapi.AuthorizeCustomer", APPROVED,
        AUTHORIZE, kind="command"),
    Msg("ordering", "baskets", BASKET, "basketsapi.BasketCheckedOut", APPROVED, CHECKED_OUT),
    Msg("ordering", "cosec", ORDER_COMMANDS, "ordersapi.ApproveOrder", APPROVED, APPROVE,
        kind="command", step="5"),
    Msg("ordering", "depot", SHOPPING, "depotapi.ShoppingListCompleted", READY, LIST_COMPLETED),
    Msg("ordering", "payments", INVOICE, "paymentsapi.InvoicePaid", COMPLETED, INVOICE_PAID),
    Msg("ordering", "cosec", ORDER_COMMANDS, "ordersapi.RejectOrder", UNAUTHORIZED, REJECT,
        kind="command", step="0"),
    *order_events("payments", "ordersapi.OrderReadied", "ordersapi.OrderCanceled"),
    Msg("payments", "cosec", PAYMENT_COMMANDS, "paymentsapi.ConfirmPayment", APPROVED, CONFIRM,
        kind="command", step="3", schema_version=2),
    Msg("payments", "cosec", PAYMENT_COMMANDS, "paymentsapi.ConfirmPayment", APPROVED,
        CONFIRM_V1, kind="command", step="3", older=True),
    *order_events("cosec", "ordersapi.OrderCreated"),
    Msg("cosec", "customers", REPLIES, "reply.Success", APPROVED, {}, kind="reply",
        reply_to="customersapi.AuthorizeCustomer"),
    Msg("cosec", "depot", REPLIES, "depotapi.CreatedShoppingListReply", APPROVED, LIST,
        kind="reply", reply_to="depotapi.CreateShoppingListCommand", step="2"),
    Msg("cosec", "payments", REPLIES, "reply.Success", APPROVED, {}, kind="reply",
        reply_to="paymentsapi.ConfirmPayment", step="3"),
    Msg("cosec", "depot", REPLIES, "reply.Success", APPROVED, {}, kind="reply",
        reply_to="depotapi.InitiateShoppingCommand", step="4"),
    Msg("cosec", "ordering", REPLIES, "reply.Success", APPROVED, {}, kind="reply",
        reply_to="ordersapi.ApproveOrder", step="5"),
    Msg("cosec", "customers", REPLIES, "reply.Failure", UNAUTHORIZED, FAILURE, kind="reply",
        outcome="FAILURE", reply_to="customersapi.AuthorizeCustomer"),
    Msg("cosec", "payments", REPLIES, "reply.Failure", UNPAID, FAILURE, kind="reply",
        outcome="FAILURE", reply_to="paymentsapi.ConfirmPayment", step="3"),
    Msg("cosec", "depot", REPLIES, "reply.Success", UNPAID, {}, kind="reply",
        reply_to="depotapi.CancelShoppingListCommand", step="2"),
    Msg("cosec", "depot", REPLIES, "reply.Failure", PRODUCT_GONE, FAILURE, kind="reply",
        outcome="FAILURE", reply_to="depotapi.CreateShoppingListCommand", step="2"),
    Msg("cosec", "ordering", REPLIES, "reply.Success", UNAUTHORIZED, {}, kind="reply",
        reply_to="ordersapi.RejectOrder", step="0"),
    # the gateway's subscriptions read the projection streams
    Msg("gateway", "stores", "mallbots.projections.catalog", "projections.Updated", STORE_STATE,
        projection("catalog", "store_id", {**shapes.PRODUCT, "removed": False})),
    Msg("gateway", "baskets", "mallbots.projections.baskets", "projections.Updated", OPEN_BASKET,
        projection("baskets", "basket_id", shapes.basket("open"))),
    Msg("gateway", "ordering", "mallbots.projections.orders", "projections.Updated", APPROVED,
        projection("orders", "order_id", shapes.ORDER)),
    Msg("gateway", "depot", "mallbots.projections.shopping_lists", "projections.Updated",
        APPROVED, projection("shopping_lists", "list_id", shapes.shopping_list("available"))),
)
# fmt: on

PAIRS = tuple(dict.fromkeys((m.consumer, m.producer) for m in MESSAGES))
CONSUMERS = tuple(dict.fromkeys(m.consumer for m in MESSAGES if m.consumer != "gateway"))
PRODUCERS = tuple(dict.fromkeys(m.producer for m in MESSAGES))
