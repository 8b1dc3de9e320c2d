"""The Prometheus text exposition format (0.0.4) of a collector's metric families."""

from __future__ import annotations

from collections.abc import Iterable

from trust.metrics._families import MetricFamily, MetricKind


def escape_label_value(value: str) -> str:
    r"""Escape a label value as the exposition format requires: ``\``, ``"`` and newline.

    >>> escape_label_value('a"b\nc')
    'a\\"b\\nc'
    """
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(labels: tuple[tuple[str, str], ...]) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{k}="{escape_label_value(v)}"' for k, v in labels)
    return "{" + inner + "}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def render(families: Iterable[MetricFamily]) -> str:
    """``families`` as exposition text, ending with a newline."""
    lines: list[str] = []
    for family in families:
        # The 0.0.4 format names a counter family by its samples' name, ``_total`` included.
        name = f"{family.name}_total" if family.kind is MetricKind.COUNTER else family.name
        lines.append(f"# HELP {name} {family.help}")
        lines.append(f"# TYPE {name} {family.kind.value}")
        lines.extend(
            f"{sample.name}{_labels(sample.labels)} {_number(sample.value)}"
            for sample in family.samples
        )
    return "\n".join(lines) + "\n"
