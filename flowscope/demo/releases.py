"""The demo's catalog: the example catalog plus releases dated inside the demo's history. Pure.

``flowscope demo`` without ``--catalog`` serves ``<data-dir>/demo-catalog.yaml``: the text of
``examples/catalog.yaml`` with the ``releases:`` of order-to-cash and lead-to-demo set to the
releases of :func:`demo_releases` (any releases those flows declare in the example are
replaced). The day comes from :func:`release_day`, relative to the end of the first backfill of
the data directory, and is kept in the demo's marker file so every rerun declares the same day;
the traffic simulates the change from midnight UTC of that day on
(:func:`flowscope.demo.plan.behaviour_at`, :func:`release_instant_ns`).

:func:`with_releases` edits the YAML text in place of the flow's ``releases:`` (or after the
flow's last line), so comments, anchors and layout of the rest of the file stay as written.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from catalog.model import Release

RELEASE_DAYS_BACK = 10
"""Days between the demo's release and the end of its first backfill (a long enough history)."""

DEMO_RELEASES = (
    (
        "order-to-cash",
        "2.5",
        "payments trusts Stripe's webhook instead of polling slow charges; erp-sync checks "
        "invoices before NetSuite sees them",
    ),
    ("lead-to-demo", "1.4", "crm-sync backs off on HubSpot rate limits"),
)
"""(flow, version, note) of each release the demo declares and simulates."""

NS_PER_DAY = 86400 * 1_000_000_000


def release_day(history_end_ns: int, days: int) -> date:
    """The UTC day of the demo's release for a first backfill of ``days`` days ending at Unix
    ``history_end_ns``: :data:`RELEASE_DAYS_BACK` (10) days before its end, or ``(days - 1) //
    2`` days (at least 1) for a shorter history, so at least as much history precedes the
    release as follows it."""
    back = max(1, min(RELEASE_DAYS_BACK, (days - 1) // 2))
    end = datetime.fromtimestamp(history_end_ns // 1_000_000_000, UTC).date()
    return end - timedelta(days=back)


def release_instant_ns(day: date) -> int:
    """Midnight UTC starting ``day``, in Unix ns: the instant the simulated behaviour changes."""
    return (day - date(1970, 1, 1)).days * NS_PER_DAY


def demo_releases(day: date) -> dict[str, tuple[Release, ...]]:
    """The releases of :data:`DEMO_RELEASES`, all on ``day``, by flow."""
    return {flow: (Release(version, day, note),) for flow, version, note in DEMO_RELEASES}


def with_releases(text: str, releases: Mapping[str, Sequence[Release]]) -> str:
    """``text`` (a flowscope/v1 catalog) with the ``releases:`` of each flow named in
    ``releases`` set to those releases, in flow style, one line each. Raises
    :class:`ValueError` when the text has no ``flows:`` list, a named flow is missing, or a
    named flow is written in flow style (``{name: ...}``)."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    flows = _get(root, "flows")
    if not isinstance(flows, SequenceNode):
        raise ValueError("the catalog has no flows: list")
    edits: list[tuple[int, int, str]] = []
    for flow in flows.value:
        name = _get(flow, "name")
        if not isinstance(name, ScalarNode) or name.value not in releases:
            continue
        if not isinstance(flow, MappingNode) or flow.flow_style:
            raise ValueError(f"flow {name.value} is not a block mapping")
        pad = " " * flow.value[0][0].start_mark.column
        lines = [f"{pad}  - {_flow_style(r)}" for r in releases[name.value]]
        block = "\n".join([f"{pad}releases:", *lines] if lines else [f"{pad}releases: []"])
        keys = [k for k, _ in flow.value]
        found = [i for i, k in enumerate(keys) if isinstance(k, ScalarNode)
                 and k.value == "releases"]
        if found:
            i = found[0]
            start = keys[i].start_mark.index
            limit = keys[i + 1].start_mark.index if i + 1 < len(keys) else flow.end_mark.index
            edits.append((start, _content_end(text, start, limit), block.lstrip(" ")))
        else:
            end = _content_end(text, flow.start_mark.index, flow.end_mark.index)
            edits.append((end, end, "\n" + block))
    named = {n.value for f in flows.value if isinstance(n := _get(f, "name"), ScalarNode)}
    missing = sorted(set(releases) - named)
    if missing:
        raise ValueError(f"the catalog has no flow {', '.join(missing)}")
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def _get(node: Node | None, key: str) -> Node | None:
    if not isinstance(node, MappingNode):
        return None
    return next((v for k, v in node.value if isinstance(k, ScalarNode) and k.value == key), None)


def _flow_style(release: Release) -> str:
    fields = [f"version: {json.dumps(release.version)}", f"date: {release.day.isoformat()}"]
    if release.note is not None:
        fields.append(f"note: {json.dumps(release.note)}")
    return "{" + ", ".join(fields) + "}"


def _content_end(text: str, start: int, limit: int) -> int:
    """The end (before its newline) of the last line in ``text[start:limit]`` holding more than
    blanks or a comment: a block node's end mark lies past the comments that follow it."""
    end = limit
    while end > start:
        line_start = text.rfind("\n", start, end - 1) + 1
        line_start = max(line_start, start)
        line = text[line_start:end].strip()
        if line and not line.startswith("#"):
            return line_start + len(text[line_start:end].rstrip())
        end = line_start
    return start
