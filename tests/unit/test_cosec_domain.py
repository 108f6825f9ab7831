"""The create-order saga's step table and orchestrator: every path, without servers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from decimal import Decimal

import pytest

from backend.cosec.domain import CREATE_ORDER, CREATE_ORDER_STEPS, CreateOrderData, SagaItem
from backend.cosec.messages import SAGA_NAME
from backend.customers.messages import COMMAND_TOPIC as CUSTOMERS
from backend.customers.messages import AuthorizeCustomer
from backend.depot.messages import COMMAND_TOPIC as DEPOT
from backend.depot.messages import (
    REPLY_TOPIC,
    CancelShoppingList,
    CreatedShoppingListReply,
    CreateShoppingList,
    InitiateShopping,
    ShoppingItem,
)
from backend.ordering.messages import COMMAND_TOPIC as ORDERING
from backend.ordering.messages import ApproveOrder, OrderCreated, OrderItem, RejectOrder
from backend.payments.messages import COMMAND_TOPIC as PAYMENTS
from backend.payments.messages import ConfirmPayment
from backend.platform.messages import (
    OUTCOME_FAILURE,
    OUTCOME_SUCCESS,
    MalformedMessage,
    Payload,
)
from backend.platform.saga import (
    COMPENSATION,
    FORWARD,
    PENDING,
    Command,
    CompensationFailed,
    Failure,
    HistoryEntry,
    Reply,
    SagaDefinition,
    SagaState,
    Step,
    Success,
    Transition,
    command_headers,
    mismatch,
    on_reply,
    on_timer,
    reply_outcome,
    reply_saga_id,
    start,
)

T0 = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
T1 = dt.datetime(2026, 1, 1, 12, 5, tzinfo=dt.UTC)

ORDER = OrderCreated(
    "o1",
    "c1",
    "p1",
    "",
    [
        OrderItem("pr1", "s1", Decimal("10.50"), 2),
        OrderItem("pr2", "s2", Decimal("3.25"), 1),
    ],
)
DATA = CreateOrderData.from_order(ORDER)
ID_0, ID_1 = (str(uuid.uuid5(uuid.NAMESPACE_URL, f"saga:{SAGA_NAME}:o1:{n}")) for n in (0, 1))

AUTHORIZE = Command(CUSTOMERS, AuthorizeCustomer("c1"))
CREATE_LIST = Command(
    DEPOT, CreateShoppingList("o1", [ShoppingItem("pr1", "s1", 2), ShoppingItem("pr2", "s2", 1)])
)
CONFIRM = Command(PAYMENTS, ConfirmPayment("p1", Decimal("24.25"), "o1", "c1"))
INITIATE = Command(DEPOT, InitiateShopping("sl1"))
APPROVE = Command(ORDERING, ApproveOrder("o1", "sl1"))
CANCEL_LIST = Command(DEPOT, CancelShoppingList("sl1"))
REJECT = Command(ORDERING, RejectOrder("o1"))
FORWARD_COMMANDS = [AUTHORIZE, CREATE_LIST, CONFIRM, INITIATE, APPROVE]


def ok(payload: Payload | None = None) -> Reply:
    payload = payload or Success()
    return Reply(payload.message_name, OUTCOME_SUCCESS, payload)


def failed(error: str = "it went wrong") -> Reply:
    return Reply(Failure.message_name, OUTCOME_FAILURE, Failure("BAD_REQUEST", error))


def participant(command: Command, fail: bool) -> Reply:
    """Depot answers CreateShoppingList with the new list's id; everyone else generically."""
    if fail:
        return failed()
    if isinstance(command.payload, CreateShoppingList):
        return ok(CreatedShoppingListReply("sl1"))
    return ok()


def run(fail_at: int | None = None) -> tuple[list[Command], SagaState[CreateOrderData]]:
    """Drive the saga to its end; the forward step ``fail_at`` fails, everything else succeeds."""
    transition = start(CREATE_ORDER, "o1", DATA, T0)
    sent: list[Command] = []
    while transition.command is not None:
        sent.append(transition.command)
        state = transition.state
        fail = state.step == fail_at and not state.compensating
        answered = on_reply(CREATE_ORDER, state, participant(transition.command, fail), T1)
        assert answered is not None
        transition = answered
    return sent, transition.state


