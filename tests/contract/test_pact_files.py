"""The committed pacts as a whole: each comes from a consumer test, and every message pact agrees
with the AsyncAPI document (a topic it lists, a message that topic carries)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.contract.http_calls import CALLS, NO_ID, PROVIDERS
from tests.contract.matching import MISSING_ID
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


GATEWAY = Path(__file__).parents[2] / "gateway"
_CALL = re.compile(r'\.call\(\s*"(GET|POST|PUT|DELETE)",\s*(f?"[^"]*"|path)', re.DOTALL)
_PATH = re.compile(r'\bpath = (f?"[^"]*")')
_LOADER = re.compile(r'_loader\(info, "\w+", "([^"]+)", "\w+"\)')


def route(path: str) -> str:
    """A path with every interpolated or example id as ``{}``."""
    path = path.strip('f"')
    return re.sub(r"\{[^}]*\}|" + MISSING_ID + "|" + NO_ID, "{}", path)


def gateway_calls() -> set[tuple[str, str]]:
    """Every backend call in the gateway's source: resolvers (``ctx(info).call``) and loaders."""
    found: set[tuple[str, str]] = set()
    for source in sorted(GATEWAY.rglob("*.py")):
        text = source.read_text()
        for call in _CALL.finditer(text):
            method, path = call.groups()
            if path == "path" or "{path}" in path:  # a variable: its nearest assignment
                assigned = _PATH.findall(text[: call.start()])
                if not assigned:  # the loaders' parameter: below
                    continue
                path = path.replace("{path}", assigned[-1].strip('f"'))
                path = assigned[-1] if path == "path" else path
            found.add((method, route(path)))
        found |= {("GET", route(path)) for path in _LOADER.findall(text)}
    return found


def test_every_backend_call_of_the_gateway_has_a_pact() -> None:
    described = {(call.method, route(call.path)) for call in CALLS}
    calls = gateway_calls()
    assert len(calls) > 30
    assert calls <= described, f"no pact for {sorted(calls - described)}"
