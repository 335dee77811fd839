"""Build the Dash app over a :class:`~dashboards.facade.ReadModel`.

The app expects to be mounted at ``prefix`` (default ``/dashboards/``) by the composition root:
browsers request ``/dashboards/...``, the mount strips the prefix, and the Flask server routes
``/...``. Every script and stylesheet is served from there too (Dash's bundles, Bootstrap's CSS
and ``assets/flowscope.css``), with no inline script: nothing comes from another origin. The
CSV downloads of the tables are plain routes beside the pages (:mod:`dashboards.downloads`).
Nothing is built at import time.
"""

from __future__ import annotations

from dash import Dash

from dashboards import callbacks, downloads, layouts, operator
from dashboards.facade import ReadModel
from dashboards.operator import OperatorViews

PREFIX = layouts.PREFIX


def build_dash(model: ReadModel, *, prefix: str = PREFIX,
               operator_views: OperatorViews | None = None) -> Dash:
    """A Dash app serving the executive, on-call and trace pages under ``prefix``; with
    ``operator_views``, the operator's parts too (:mod:`dashboards.operator`)."""
    app = Dash(__name__, requests_pathname_prefix=prefix, routes_pathname_prefix="/",
               title="flowscope", suppress_callback_exceptions=True, serve_locally=True,
               external_stylesheets=[f"{prefix}vendor/bootstrap.min.css"],
               meta_tags=[{"name": "viewport",
                           "content": "width=device-width, initial-scale=1"}])
    app.layout = layouts.shell()
    callbacks.register(app, model)
    if operator_views is not None:
        operator.register(app, operator_views)
    downloads.register(app.server, model)
    return app
