"""The create-order saga: a declarative table of steps and the orchestrator that walks it.

Pure Python, no I/O. The orchestrator follows the reference (section 8.3): it moves through the
steps in the current direction (forward, or backward while compensating), skipping steps that
have no command for that direction. A failed forward step turns the saga around: compensation
starts at the step *before* the failing one, whose own compensation is not run. A failed
compensation is an error (the delivery is retried). The saga is done when no step is left.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Generic, TypeVar

from backend.cosec.messages import SAGA_NAME
from backend.customers import messages as customers
from backend.depot import messages as depot
from backend.ordering import messages as ordering
from backend.payments import messages as payments
from backend.platform.messages import (
    COMMAND_REPLY_CHANNEL,
    COMMAND_SAGA_ID,
    COMMAND_SAGA_NAME,
    OUTCOME_FAILURE,
    OUTCOME_SUCCESS,
    REPLY_OUTCOME,
    REPLY_SAGA_ID,
    REPLY_SAGA_NAME,
    MalformedMessage,
    Payload,
)
from backend.platform.saga import Failure

D = TypeVar("D")

FORWARD = "forward"
COMPENSATION = "compensation"
PENDING = "PENDING"
"""The outcome of a history entry whose command has not been answered yet."""


class CompensationFailed(RuntimeError):
    """A participant refused a compensating command: the saga cannot finish by itself."""


@dataclass(frozen=True)
class Command:
    """A command to send to a participant: its topic and payload."""

    topic: str
    payload: Payload


@dataclass(frozen=True)
class Reply:
    """A participant's answer to the saga's current command."""

    name: str
    outcome: str
    payload: Payload


ReplyHandler = Callable[[D, Payload], D]


@dataclass(frozen=True)
class Step(Generic[D]):
    """One row of a saga's table: a forward action, a compensation, or both.

    ``action_replies`` update the saga data from a reply to the action, by reply name. They run
    whatever the outcome (as in the reference).
    """

    action: Callable[[D], Command] | None = None
    compensation: Callable[[D], Command] | None = None
    action_replies: Mapping[str, ReplyHandler[D]] = field(default_factory=dict)

    def command(self, data: D, compensating: bool) -> Command | None:
        make = self.compensation if compensating else self.action
        return make(data) if make is not None else None


@dataclass(frozen=True)
class SagaDefinition(Generic[D]):
    name: str
    reply_channel: str
    steps: Sequence[Step[D]]


@dataclass(frozen=True)
class HistoryEntry:
    """One command the saga sent: ``outcome`` is PENDING until its reply arrives; ``at`` is when
    the entry last changed; ``error`` is the participant's message on a failure."""

    step: int
    direction: str
    command: str
    outcome: str
    at: dt.datetime
    error: str = ""


@dataclass(frozen=True)
class SagaState(Generic[D]):
    """``step`` is the step whose command is in flight (or the last one run, once done)."""

    id: str
    name: str
    data: D
    step: int
    done: bool
    compensating: bool
    history: tuple[HistoryEntry, ...] = ()


@dataclass(frozen=True)
class Transition(Generic[D]):
    """The saga's new state and the command to send with it (None when it is done)."""

    state: SagaState[D]
    command: Command | None


def command_headers(definition: SagaDefinition[D], saga_id: str) -> dict[str, str]:
    """The headers every saga command carries; participants copy them onto their reply."""
    return {
        COMMAND_REPLY_CHANNEL: definition.reply_channel,
        COMMAND_SAGA_ID: saga_id,
        COMMAND_SAGA_NAME: definition.name,
    }


def reply_saga_id(definition: SagaDefinition[D], metadata: Mapping[str, str]) -> str | None:
    """The id of this saga's instance a reply is for; None for a headerless or foreign reply."""
    saga_id = metadata.get(REPLY_SAGA_ID, "")
    if not saga_id or metadata.get(REPLY_SAGA_NAME) != definition.name:
        return None
    return saga_id


def reply_outcome(metadata: Mapping[str, str]) -> str:
    """SUCCESS or FAILURE; any other value (or none) makes the reply malformed."""
    outcome = metadata.get(REPLY_OUTCOME, "")
    if outcome not in (OUTCOME_SUCCESS, OUTCOME_FAILURE):
        raise MalformedMessage(f"reply has no valid {REPLY_OUTCOME} header: {outcome!r}")
    return outcome


def start(definition: SagaDefinition[D], saga_id: str, data: D, now: dt.datetime) -> Transition[D]:
    """A new saga instance, moved to its first step."""
    state = SagaState(saga_id, definition.name, data, step=-1, done=False, compensating=False)
    return _advance(definition, state, now)


