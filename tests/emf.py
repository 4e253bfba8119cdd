"""The function's log read as CloudWatch reads embedded metric format (EMF) lines.

A JSON line whose `_aws.CloudWatchMetrics` directives name a namespace, dimension sets and metrics,
each metric and dimension a top-level member of the line
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
Neither moto nor the local cloud turns EMF into metrics, so the unit, functional and end-to-end
tests read the lines with this, one reading for all three.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Metric:
    """One value of one metric, as CloudWatch would record it from an EMF line."""

    namespace: str
    dimensions: dict[str, str]
    name: str
    unit: str
    value: float
    timestamp_ms: int
    request_id: str | None


def metrics(log: str) -> list[Metric]:
    """Every metric the EMF lines of `log` declare; other lines (the JSON log, text) are skipped."""
    found = []
    for line in log.splitlines():
        entry = _json_object(line)
        if entry is None or "_aws" not in entry:
            continue
        for directive in entry["_aws"]["CloudWatchMetrics"]:
            for dimension_set in directive["Dimensions"]:
                for metric in directive["Metrics"]:
                    value = entry[metric["Name"]]
                    found.append(
                        Metric(
                            namespace=directive["Namespace"],
                            dimensions={name: entry[name] for name in dimension_set},
                            name=metric["Name"],
                            unit=metric["Unit"],
                            # EMF allows a number or a list of numbers per line.
                            value=float(sum(value) if isinstance(value, list) else value),
                            timestamp_ms=entry["_aws"]["Timestamp"],
                            request_id=entry.get("request_id"),
                        )
                    )
    return found


def by_name(log: str) -> dict[str, Metric]:
    """The metrics of `log` by name, for a log with one value of each."""
    found = metrics(log)
    named = {metric.name: metric for metric in found}
    assert len(named) == len(found), f"a metric is emitted more than once: {found}"
    return named


def _json_object(line: str) -> dict[str, Any] | None:
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    return entry if isinstance(entry, dict) else None