def test_saga_data_comes_from_the_order_with_its_total() -> None:
    data = CreateOrderData.from_order(ORDER)
    assert data == CreateOrderData(
        order_id="o1",
        customer_id="c1",
        payment_id="p1",
        shopping_id="",
        items=[
            SagaItem("pr1", "s1", Decimal("10.50"), 2),
            SagaItem("pr2", "s2", Decimal("3.25"), 1),
        ],
        total=Decimal("24.25"),
    )
    assert isinstance(data.total, Decimal)


def test_the_step_table_is_the_reference_one() -> None:
    shape = [
        (s.action is not None, s.compensation is not None, set(s.action_replies))
        for s in CREATE_ORDER_STEPS
    ]
    assert shape == [
        (False, True, set()),
        (True, False, set()),
        (True, True, {"depotapi.CreatedShoppingListReply"}),
        (True, False, set()),
        (True, False, set()),
        (True, False, set()),
    ]
    assert (CREATE_ORDER.name, CREATE_ORDER.reply_channel) == (
        "cosec.CreateOrder",
        "mallbots.cosec.replies.CreateOrder",
    )


def test_start_skips_step_0_and_authorizes_the_customer() -> None:
    transition = start(CREATE_ORDER, "o1", DATA, T0)
    assert transition == Transition(
        SagaState(
            id="o1",
            name=SAGA_NAME,
            data=DATA,
            step=1,
            done=False,
            compensating=False,
            history=(
                HistoryEntry(
                    1, FORWARD, "customersapi.AuthorizeCustomer", PENDING, T0, command_id=ID_0
                ),
            ),
        ),
        AUTHORIZE,
    )


def test_a_reply_resolves_the_pending_entry_and_sends_the_next_command() -> None:
    first = start(CREATE_ORDER, "o1", DATA, T0)
    second = on_reply(CREATE_ORDER, first.state, ok(), T1)
    assert second is not None
    assert second.command == CREATE_LIST
    assert second.state.step == 2
    assert second.state.history == (
        HistoryEntry(
            1, FORWARD, "customersapi.AuthorizeCustomer", OUTCOME_SUCCESS, T1, command_id=ID_0
        ),
        HistoryEntry(
            2, FORWARD, "depotapi.CreateShoppingListCommand", PENDING, T1, command_id=ID_1
        ),
    )
    assert first.state.step == 1, "states are values: the old one is unchanged"


def test_happy_path_runs_every_step_and_approves_with_the_shopping_list() -> None:
    sent, state = run()
    assert sent == FORWARD_COMMANDS
    assert (state.step, state.done, state.compensating) == (5, True, False)
    assert state.data.shopping_id == "sl1"
    assert [(e.step, e.direction, e.outcome, e.error) for e in state.history] == [
        (step, FORWARD, OUTCOME_SUCCESS, "") for step in range(1, 6)
    ]
    assert [e.command for e in state.history] == [c.payload.message_name for c in sent]