def on_reply(
    definition: SagaDefinition[D], state: SagaState[D], reply: Reply, now: dt.datetime
) -> Transition[D] | None:
    """Handle the reply to the current step's command; None if the saga is already done."""
    if state.done:
        return None
    step = definition.steps[state.step]
    data = state.data
    if not state.compensating and (handler := step.action_replies.get(reply.name)):
        data = handler(data, reply.payload)
    failed = reply.outcome == OUTCOME_FAILURE
    error = reply.payload.error if failed and isinstance(reply.payload, Failure) else ""
    state = dataclasses.replace(
        state, data=data, history=_resolve(state.history, reply.outcome, error, now)
    )
    if reply.outcome == OUTCOME_SUCCESS:
        return _advance(definition, state, now)
    if state.compensating:
        compensation = step.command(state.data, compensating=True)
        name = compensation.payload.message_name if compensation else "none"
        raise CompensationFailed(
            f"saga {definition.name} {state.id}: compensation {name}"
            f" at step {state.step} failed: {error or 'no reason given'}"
        )
    return _advance(definition, dataclasses.replace(state, compensating=True), now)


def _resolve(
    history: tuple[HistoryEntry, ...], outcome: str, error: str, now: dt.datetime
) -> tuple[HistoryEntry, ...]:
    """The history with its last (pending) entry given the reply's outcome."""
    if not history:
        return history
    last = dataclasses.replace(history[-1], outcome=outcome, at=now, error=error)
    return (*history[:-1], last)


def _advance(definition: SagaDefinition[D], state: SagaState[D], now: dt.datetime) -> Transition[D]:
    """Move to the next step with a command in the current direction, or finish."""
    delta = -1 if state.compensating else 1
    direction = COMPENSATION if state.compensating else FORWARD
    index = state.step + delta
    while 0 <= index < len(definition.steps):
        command = definition.steps[index].command(state.data, state.compensating)
        if command is not None:
            entry = HistoryEntry(index, direction, command.payload.message_name, PENDING, now)
            moved = dataclasses.replace(state, step=index, history=(*state.history, entry))
            return Transition(moved, command)
        index += delta
    return Transition(dataclasses.replace(state, done=True), None)


# --- the create-order saga -------------------------------------------------------------------


@dataclass(frozen=True)
class SagaItem:
    product_id: str
    store_id: str
    price: Decimal
    quantity: int


@dataclass(frozen=True)
class CreateOrderData:
    """What the create-order saga knows; ``shopping_id`` arrives with depot's reply."""

    order_id: str
    customer_id: str
    payment_id: str
    shopping_id: str
    items: list[SagaItem]
    total: Decimal

    @classmethod
    def from_order(cls, order: ordering.OrderCreated) -> CreateOrderData:
        items = [SagaItem(i.product_id, i.store_id, i.price, i.quantity) for i in order.items]
        total = sum((i.price * i.quantity for i in items), Decimal(0))
        return cls(order.id, order.customer_id, order.payment_id, order.shopping_id, items, total)


def _shopping_list_created(data: CreateOrderData, reply: Payload) -> CreateOrderData:
    if isinstance(reply, depot.CreatedShoppingListReply):
        return dataclasses.replace(data, shopping_id=reply.id)
    return data


def _reject_order(d: CreateOrderData) -> Command:
    return Command(ordering.COMMAND_TOPIC, ordering.RejectOrder(d.order_id))


def _authorize_customer(d: CreateOrderData) -> Command:
    return Command(customers.COMMAND_TOPIC, customers.AuthorizeCustomer(d.customer_id))


def _create_shopping_list(d: CreateOrderData) -> Command:
    items = [depot.ShoppingItem(i.product_id, i.store_id, i.quantity) for i in d.items]
    return Command(depot.COMMAND_TOPIC, depot.CreateShoppingList(d.order_id, items))


def _cancel_shopping_list(d: CreateOrderData) -> Command:
    return Command(depot.COMMAND_TOPIC, depot.CancelShoppingList(d.shopping_id))


def _confirm_payment(d: CreateOrderData) -> Command:
    return Command(payments.COMMAND_TOPIC, payments.ConfirmPayment(d.payment_id, d.total))


def _initiate_shopping(d: CreateOrderData) -> Command:
    return Command(depot.COMMAND_TOPIC, depot.InitiateShopping(d.shopping_id))


def _approve_order(d: CreateOrderData) -> Command:
    return Command(ordering.COMMAND_TOPIC, ordering.ApproveOrder(d.order_id, d.shopping_id))


CREATE_ORDER_STEPS: tuple[Step[CreateOrderData], ...] = (
    Step(compensation=_reject_order),                                   # 0
    Step(action=_authorize_customer),                                   # 1
    Step(action=_create_shopping_list, compensation=_cancel_shopping_list,
         action_replies={depot.CreatedShoppingListReply.message_name: _shopping_list_created}),
    Step(action=_confirm_payment),                                      # 3
    Step(action=_initiate_shopping),                                    # 4
    Step(action=_approve_order),                                        # 5
)  # fmt: skip

CREATE_ORDER = SagaDefinition(SAGA_NAME, depot.REPLY_TOPIC, CREATE_ORDER_STEPS)
