"""Which CloudEvents sources a sender may use: the event-identity rule of ingest.

Business events are deduplicated on ``(source, id)``: the first event stored with a pair wins
and later ones are counted as duplicates. A sender able to use any source could therefore plant
the pair of another system's future event and have the real one dropped. A key limited to
sources (``flowscope keys create --scope ingest --source /erp``) may only send events whose
``source`` is one of them, exactly (OTLP log events: the resource's ``service.name``). An
event from another source is refused on its own — field ``source``, the others of its batch are
kept, as with any invalid item — so a planted pair never reaches the store. Keys without
sources keep the old behaviour: give each producer its own source-limited key.

Pure: standard library and :mod:`collector.model`.
"""

from __future__ import annotations

from collections.abc import Collection

from collector.model import DecodedEvents, ItemError

MAX_SHOWN = 5
"""Sources a refusal names at most."""


def refused_message(source: str, allowed: Collection[str]) -> str:
    """Why an event from ``source`` is refused to a key limited to ``allowed``."""
    names = sorted(allowed)
    shown = ", ".join(names[:MAX_SHOWN]) + (", ..." if len(names) > MAX_SHOWN else "")
    return f"this key may not send events from source {source[:200]!r} (its sources: {shown})"


def limit_sources(decoded: DecodedEvents, allowed: Collection[str]
                  ) -> tuple[DecodedEvents, int]:
    """``decoded`` with the events whose source is not in ``allowed`` turned into errors, and
    how many they were; unchanged when ``allowed`` is empty (the key may use any source)."""
    if not allowed:
        return decoded, 0
    permitted = frozenset(allowed)
    kept = []
    origins = []
    errors = list(decoded.errors)
    for i, event in enumerate(decoded.events):
        index, path = decoded.origin(i)
        if event.source in permitted:
            kept.append(event)
            origins.append((index, path))
        else:
            field = f"{path}.source" if path else "source"
            errors.append(ItemError(index, field, refused_message(event.source, permitted)))
    if len(kept) == len(decoded.events):
        return decoded, 0
    errors.sort(key=lambda e: e.index)
    forbidden = len(decoded.events) - len(kept)
    return DecodedEvents(events=tuple(kept), rejected=len(errors), errors=tuple(errors),
                         ignored=decoded.ignored, origins=tuple(origins)), forbidden

