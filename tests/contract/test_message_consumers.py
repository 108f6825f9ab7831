"""Each consuming module runs its real consumer and handlers over its message pacts' examples.

The module is served alone (its consumer, inbox and handlers on real PostgreSQL and Redis); each
example goes onto its stream as the outbox relay would put it, in the order of the story in
``message_pacts``. The pact files written must equal the committed ones.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pact import Pact

from backend.modules import select_modules
from tests.conftest import Servers
from tests.contract.message_pacts import CONSUMERS, MESSAGES
from tests.contract.messages import describe, examples, feed
from tests.contract.pactfiles import new_pact, participant, write_and_compare
from tests.support.backend import running_backend


@pytest.mark.parametrize("consumer", CONSUMERS)
async def test_consumer_handles_the_messages_of_its_pacts(
    consumer: str, servers: Servers, tmp_path: Path
) -> None:
    mine = [m for m in MESSAGES if m.consumer == consumer]
    pacts: dict[str, Pact] = {}
    for message in mine:
        if message.producer not in pacts:
            pacts[message.producer] = new_pact(participant(consumer), participant(message.producer))
        describe(pacts[message.producer], message)
    found = {key: value for pact in pacts.values() for key, value in examples(pact).items()}
    async with running_backend(
        servers.database_url,
        servers.redis_url,
        select_modules([consumer]),
    ) as backend:
        for message in mine:
            raw, metadata = found[message.message_id]
            assert (metadata["topic"], metadata["message"]) == (message.topic, message.name)
            await feed(backend, consumer, raw)
    for pact in pacts.values():
        write_and_compare(tmp_path, pact)