@pytest.mark.parametrize(
    ("fail_at", "compensations"),
    [
        (1, [REJECT]),
        (2, [REJECT]),
        (3, [CANCEL_LIST, REJECT]),
        (4, [CANCEL_LIST, REJECT]),
        (5, [CANCEL_LIST, REJECT]),
    ],
)
def test_a_failed_step_runs_the_compensations_before_it(
    fail_at: int, compensations: list[Command]
) -> None:
    sent, state = run(fail_at)
    failing = FORWARD_COMMANDS[fail_at - 1].payload.message_name
    why = f"{failing} failed: it went wrong"  # the order says why it was rejected
    compensations = [
        Command(c.topic, RejectOrder("o1", why)) if c == REJECT else c for c in compensations
    ]
    assert sent == FORWARD_COMMANDS[:fail_at] + compensations
    assert (state.step, state.done, state.compensating) == (0, True, True)
    history = [(e.step, e.direction, e.command, e.outcome, e.error) for e in state.history]
    forward = [(i, FORWARD, c.payload.message_name) for i, c in enumerate(sent[:fail_at], 1)]
    assert history[: fail_at - 1] == [(*f, OUTCOME_SUCCESS, "") for f in forward[:-1]]
    assert history[fail_at - 1] == (*forward[-1], OUTCOME_FAILURE, "it went wrong")
    compensation_steps = [2, 0] if len(compensations) == 2 else [0]
    assert history[fail_at:] == [
        (step, COMPENSATION, c.payload.message_name, OUTCOME_SUCCESS, "")
        for step, c in zip(compensation_steps, compensations, strict=True)
    ]


def test_a_failed_create_shopping_list_reply_still_sets_the_list_but_is_not_compensated() -> None:
    at_step_2 = on_reply(CREATE_ORDER, start(CREATE_ORDER, "o1", DATA, T0).state, ok(), T0)
    assert at_step_2 is not None
    reply = Reply(
        CreatedShoppingListReply.message_name, OUTCOME_FAILURE, CreatedShoppingListReply("sl9")
    )
    compensating = on_reply(CREATE_ORDER, at_step_2.state, reply, T1)
    assert compensating is not None
    assert compensating.state.data.shopping_id == "sl9"
    assert compensating.command == Command(
        ORDERING, RejectOrder("o1", "depotapi.CreateShoppingListCommand failed: no reason given")
    )
    assert compensating.state.history[-2].outcome == OUTCOME_FAILURE
    assert compensating.state.history[-2].error == ""


def test_replies_to_compensations_do_not_run_action_reply_handlers() -> None:
    pending = HistoryEntry(2, COMPENSATION, "depotapi.CancelShoppingListCommand", PENDING, T0)
    compensating = SagaState(
        "o1", SAGA_NAME, DATA, step=2, done=False, compensating=True, history=(pending,)
    )
    after = on_reply(CREATE_ORDER, compensating, ok(CreatedShoppingListReply("other")), T1)
    assert after is not None
    assert after.state.data.shopping_id == ""
    assert after.command == REJECT


@pytest.mark.parametrize(
    ("step", "command"), [(2, "depotapi.CancelShoppingListCommand"), (0, "ordersapi.RejectOrder")]
)
def test_a_failed_compensation_is_an_error(step: int, command: str) -> None:
    state = SagaState(
        "o1",
        SAGA_NAME,
        DATA,
        step=step,
        done=False,
        compensating=True,
        history=(HistoryEntry(step, COMPENSATION, command, PENDING, T0),),
    )
    with pytest.raises(CompensationFailed) as raised:
        on_reply(CREATE_ORDER, state, failed("the shopping list cannot be canceled"), T1)
    assert str(raised.value) == (
        f"saga cosec.CreateOrder o1: compensation {command} at step {step} failed:"
        " the shopping list cannot be canceled"
    )


def test_a_failed_compensation_without_a_reason_says_so() -> None:
    pending = HistoryEntry(0, COMPENSATION, "ordersapi.RejectOrder", PENDING, T0)
    state = SagaState("o1", SAGA_NAME, DATA, 0, done=False, compensating=True, history=(pending,))
    reply = Reply(
        CreatedShoppingListReply.message_name, OUTCOME_FAILURE, CreatedShoppingListReply("x")
    )
    with pytest.raises(CompensationFailed, match="at step 0 failed: no reason given$"):
        on_reply(CREATE_ORDER, state, reply, T1)


def test_a_reply_to_a_finished_saga_is_ignored() -> None:
    _, state = run()
    assert on_reply(CREATE_ORDER, state, ok(), T1) is None
    _, compensated = run(3)
    assert on_reply(CREATE_ORDER, compensated, failed(), T1) is None


