"""Which flow run a span or business event belongs to: flow name and correlation id.

Rules, for spans (:meth:`Tagger.span`, :func:`correlate_span`):

1. A flow's correlation value is the first non-empty value of its ``correlation_key`` found in
   the span attributes, then the resource attributes, then W3C baggage copied into attributes
   as ``baggage.<key>`` (span, then resource). Baggage copied under the same key, as the
   OpenTelemetry ``BaggageSpanProcessor`` does, is simply a span attribute.
2. The flows whose correlation value is present are the candidates. Among them the one whose
   steps or start/success matchers name the span's service and span name wins, then one naming
   the service, then the first in file order.
3. An explicit ``flowscope.correlation_id`` attribute (same lookup order) wins over any key:
   it is the correlation id, and the flow is chosen among the candidates as above, or among all
   flows naming the service when no key is present (no such flow: no tag).
4. An explicit ``flowscope.flow`` naming a catalog flow is taken when that flow is a candidate,
   or whenever the correlation id is explicit.

No correlation id → no tag (``None``).

Business events (:meth:`Tagger.event`, :func:`correlate_event`) follow the same rules with a
caller-supplied ``lookup`` (CloudEvents extensions and data, or log attributes) and prefer the
flow whose start, success or failure lists the event type. The outcome is ``"start"``,
``"success"`` or ``"failure"`` when the chosen flow lists the type there (in that order of
precedence), else ``""``.

Values are looked up *after* redaction, so a hashed correlation key yields a hashed id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from catalog.model import Catalog, Flow
from collector.attributes import format_double

FLOW_ATTR = "flowscope.flow"
"""Span attribute the collector adds: the flow's name."""

CORRELATION_ATTR = "flowscope.correlation_id"
"""Span attribute the collector adds (and honours when a producer sets it): the correlation id."""

BAGGAGE_PREFIX = "baggage."
"""Prefix of W3C baggage entries copied into attributes by some processors."""

_CACHE_LIMIT = 4096

Lookup = Callable[[str], "str | None"]


class Tagger:
    """The catalog's correlation rules, precomputed once; reuse one per catalog.

    Holds a bounded memo of flow choices (by service, span name and present keys); the results
    never depend on it.
    """

    __slots__ = (
        "_by_name",
        "_event_cache",
        "_flows",
        "_span_cache",
        "keys",
        "lookup_keys",
    )

    def __init__(self, catalog: Catalog) -> None:
        self._flows = catalog.flows
        self._by_name = {f.name: f for f in catalog.flows}
        self.keys: tuple[str, ...] = catalog.correlation_keys()
        """Distinct correlation keys, file order."""
        names = {*self.keys, CORRELATION_ATTR, FLOW_ATTR}
        self.lookup_keys: frozenset[str] = frozenset(names | {BAGGAGE_PREFIX + k for k in names})
        """Every attribute key the span rules read: capture only these while decoding."""
        self._span_cache: dict[tuple[str, str, str, tuple[str, ...], bool], Flow | None] = {}
        self._event_cache: dict[tuple[str, str, tuple[str, ...], bool], Flow | None] = {}

    @property
    def active(self) -> bool:
        """False when the catalog has no flows, so nothing can ever be tagged."""
        return bool(self._flows)

    # --- spans -------------------------------------------------------------------------------

    def span(
        self,
        *,
        service: str,
        span_name: str,
        span_attrs: Mapping[str, str],
        resource_attrs: Mapping[str, str],
    ) -> tuple[str, str] | None:
        """``(flow, correlation_id)`` of a span, or ``None``.

        The attribute mappings need hold only the :attr:`lookup_keys`.
        """
        if not self._flows:
            return None

        def value(key: str) -> str | None:
            v = span_attrs.get(key) or resource_attrs.get(key)
            if v:
                return v
            bkey = BAGGAGE_PREFIX + key
            return span_attrs.get(bkey) or resource_attrs.get(bkey) or None

        explicit = value(CORRELATION_ATTR)
        present = tuple(k for k in self.keys if value(k))
        if explicit is None and not present:
            return None
        named = value(FLOW_ATTR) or ""
        flow = self._span_choice(service, span_name, named, present, explicit is not None)
        if flow is None:
            return None
        cid = explicit if explicit is not None else value(flow.correlation_key)
        return (flow.name, cid) if cid else None

    def span_flow(self, service: str, span_name: str, present: tuple[str, ...]) -> Flow | None:
        """The flow of a span whose attributes hold only correlation keys (no explicit tags).

        ``present`` lists the correlation keys with a non-empty value, in :attr:`keys` order.
        The decoders' fast path: the correlation id is then the value of ``flow.correlation_key``.
        """
        return self._span_choice(service, span_name, "", present, False)

    def _span_choice(
        self, service: str, span_name: str, named: str, present: tuple[str, ...], explicit: bool
    ) -> Flow | None:
        cache_key = (service, span_name, named, present, explicit)
        flow = self._span_cache.get(cache_key, _MISSING)
        if flow is _MISSING:
            flow = self._pick_span_flow(service, span_name, named, present, explicit)
            if len(self._span_cache) >= _CACHE_LIMIT:
                self._span_cache.clear()
            self._span_cache[cache_key] = flow
        return flow

    def _pick_span_flow(
        self, service: str, span_name: str, named: str, present: tuple[str, ...], explicit: bool
    ) -> Flow | None:
        candidates = [f for f in self._flows if f.correlation_key in present]
        chosen = self._by_name.get(named)
        if chosen is not None and (explicit or chosen in candidates):
            return chosen
        if not candidates and not explicit:
            return None
        scored = [(_span_score(f, service, span_name), f) for f in candidates or self._flows]
        best = max(scored, key=lambda pair: pair[0], default=(0, None))
        if not candidates and best[0] == 0:
            return None
        return best[1]

    # --- events ------------------------------------------------------------------------------

    def event(self, *, event_type: str, lookup: Lookup) -> tuple[str, str, str] | None:
        """``(flow, correlation_id, outcome)`` of a business event, or ``None``.

        ``lookup(name)`` returns the value of attribute ``name`` (a correlation key,
        ``flowscope.correlation_id`` or ``flowscope.flow``) or ``None``.
        """
        if not self._flows:
            return None
        values = {k: lookup(k) for k in self.keys}
        present = tuple(k for k, v in values.items() if v)
        explicit = lookup(CORRELATION_ATTR) or None
        if explicit is None and not present:
            return None
        named = lookup(FLOW_ATTR) or ""
        cache_key = (event_type, named, present, explicit is not None)
        flow = self._event_cache.get(cache_key, _MISSING)
        if flow is _MISSING:
            flow = self._pick_event_flow(event_type, named, present, explicit is not None)
            if len(self._event_cache) >= _CACHE_LIMIT:
                self._event_cache.clear()
            self._event_cache[cache_key] = flow
        if flow is None:
            return None
        cid = explicit if explicit is not None else values[flow.correlation_key]
        if not cid:
            return None
        return flow.name, cid, outcome_of(flow, event_type)

    def _pick_event_flow(
        self, event_type: str, named: str, present: tuple[str, ...], explicit: bool
    ) -> Flow | None:
        candidates = [f for f in self._flows if f.correlation_key in present]
        chosen = self._by_name.get(named)
        if chosen is not None and (explicit or chosen in candidates):
            return chosen
        for f in candidates or self._flows:
            if event_type in f.event_types():
                return f
        return candidates[0] if candidates else None


