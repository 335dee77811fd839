"""Dash dashboards served by the flowscope process at ``/dashboards/``.

Nothing is built at import time. Pure modules (values in, figure, table or text out):

- :mod:`dashboards.model` — the frozen values the pages show.
- :mod:`dashboards.figures` — Plotly figure builders.
- :mod:`dashboards.run_figures` — dead-letter inflow, step load, the flow-time histogram.
- :mod:`dashboards.axes` — duration axes in human units.
- :mod:`dashboards.tables` — every table the pages show, defined once.
- :mod:`dashboards.tiles` — the executive page's headline tiles.
- :mod:`dashboards.wording` — plain-words sentences for the pages.
- :mod:`dashboards.style` — status colours, type scale and spacing.

Adapters:

- :mod:`dashboards.facade` — the read model over the SLO, cost, alert and correlation reads.
- :mod:`dashboards.run_views` — on-call health cards and the trace page's flow-time view.
- :mod:`dashboards.operator` — the dead-letter queue with its replay button, maintenance now.
- :mod:`dashboards.layouts` — the pages and the components they share.
- :mod:`dashboards.callbacks` — thin Dash callbacks: read the view, build the figure.
- :mod:`dashboards.downloads` — each table as CSV, and Bootstrap's stylesheet.
- :mod:`dashboards.app` — the Dash app over a read model.
- :mod:`dashboards.errors` — the exception tree (shown in the page, never raised to it).
"""