def test_steps_without_a_command_are_skipped_both_ways_and_the_end_is_done() -> None:
    def make(name: str) -> Step[str]:
        return Step(action=lambda d: Command("t", Failure("", f"{name}:{d}")))

    undo = Step[str](compensation=lambda d, why: Command("t", Failure("", f"undo:{d}")))
    steps = (undo, Step[str](), make("a"), Step[str](), make("b"), Step[str]())
    definition = SagaDefinition("test.Saga", "replies", steps)
    first = start(definition, "x", "data", T0)
    assert (first.state.step, first.command) == (2, Command("t", Failure("", "a:data")))
    second = on_reply(definition, first.state, ok(), T0)
    assert second is not None
    assert (second.state.step, second.command) == (4, Command("t", Failure("", "b:data")))
    finished = on_reply(definition, second.state, ok(), T0)
    assert finished is not None
    assert finished.command is None
    assert (finished.state.step, finished.state.done) == (4, True), "a trailing empty step ends it"
    back = on_reply(definition, second.state, failed(), T0)
    assert back is not None
    assert (back.state.step, back.command) == (0, Command("t", Failure("", "undo:data")))
    assert [e.step for e in back.state.history] == [2, 4, 0]


def test_a_failure_with_nothing_to_compensate_ends_the_saga() -> None:
    definition = SagaDefinition("test.Saga", "replies", (Step[str](action=lambda d: AUTHORIZE),))
    first = start(definition, "x", "data", T0)
    ended = on_reply(definition, first.state, failed(), T1)
    assert ended is not None
    assert ended.command is None
    assert (ended.state.step, ended.state.done, ended.state.compensating) == (0, True, True)


def test_a_saga_with_no_commands_is_done_at_once() -> None:
    transition = start(SagaDefinition[str]("test.Saga", "replies", (Step(),)), "x", "d", T0)
    assert transition.command is None
    assert (transition.state.step, transition.state.done) == (-1, True)


def test_commands_carry_the_saga_headers() -> None:
    state = start(CREATE_ORDER, "o1", DATA, T0).state
    assert state.pending is not None
    assert command_headers(CREATE_ORDER, state) == {
        "COMMAND_REPLY_CHANNEL": REPLY_TOPIC,
        "COMMAND_SAGA_ID": "o1",
        "COMMAND_SAGA_NAME": "cosec.CreateOrder",
        "COMMAND_SAGA_STEP": "1",
        "COMMAND_SAGA_COMMAND_ID": state.pending.command_id,
    }


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ({"REPLY_SAGA_ID": "o1", "REPLY_SAGA_NAME": "cosec.CreateOrder"}, "o1"),
        ({}, None),
        ({"REPLY_SAGA_NAME": "cosec.CreateOrder"}, None),
        ({"REPLY_SAGA_ID": "", "REPLY_SAGA_NAME": "cosec.CreateOrder"}, None),
        ({"REPLY_SAGA_ID": "o1"}, None),
        ({"REPLY_SAGA_ID": "o1", "REPLY_SAGA_NAME": "other.Saga"}, None),
    ],
)
def test_replies_without_headers_or_for_another_saga_are_not_ours(
    metadata: dict[str, str], expected: str | None
) -> None:
    assert reply_saga_id(CREATE_ORDER, metadata) == expected


def test_a_reply_outcome_must_be_success_or_failure() -> None:
    assert reply_outcome({"REPLY_OUTCOME": "SUCCESS"}) == OUTCOME_SUCCESS
    assert reply_outcome({"REPLY_OUTCOME": "FAILURE"}) == OUTCOME_FAILURE
    for metadata in ({}, {"REPLY_OUTCOME": "MAYBE"}):
        with pytest.raises(MalformedMessage, match="reply has no valid REPLY_OUTCOME header"):
            reply_outcome(metadata)


def answer(state: SagaState[CreateOrderData], reply: Reply, **headers: object) -> Reply:
    """``reply`` with the saga headers of the command in flight (overridden by ``headers``)."""
    assert state.pending is not None
    fields = {"step": state.pending.step, "command_id": state.pending.command_id, **headers}
    return dataclasses.replace(reply, **fields)  # type: ignore[arg-type]


