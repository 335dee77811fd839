"""flowscope's composition root: settings, ``create_app()`` and the entry point.

- :mod:`flowscope.settings` — deployment settings, read only here.
- :mod:`flowscope.app` — :func:`~flowscope.app.create_app`: the runtime, the routers, the
  middleware.
- :mod:`flowscope.http_errors` — the error boundary: every room's errors answered the same
  way on every route.
- :mod:`flowscope.api` — ``/healthz``, ``/readyz``, ``/metrics`` and the correlation lookup.
- :mod:`flowscope.csv_export` — CSV of every tabular read route.
- :mod:`flowscope.request_limits` — bounded request bodies, checked before any work.
- :mod:`flowscope.server_limits` — a deadline for request headers and a connection cap.
- :mod:`flowscope.page_security` — headers against framing, sniffing and foreign scripts.
- :mod:`flowscope.otlp_grpc` — the OTLP/gRPC server beside uvicorn, with its key check.
- :mod:`flowscope.signals` — the SLI queries joined to the alert evaluator's port.
- :mod:`flowscope.operate` — the operator's console wired in: search keys, dead letters,
  replays, maintenance now.
- :mod:`flowscope.data_dir` — the private data directory.
- :mod:`flowscope.faults` — injected insert failures, a testing aid (off by default).
- :mod:`flowscope.__main__` — ``python -m flowscope``.

Sub-rooms: :mod:`flowscope.cli` (the ``flowscope`` command), :mod:`flowscope.demo` (``flowscope
demo``), :mod:`flowscope.access` (keys, sessions, the audit trail).
"""
