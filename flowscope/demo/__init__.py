"""``flowscope demo``: a server on the embedded engine, weeks of history, then live traffic.

- :mod:`flowscope.demo.launcher` — starts the server, backfills, keeps traffic going, prints
  where to look.
- :mod:`flowscope.demo.plan` — what the demo's services do: planned flow runs as data (pure).
- :mod:`flowscope.demo.flows` — the three demo flows as planners, one run at a time (pure).
- :mod:`flowscope.demo.releases` — the demo catalog: the example catalog plus releases dated
  inside the history (pure).
- :mod:`flowscope.demo.wire` — planned runs as OTLP/HTTP protobuf bodies and CloudEvents
  batches (pure).
- :mod:`flowscope.demo.backfill` — the history, sent through the real ingest API in large
  batches.
- :mod:`flowscope.demo.traffic` — live traffic through the OpenTelemetry SDK as its moments
  come.

It talks to the server over HTTP only, as any producer would.
"""