_MISSING: Flow | None = Flow(name="\0missing", correlation_key="")


def _span_score(flow: Flow, service: str, span_name: str) -> int:
    """2 when a step or matcher names this service and span, 1 when it names the service."""
    score = 0
    for named_service, named_span in (
        *((s.service, s.span) for s in flow.steps),
        (flow.start.service, flow.start.span),
        (flow.success.service, flow.success.span),
    ):
        if named_service == service:
            if named_span == span_name:
                return 2
            score = 1
    return score


def outcome_of(flow: Flow, event_type: str) -> str:
    """``"start"``, ``"success"``, ``"failure"`` or ``""`` for ``event_type`` in ``flow``."""
    if event_type in flow.start.events:
        return "start"
    if event_type in flow.success.events:
        return "success"
    if event_type in flow.failure.events:
        return "failure"
    return ""


def data_value(data: Any, key: str) -> str | None:
    """The scalar at ``key`` in decoded event data: the member literally named ``key``
    (``{"order.id": ...}``), else the dotted path (``{"order": {"id": ...}}``); as a string.

    Objects, arrays, null and a missing key give ``None``.
    """
    if not isinstance(data, dict):
        return None
    if key in data:
        return _scalar(data[key])
    node: Any = data
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return _scalar(node)


def _scalar(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_double(value)
    return None


@lru_cache(maxsize=8)
def tagger_for(catalog: Catalog) -> Tagger:
    """The :class:`Tagger` of ``catalog`` (memoised; catalogs are immutable)."""
    return Tagger(catalog)


def correlate_span(
    catalog: Catalog,
    *,
    span_attrs: Mapping[str, str],
    resource_attrs: Mapping[str, str],
    service: str,
    span_name: str,
) -> tuple[str, str] | None:
    """``(flow, correlation_id)`` of a span under ``catalog``'s rules, or ``None``."""
    return tagger_for(catalog).span(
        service=service, span_name=span_name, span_attrs=span_attrs, resource_attrs=resource_attrs
    )


def correlate_event(
    catalog: Catalog, *, event_type: str, lookup: Lookup
) -> tuple[str, str, str] | None:
    """``(flow, correlation_id, outcome)`` of a business event, or ``None``."""
    return tagger_for(catalog).event(event_type=event_type, lookup=lookup)
