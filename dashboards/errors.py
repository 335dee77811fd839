"""Errors of the dashboards room, shown in the page rather than raised to the browser.

::

    DashboardError            anything the read model cannot answer
     ├── NotReady             the warehouse is not ready yet (start-up, migrations)
     └── ReadFailed           a query or a computation failed (the message says which)
"""

from __future__ import annotations


class DashboardError(Exception):
    """Base of the dashboards room's errors."""


class NotReady(DashboardError):
    """The warehouse is not ready yet; the page asks to retry in a few seconds."""


class ReadFailed(DashboardError):
    """Reading a view failed; the message names the view and the cause."""
