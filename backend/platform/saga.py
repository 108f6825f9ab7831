"""Sagas: the generic orchestration engine, and the plumbing of participants' replies.

The engine is pure Python, no I/O (``saga_runner`` stores its state). It follows the reference
(section 8.3): it moves through a definition's steps in the current direction (forward, or
backward while compensating), skipping steps that have no command for that direction. A failed
forward step turns the saga around: compensation starts at the step *before* the failing one,
whose own compensation is not run. A failed compensation is an error (the delivery is retried).
The saga is done when no step is left.

Every command carries the saga's headers, among them the step it belongs to and its own id;
participants copy them onto the reply (``reply_to``), so a reply is matched to the step and
command it answers. A reply for another step or command (a duplicate answer, a late answer to a
re-sent command) is ignored.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from backend.platform.consumer import Handler
from backend.platform.errors import DomainError
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
    Message,
    Payload,
    new_message,
)
from backend.platform.services import ServiceUnavailable
from backend.platform.unit_of_work import UnitOfWork

COMMAND_SAGA_STEP = "COMMAND_SAGA_STEP"
COMMAND_SAGA_COMMAND_ID = "COMMAND_SAGA_COMMAND_ID"
REPLY_SAGA_STEP = "REPLY_SAGA_STEP"
REPLY_SAGA_COMMAND_ID = "REPLY_SAGA_COMMAND_ID"

D = TypeVar("D")

FORWARD = "forward"
COMPENSATION = "compensation"
PENDING = "PENDING"
"""The outcome of a history entry whose command has not been answered yet."""


# --- participants ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Success(Payload):
    """The generic reply of a participant whose command succeeded."""

    message_name = "reply.Success"


@dataclass(frozen=True)
class Failure(Payload):
    """The generic reply of a participant whose command failed, with the domain error."""

    message_name = "reply.Failure"
    code: str = ""
    error: str = ""


def reply_to(command: Message, payload: Payload, outcome: str) -> Message:
    """A reply on the command's reply channel; every ``COMMAND_X`` header becomes ``REPLY_X``."""
    channel = command.metadata.get(COMMAND_REPLY_CHANNEL)
    if not channel:
        raise MalformedMessage(f"{command.name} has no {COMMAND_REPLY_CHANNEL} header")
    headers = {
        "REPLY_" + key.removeprefix("COMMAND_"): value
        for key, value in command.metadata.items()
        if key.startswith("COMMAND_") and key != "COMMAND_NAME"
    }
    headers[REPLY_OUTCOME] = outcome
    return new_message(channel, payload, cause=command, metadata=headers)


CommandHandler = Callable[[UnitOfWork, Message], Awaitable[Payload | None]]
Prepare = Callable[[UnitOfWork, Message], Awaitable[None]]


def participant(handler: CommandHandler, prepare: Prepare | None = None) -> Handler:
    """A saga participant's command handler that always replies.

    The handler runs inside a savepoint: if it raises a domain error, its own writes are undone
    and only the inbox row and the failure reply commit. Otherwise its reply (or ``Success``)
    is published with outcome SUCCESS. Other exceptions fail the delivery, which is retried; so
    does another module being unavailable, which must not fail the saga (and reject an order)
    because of an outage.

    ``prepare`` runs first, before the savepoint opens the transaction: the place for network
    calls (reading another module into a cache). Its domain errors are failure replies too.
    """

    async def handle(uow: UnitOfWork, command: Message) -> None:
        try:
            if prepare is not None:
                await prepare(uow, command)
            async with uow.savepoint():
                reply = await handler(uow, command)
        except ServiceUnavailable:
            raise
        except DomainError as exc:
            uow.publish(reply_to(command, Failure(exc.code, str(exc)), OUTCOME_FAILURE))
            return
        uow.publish(reply_to(command, reply or Success(), OUTCOME_SUCCESS))

    return handle


# --- the orchestration engine ----------------------------------------------------------------


class CompensationFailed(RuntimeError):
    """A participant refused a compensating command: the saga cannot finish by itself."""


@dataclass(frozen=True)
class Command:
    """A command to send to a participant: its topic and payload."""

    topic: str
    payload: Payload


@dataclass(frozen=True)
class Reply:
    """A participant's answer; ``step`` and ``command_id`` say what it answers (None and ""
    for a reply from a participant that did not copy those headers: matched to the pending
    step)."""

    name: str
    outcome: str
    payload: Payload
    step: int | None = None
    command_id: str = ""

    @classmethod
    def of(cls, message: Message, payload: Payload) -> Reply:
        """The reply carried by ``message`` (its outcome and saga headers checked)."""
        step = message.metadata.get(REPLY_SAGA_STEP, "")
        try:
            number = int(step) if step else None
        except ValueError:
            raise MalformedMessage(f"reply has an invalid {REPLY_SAGA_STEP}: {step!r}") from None
        return cls(
            message.name,
            reply_outcome(message.metadata),
            payload,
            number,
            message.metadata.get(REPLY_SAGA_COMMAND_ID, ""),
        )


ReplyHandler = Callable[[D, Payload], D]


@dataclass(frozen=True)
class Step(Generic[D]):
    """One row of a saga's table: a forward action, a compensation, or both.

    ``action_replies`` update the saga data from a reply to the action, by reply name. They run
    whatever the outcome (as in the reference).
    """

    action: Callable[[D], Command] | None = None
    compensation: Callable[[D, str], Command] | None = None
    """Made from the data and why the saga compensates (:attr:`SagaState.failure`)."""
    action_replies: Mapping[str, ReplyHandler[D]] = field(default_factory=dict)

    def command(self, data: D, compensating: bool, failure: str = "") -> Command | None:
        if compensating:
            return self.compensation(data, failure) if self.compensation is not None else None
        return self.action(data) if self.action is not None else None


