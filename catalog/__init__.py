"""The flow catalog: the versioned YAML spec (``flowscope/v1``), OpenSLO import, and the frozen
model every room reads.

Entry points: :func:`catalog.sources.load_catalog_sources` (what ``--catalog`` names: a file or
a folder mixing flowscope catalogs and OpenSLO documents → :class:`catalog.model.Catalog`),
:func:`catalog.spec.load_catalog` (one flowscope/v1 file), :func:`catalog.spec.parse_catalog`
(text → model) and :func:`catalog.check.check_file` (for ``flowscope check``).

The model and what users type (pure: no I/O):

- :mod:`catalog.model` — the frozen internal model: catalog, flows, steps, SLOs, costs.
- :mod:`catalog.durations` — durations as the catalog writes them (``5m``) and as people
  read them.
- :mod:`catalog.parameters` — request parameters (instants, days, ranges, durations, ids,
  flow names) checked, and the RFC 3339 spelling of every answer's times.
- :mod:`catalog.patterns` — silence matchers and redaction globs, compiled by a linear-time
  engine.
- :mod:`catalog.recurrence` — RFC 5545 recurrence rules of maintenance windows, checked.

Reading files:

- :mod:`catalog.sources` — a file or a folder of YAML documents, flowscope and OpenSLO alike.
- :mod:`catalog.spec` — the ``flowscope/v1`` spec and its mapping to the model.
- :mod:`catalog.alerting` — a flow's ``alerting`` section: windows and outcome rules.
- :mod:`catalog.economics` — a flow's ``cost``, ``baseline`` and ``investment`` sections.
- :mod:`catalog.operations` — a flow's ``search_keys``, ``replay`` and ``pause`` sections.
- :mod:`catalog.openslo` — OpenSLO v1 ``kind: SLO`` documents attached to catalog flows.
- :mod:`catalog.openslo_spec` — the parts of OpenSLO documents flowscope reads.
- :mod:`catalog.openslo_threshold` — OpenSLO latency thresholds, with an explicit unit.
- :mod:`catalog.openslo_windows` — OpenSLO rolling and calendar windows, timeslices.
- :mod:`catalog.reader` — typed values from YAML nodes, every problem with its position.
- :mod:`catalog.yaml_source` — YAML text and node trees with positions.
- :mod:`catalog.check` — what ``flowscope check`` reports.
- :mod:`catalog.errors` — the exception tree (catalog problems, parameters, not found,
  patterns).
"""
