"""Build the Dash app over a :class:`~dashboards.facade.ReadModel`.

The app expects to be mounted at ``prefix`` (default ``/dashboards/``) by the composition root:
browsers request ``/dashboards/...``, the mount strips the prefix, and the Flask server routes
``/...``. Nothing is built at import time.
"""

from __future__ import annotations

from dash import Dash

from dashboards import callbacks, layouts
from dashboards.facade import ReadModel

PREFIX = "/dashboards/"


def build_dash(model: ReadModel, *, prefix: str = PREFIX) -> Dash:
    """A Dash app serving the executive, on-call and trace pages under ``prefix``."""
    app = Dash(__name__, requests_pathname_prefix=prefix, routes_pathname_prefix="/",
               title="flowscope", suppress_callback_exceptions=True, serve_locally=True)
    app.layout = layouts.shell()
    callbacks.register(app, model)
    return app
