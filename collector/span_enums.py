"""How span kinds and status codes are spelled: in ``otel_traces`` and on the OTLP wire. Pure data.

flowscope stores ``SpanKind`` and ``StatusCode`` exactly as the OpenTelemetry Collector's
ClickHouse exporter writes them (pdata's ``SpanKind.String()`` and ``StatusCode.String()``):
``Server``, ``Client``..., ``Unset``, ``Ok``, ``Error``. So rows written by flowscope and by a
Collector are one data set, and tools built on the exporter schema (Grafana's ClickHouse trace
view among them) read flowscope's rows.

Older exporter releases, and flowscope before it adopted this spelling, wrote the proto enum
names (``SPAN_KIND_SERVER``, ``STATUS_CODE_ERROR``). Every reader accepts both spellings
(:data:`ERROR_STATUSES`, :data:`OK_STATUSES`); existing rows are not rewritten.

OTLP/JSON requests name enum values by their proto names (:data:`SPAN_KIND_NAMES`,
:data:`STATUS_CODE_NAMES`), which the decoders accept besides the numbers.
"""

from __future__ import annotations

from typing import Final

SPAN_KINDS: Final = ("Unspecified", "Internal", "Server", "Client", "Producer", "Consumer")
"""``SpanKind`` column values, indexed by the OTLP enum number."""

STATUS_CODES: Final = ("Unset", "Ok", "Error")
"""``StatusCode`` column values, indexed by the OTLP enum number."""

SPAN_KIND_NAMES: Final = (
    "SPAN_KIND_UNSPECIFIED",
    "SPAN_KIND_INTERNAL",
    "SPAN_KIND_SERVER",
    "SPAN_KIND_CLIENT",
    "SPAN_KIND_PRODUCER",
    "SPAN_KIND_CONSUMER",
)
"""The proto names of ``Span.SpanKind``, indexed by number (OTLP/JSON and older rows)."""

STATUS_CODE_NAMES: Final = ("STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR")
"""The proto names of ``Status.StatusCode``, indexed by number (OTLP/JSON and older rows)."""

ERROR_STATUSES: Final = (STATUS_CODES[2], STATUS_CODE_NAMES[2])
"""``StatusCode`` values that mean a failed span, in either spelling."""

OK_STATUSES: Final = (STATUS_CODES[1], STATUS_CODE_NAMES[1])
"""``StatusCode`` values that mean a span marked ok, in either spelling."""
