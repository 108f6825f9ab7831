"""What tracing and metrics cost: ``addBasketItem`` at 16 and 64 clients with tracing on (every
trace sampled, exported over OTLP/HTTP to a receiver on 127.0.0.1 that discards it) and metrics
on, against the same stack with both off (``OTEL_*`` unset, ``MALLBOTS_METRICS=off``), in the
same run; and, for comparison, with 10% of the traces sampled. Each configuration is its own
backend and gateway processes on a fresh database and a Redis database of its own."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import urlsplit, urlunsplit

import psutil

from tests.bench.mutation import Load, add_item_bodies, drive
from tests.bench.report import Row, median
from tests.bench.stack import MallStack, mall_stack
from tests.support.otlp import otlp_receiver


def _database(redis_url: str, db: int) -> str:
    """The same Redis server, another database: each stack flushes and owns its own."""
    parts = urlsplit(redis_url)
    return urlunsplit(parts._replace(path=f"/{db}"))


def _tracing(endpoint: str, sampler: str, ratio: str) -> dict[str, str]:
    return {
        "MALLBOTS_METRICS": "on",
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_TRACES_SAMPLER": sampler,
        "OTEL_TRACES_SAMPLER_ARG": ratio,
    }


CONFIGS = ("off", "on", "sampled")
"""Tracing and metrics off; on with every trace sampled (the case); on with 10% of the traces
sampled (what a busy deployment would run, for comparison)."""


async def observability_rows(database_url: str, redis_url: str, smoke: bool) -> list[Row]:
    """The three stacks run side by side; each client count is measured in alternating rounds
    (off, on, sampled, off, on, sampled), so that drift in the machine's load hits all alike.
    Besides throughput and latency, the CPU time the gateway and backend processes spend per
    mutation, which other work on the machine disturbs much less than throughput."""
    levels, rounds = ((1, 2), 1) if smoke else ((16, 64), 2)
    warmup, seconds = (0.1, 0.3) if smoke else (1.0, 5.0)
    results: dict[tuple[str, int], list[Load]] = {}
    cpu: dict[tuple[str, int], list[float]] = {}
    """CPU milliseconds of the gateway and backend processes per mutation, per round."""
    async with otlp_receiver(keep=False) as every, otlp_receiver(keep=False) as tenth:
        envs = {
            "off": {"MALLBOTS_METRICS": "off"},
            "on": _tracing(every.url, "always_on", "1.0"),
            "sampled": _tracing(tenth.url, "parentbased_traceidratio", "0.1"),
        }
        async with (
            mall_stack(database_url, _database(redis_url, 1), envs["off"]) as off,
            mall_stack(database_url, _database(redis_url, 2), envs["on"]) as on,
            mall_stack(database_url, _database(redis_url, 3), envs["sampled"]) as sampled,
        ):
            stacks = {name: stack for name, stack in zip(CONFIGS, (off, on, sampled), strict=True)}
            requests = {
                name: await add_item_bodies(stack, max(levels)) for name, stack in stacks.items()
            }
            received_before = every.received
            for clients in levels:
                for _ in range(rounds):
                    for name, stack in stacks.items():
                        bodies, bearer = requests[name]
                        load, used = await _round(stack, bodies, bearer, clients, warmup, seconds)
                        results.setdefault((name, clients), []).append(load)
                        cpu.setdefault((name, clients), []).append(used)
            received = every.received - received_before
    if received == 0 or tenth.received == 0:
        raise RuntimeError("tracing was on but an OTLP receiver got no span")
    measured = sum(x.rate * seconds for c in levels for x in results[("on", c)])
    rows = [  # warm-up requests send spans too: this overstates a little
        Row("spans exported per addBasketItem (tracing on)", received / measured, "spans", "",
            None),
    ]  # fmt: skip
    anchor = "the same, tracing and metrics off"
    for clients in levels:
        off_loads = results[("off", clients)]
        for name, label, target in (("on", "100%", "≥ 0.85× off"), ("sampled", "10%", "")):
            loads = results[(name, clients)]
            case = f"addBasketItem, {clients} clients, tracing ({label}, OTLP) + metrics on"
            rows += [
                Row(case, _mean(x.rate for x in loads), "mutations/s", anchor,
                    _mean(x.rate for x in off_loads), target=target),
                Row(f"{case} p50", _mean(median(x.latencies) for x in loads), "ms", anchor,
                    _mean(median(x.latencies) for x in off_loads), higher_is_better=False),
                Row(f"{case}: gateway + backend CPU per mutation", _mean(cpu[(name, clients)]),
                    "ms", anchor, _mean(cpu[("off", clients)]), higher_is_better=False),
            ]  # fmt: skip
    return rows


async def _round(
    stack: MallStack,
    bodies: Callable[[int], list[bytes]],
    bearer: dict[str, str],
    clients: int,
    warmup: float,
    seconds: float,
) -> tuple[Load, float]:
    """One round of load on ``stack``: its result, and the CPU milliseconds its gateway and
    backend spent per mutation over the round's measured part."""
    servers = [psutil.Process(stack.gateway.pid), psutil.Process(stack.backend.pid)]
    readings: list[float] = []

    def read() -> None:
        readings.append(_cpu_seconds(servers))

    load = await drive(stack.gateway.url, bodies, clients, warmup, seconds, bearer, (read, read))
    used = readings[1] - readings[0]
    return load, used * 1000 / max(load.rate * seconds, 1)


def _cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        times = process.cpu_times()
        total += times.user + times.system
    return total


def _mean(values: Iterable[float]) -> float:
    found = list(values)
    return sum(found) / len(found)
