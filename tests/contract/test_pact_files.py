"""The committed pacts as a whole: each comes from a consumer test, and every message pact agrees
with the AsyncAPI document (a topic it lists, a message that topic carries)."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.contract.http_calls import PROVIDERS
from tests.contract.message_pacts import MESSAGES
from tests.contract.pactfiles import PACTS, file_name, load, participant

ASYNCAPI = Path(__file__).parents[2] / "docs" / "asyncapi.yaml"


def expected_files() -> set[str]:
    http = {file_name("gateway", participant(module)) for module in PROVIDERS}
    messages = {
        file_name(
            "gateway" if m.consumer == "gateway" else participant(m.consumer),
            participant(m.producer),
        )
        for m in MESSAGES
    }
    return http | messages


def test_every_committed_pact_is_written_by_a_consumer_test() -> None:
    committed = {path.name for path in PACTS.glob("*.json")}
    assert committed == expected_files()


def channel_messages() -> dict[str, set[str]]:
    document = yaml.safe_load(ASYNCAPI.read_text())
    return {
        topic: {ref["$ref"].rsplit("/", 1)[-1] for ref in channel["subscribe"]["message"]["oneOf"]}
        for topic, channel in document["channels"].items()
    }


def test_every_message_pact_names_a_topic_and_message_of_the_asyncapi_document() -> None:
    channels = channel_messages()
    checked = 0
    for path in sorted(PACTS.glob("*.json")):
        for interaction in load(path)["interactions"]:
            if interaction["type"] != "Asynchronous/Messages":
                continue
            topic, name = interaction["metadata"]["topic"], interaction["metadata"]["message"]
            where = f"{path.name}: {interaction['description']}"
            assert topic in channels, f"{where}: topic {topic} is not in docs/asyncapi.yaml"
            assert name in channels[topic], f"{where}: {topic} carries no {name} in the AsyncAPI"
            assert interaction["contents"]["content"]["subject"] == topic, where
            assert interaction["contents"]["content"]["name"] == name, where
            checked += 1
    assert checked == len({(m.consumer, m.description) for m in MESSAGES})