def test_a_reply_is_matched_to_the_step_and_command_it_answers() -> None:
    first = start(CREATE_ORDER, "o1", DATA, T0).state
    second = on_reply(CREATE_ORDER, first, answer(first, ok()), T1)
    assert second is not None and second.state.step == 2
    late = answer(first, ok())  # another answer to step 1, once the saga is on step 2
    assert mismatch(second.state, late) == "it answers step 1, the saga waits on step 2"
    assert on_reply(CREATE_ORDER, second.state, late, T1) is None
    foreign = answer(second.state, ok(CreatedShoppingListReply("sl1")), command_id="other")
    assert mismatch(second.state, foreign).startswith("it answers command other")
    assert on_reply(CREATE_ORDER, second.state, foreign, T1) is None
    right = on_reply(CREATE_ORDER, second.state, answer(second.state, ok()), T1)
    assert right is not None and right.state.step == 3


def test_commands_get_distinct_ids_that_are_the_same_whoever_computes_them() -> None:
    _, state = run()
    ids = [entry.command_id for entry in state.history]
    assert len(set(ids)) == len(ids) == 5
    assert run()[1].history == state.history


def test_a_silent_step_is_sent_again_with_the_same_id_then_compensated_past_its_deadline() -> None:
    definition = dataclasses.replace(
        CREATE_ORDER, resend_after=dt.timedelta(seconds=30), deadline=dt.timedelta(minutes=2)
    )
    first = start(definition, "o1", DATA, T0).state
    assert first.pending is not None
    quiet = on_timer(definition, first, T0 + dt.timedelta(seconds=29))
    assert quiet == Transition(first, None)
    again = on_timer(definition, first, T0 + dt.timedelta(seconds=31))
    assert again.command == AUTHORIZE
    assert again.state.pending is not None
    assert again.state.pending.command_id == first.pending.command_id
    assert again.state.pending.sends == 2
    assert on_timer(definition, again.state, T0 + dt.timedelta(seconds=45)).command is None
    late = T0 + dt.timedelta(minutes=2, seconds=1)
    gave_up = on_timer(definition, again.state, late)
    silent = "customersapi.AuthorizeCustomer failed: no reply within 120 s"
    assert gave_up.command == Command(ORDERING, RejectOrder("o1", silent))
    assert gave_up.state.compensating
    assert gave_up.state.history[0].outcome == OUTCOME_FAILURE
    assert gave_up.state.history[0].error == "no reply within 120 s"
    # A compensation has no deadline: it is sent again for as long as nobody answers.
    later = on_timer(definition, gave_up.state, late + dt.timedelta(hours=1))
    assert later.command == gave_up.command and not later.state.done


def test_a_deadline_is_decided_only_on_replies_already_read() -> None:
    """Past the deadline, a reply may still wait unread on the channel (the orchestrator was
    down): until the replies that came before the deadline are read, the step is no silence."""
    definition = dataclasses.replace(
        CREATE_ORDER, resend_after=dt.timedelta(seconds=30), deadline=dt.timedelta(minutes=2)
    )
    first = start(definition, "o1", DATA, T0).state
    late = T0 + dt.timedelta(minutes=3)
    behind = T0 + dt.timedelta(minutes=1)  # the channel is read up to a minute in
    waiting = on_timer(definition, first, late, replies_handled_until=behind)
    assert waiting.command == AUTHORIZE  # sent again, not given up
    assert not waiting.state.compensating
    read = T0 + dt.timedelta(minutes=2, seconds=1)
    gave_up = on_timer(definition, waiting.state, late, replies_handled_until=read)
    assert gave_up.state.compensating
    assert gave_up.command is not None and isinstance(gave_up.command.payload, RejectOrder)


def test_the_timer_leaves_a_finished_saga_alone() -> None:
    _, state = run()
    assert on_timer(CREATE_ORDER, state, T1 + dt.timedelta(days=1)) == Transition(state, None)
