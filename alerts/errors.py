"""Errors raised by the alerts room.

Pure evaluation never raises for data (a window without runs does not fire); errors are for
input that cannot be used and for delivery and storage failures::

    AlertsError                     base class of every error raised by alerts
     ├── SilenceError               a silence cannot be created: no matchers, a bad regular
     │                              expression, a matcher set that matches every alert, or an
     │                              end not after its start (also a ValueError)
     ├── DeliveryError              a notifier could not hand notifications over (HTTP error,
     │                              refused connection, non-2xx answer); counted, retried
     ├── AlertStoreError            the alert history or silences could not be read or written
     ├── RuleRenderError            a Prometheus rule file cannot be rendered (unknown window
     │                              catalog)
     └── OperationRefused           an operator's replay or maintenance cannot be done as asked;
                                    ``status`` is the HTTP answer (404, 409, 429, 503...)

Third-party errors (``httpx.HTTPError``, :class:`warehouse.errors.WarehouseError`,
``re.error``) are translated at the boundary with ``raise ... from exc``.
"""

from __future__ import annotations


class AlertsError(Exception):
    """Base class of every error raised by the ``alerts`` room."""


class SilenceError(AlertsError, ValueError):
    """A silence cannot be created as given; the message says why."""


class DeliveryError(AlertsError):
    """A notifier could not deliver; the message names the channel and the cause."""


class AlertStoreError(AlertsError):
    """The alert history or silences could not be read or written. The message carries the
    engine's text (for logs); ``public`` says the same without it (for clients)."""

    def __init__(self, message: str, *, public: str = "") -> None:
        super().__init__(message)
        self.public = public or message


class RuleRenderError(AlertsError):
    """A Prometheus rule file cannot be rendered from the catalog."""


class OperationRefused(AlertsError):
    """An operator's action (a replay, a maintenance) is refused: ``status`` is the HTTP
    status to answer, ``retry_after_s`` the ``Retry-After`` to send with it (seconds; ``None``:
    the boundary's default for its status), ``reason`` a short word for the audit trail; the
    message says why in words."""

    def __init__(self, status: int, message: str, *, reason: str,
                 retry_after_s: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.retry_after_s = retry_after_s
