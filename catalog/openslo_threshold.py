"""Latency thresholds of OpenSLO ``thresholdMetric`` objectives, always with an explicit unit.

OpenSLO writes an objective's ``value`` as a bare number in the metric's own unit, which the
file does not state: ``value: 500`` may mean 500 ms or 500 s. flowscope never guesses. The unit
comes either with the value, as a duration (``value: 500ms``, ``value: 2m``; see
:mod:`catalog.durations`), or from the flowscope metric source, which declares it
(``spec: {flow: order-to-cash, metric: flow_time, unit: ms}``; units ``ms``, ``s``, ``m``,
``h``). A bare number without a declared unit is refused with both readings spelled out.

Pure: standard library, the YAML node classes and :mod:`catalog` only.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from yaml.nodes import Node, ScalarNode

from catalog.durations import format_duration, parse_duration
from catalog.reader import STR, SpecReader

UNIT_MS: dict[str, Decimal] = {
    "ms": Decimal(1), "s": Decimal(1000), "m": Decimal(60_000), "h": Decimal(3_600_000),
}
"""Units a flowscope metric source may declare, in milliseconds."""
UNITS = tuple(UNIT_MS)
_NUMBER = frozenset("0123456789.-")


def read_threshold(r: SpecReader, node: Node, path: str, unit: str | None) -> timedelta | None:
    """The latency threshold ``value`` at ``node``: a duration, or a number in ``unit``."""
    text = str(node.value).strip() if isinstance(node, ScalarNode) else ""
    if isinstance(node, ScalarNode) and node.tag == STR and text and not set(text) <= _NUMBER:
        try:
            return parse_duration(text)
        except ValueError as exc:
            r.report(node, path, str(exc))
            return None
    amount = r.number(node, path)
    if amount is None:
        return None
    if amount <= 0:
        r.report(node, path, f"must be more than 0, got {amount}")
        return None
    if unit is None:
        r.report(node, path, f"{amount} has no unit: it could be read as {_reading(amount, 's')} "
                 f"or as {_reading(amount, 'ms')}; write the unit (value: {amount}ms or value: "
                 f"{amount}s) or declare it in the metric source (spec: {{flow: ..., metric: "
                 f"flow_time, unit: ms}})")
        return None
    ms = amount * UNIT_MS[unit]
    if ms % 1:
        r.report(node, path, f"must be a whole number of milliseconds, got {amount}{unit}")
        return None
    return timedelta(milliseconds=int(ms))


def _reading(amount: Decimal, unit: str) -> str:
    """``120 seconds (2m)``: ``amount`` in ``unit``, and in a larger unit when it is whole."""
    name = {"s": "seconds", "ms": "milliseconds"}[unit]
    ms = amount * UNIT_MS[unit]
    larger = format_duration(timedelta(milliseconds=int(ms))) if not ms % 1 else ""
    shown = f" ({larger})" if larger and larger.lstrip("0123456789") != unit else ""
    return f"{amount} {name}{shown}"
