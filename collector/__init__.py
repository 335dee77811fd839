"""The collector: OTLP and CloudEvents in, validated, redacted and tagged, durable in the spool,
then written to the warehouse exactly once.

Decoding (pure):

- :mod:`collector.otlp_traces` — OTLP trace requests (protobuf or JSON) → ``otel_traces`` rows.
- :mod:`collector.otlp_traces_json` — the OTLP/JSON walk of a trace request.
- :mod:`collector.otlp_wire` — OTLP trace messages re-declared for fast decoding.
- :mod:`collector.otlp_logs` — OTLP log requests → business events.
- :mod:`collector.otlp_json` — the OTLP/JSON encoding rules both decoders share.
- :mod:`collector.cloudevents` — CloudEvents 1.0 (structured, batch, binary) → business events.
- :mod:`collector.attributes` — OTLP ``AnyValue`` → attribute strings.
- :mod:`collector.raw_values` — serialized ``AnyValue`` bytes → attribute strings, in bulk.
- :mod:`collector.span_columns` — the columnar accumulator of ``otel_traces`` rows.
- :mod:`collector.span_enums` — how span kinds and status codes are spelled.
- :mod:`collector.body` — media types and bounded decompression.
- :mod:`collector.model` — what the decoders return, and its Arrow shapes.
- :mod:`collector.otlp_response` — OTLP export responses and error bodies.

Rules (pure):

- :mod:`collector.redaction` — attribute values redacted before anything is written.
- :mod:`collector.tagging` — which flow run a span or event belongs to.
- :mod:`collector.rules` — the catalog compiled once for ingest: redactor and tagger.
- :mod:`collector.sources` — which CloudEvents sources a sender may use.

Adapters:

- :mod:`collector.ingest` — decode, validate, redact and tag a request, then spool it.
- :mod:`collector.spool` — the durable spool: what a 2xx promises is on disk here.
- :mod:`collector.writer` — the batch writer: spooled rows into the warehouse, exactly once.
- :mod:`collector.routes` — OTLP/HTTP and CloudEvents routes.
- :mod:`collector.grpc_ingest` — the OTLP/gRPC trace and logs services.
- :mod:`collector.correlation_rules` — the catalog's rules as data, for the view that tags
  spans written elsewhere.
- :mod:`collector.reindex` — the same tagging applied to rows already stored, day by day.
- :mod:`collector.search_rules` — the catalog's search keys as data, for the indexing views.
- :mod:`collector.search_backfill` — search keys indexed over data stored before they were declared.
- :mod:`collector.metrics` — collector metrics on an injected registry.
- :mod:`collector.errors` — the exception tree.
"""