@dataclass(frozen=True)
class SagaDefinition(Generic[D]):
    """A saga's steps. A command unanswered for ``resend_after`` is sent again (participants
    drop a repeat through their inbox); a forward step unanswered for ``deadline`` fails, and
    the saga compensates. Compensations have no deadline: they are re-sent until answered."""

    name: str
    reply_channel: str
    steps: Sequence[Step[D]]
    resend_after: dt.timedelta = dt.timedelta(seconds=30)
    deadline: dt.timedelta = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class HistoryEntry:
    """One command the saga sent: ``outcome`` is PENDING until its reply arrives; ``at`` is when
    the entry last changed; ``error`` is the participant's message on a failure; ``command_id``
    is the command's message id; ``sent_at`` when it was (last) sent, ``sends`` how often."""

    step: int
    direction: str
    command: str
    outcome: str
    at: dt.datetime
    error: str = ""
    command_id: str = ""
    sent_at: dt.datetime | None = None
    sends: int = 1


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

    @property
    def failure(self) -> str:
        """Why the saga compensates: the forward step that failed and its error ("" if none)."""
        for entry in reversed(self.history):
            if entry.direction == FORWARD and entry.outcome == OUTCOME_FAILURE:
                return f"{entry.command} failed: {entry.error or 'no reason given'}"
        return ""

    @property
    def pending(self) -> HistoryEntry | None:
        """The entry of the command in flight, if any."""
        if self.done or not self.history or self.history[-1].outcome != PENDING:
            return None
        return self.history[-1]


@dataclass(frozen=True)
class Transition(Generic[D]):
    """The saga's new state and the command to send with it (None when it is done)."""

    state: SagaState[D]
    command: Command | None


def command_headers(definition: SagaDefinition[D], state: SagaState[D]) -> dict[str, str]:
    """The headers a saga command carries; participants copy them onto their reply."""
    headers = {
        COMMAND_REPLY_CHANNEL: definition.reply_channel,
        COMMAND_SAGA_ID: state.id,
        COMMAND_SAGA_NAME: definition.name,
    }
    if (entry := state.pending) is not None:
        headers[COMMAND_SAGA_STEP] = str(entry.step)
        headers[COMMAND_SAGA_COMMAND_ID] = entry.command_id
    return headers


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


def mismatch(state: SagaState[D], reply: Reply) -> str:
    """Why ``reply`` does not answer the command in flight ("" when it does)."""
    entry = state.pending
    if entry is None:
        return "the saga is done" if state.done else "no command is in flight"
    if reply.step is not None and reply.step != entry.step:
        return f"it answers step {reply.step}, the saga waits on step {entry.step}"
    if reply.command_id and entry.command_id and reply.command_id != entry.command_id:
        return f"it answers command {reply.command_id}, the saga waits on {entry.command_id}"
    return ""


def on_reply(
    definition: SagaDefinition[D], state: SagaState[D], reply: Reply, now: dt.datetime
) -> Transition[D] | None:
    """Handle the reply to the command in flight; None if it answers something else."""
    if mismatch(state, reply):
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
        compensation = step.command(state.data, True, state.failure)
        name = compensation.payload.message_name if compensation else "none"
        raise CompensationFailed(
            f"saga {definition.name} {state.id}: compensation {name}"
            f" at step {state.step} failed: {error or 'no reason given'}"
        )
    return _advance(definition, dataclasses.replace(state, compensating=True), now)


def on_timer(
    definition: SagaDefinition[D],
    state: SagaState[D],
    now: dt.datetime,
    replies_handled_until: dt.datetime | None = None,
) -> Transition[D]:
    """What a silent participant leads to: the same command again (same id) when it has been
    unanswered for ``resend_after``; past the ``deadline`` of a forward step, compensation, as
    if the step had failed. A transition without a command changes nothing.

    ``replies_handled_until``: up to when the saga's reply channel has been handled (None: up
    to now). A reply that came in time but waits unread (the orchestrator was down, or is behind)
    is no silence: the deadline is decided only once the replies that came before it are read,
    and until then the command is re-sent as before the deadline."""
    entry = state.pending
    if entry is None:
        return Transition(state, None)
    started, sent = entry.at, entry.sent_at or entry.at
    deadline = started + definition.deadline
    unread = replies_handled_until is not None and replies_handled_until < deadline
    if state.compensating or now < deadline or unread:
        if now - sent < definition.resend_after:
            return Transition(state, None)
        again = dataclasses.replace(entry, sent_at=now, sends=entry.sends + 1)
        resent = dataclasses.replace(state, history=(*state.history[:-1], again))
        return Transition(
            resent,
            definition.steps[state.step].command(state.data, state.compensating, state.failure),
        )
    error = f"no reply within {definition.deadline.total_seconds():.0f} s"
    failed = _resolve(state.history, OUTCOME_FAILURE, error, now)
    turned = dataclasses.replace(state, history=failed, compensating=True)
    return _advance(definition, turned, now)


def command_id(state: SagaState[D], number: int) -> str:
    """The id of the saga's ``number``-th command (from 0): the same whoever computes it."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"saga:{state.name}:{state.id}:{number}"))


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
        command = definition.steps[index].command(state.data, state.compensating, state.failure)
        if command is not None:
            entry = HistoryEntry(
                index,
                direction,
                command.payload.message_name,
                PENDING,
                now,
                command_id=command_id(state, len(state.history)),
            )
            moved = dataclasses.replace(state, step=index, history=(*state.history, entry))
            return Transition(moved, command)
        index += delta
    return Transition(dataclasses.replace(state, done=True), None)
