"""Dash dashboards served by the flowscope process at ``/dashboards/``.

:mod:`dashboards.facade` is the read model over the SLO, cost, alert and correlation APIs
(:mod:`dashboards.run_views` maps the health and flow-time answers into it);
:mod:`dashboards.figures`, :mod:`dashboards.run_figures` and :mod:`dashboards.wording` are pure
(data in, figure or sentence out); :mod:`dashboards.layouts` builds the pages;
:mod:`dashboards.callbacks` wires them, thinly; :mod:`dashboards.app` builds the Dash app
(nothing is built at import time).
"""
