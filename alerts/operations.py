"""What the operator's services share: the audit and call ports, and the checks every action
starts with (the flow exists, the warehouse is ready), each a refusal with its HTTP status."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from alerts.errors import OperationRefused
from alerts.signed_call import CallOutcome, post_signed
from catalog.model import Catalog, Flow
from warehouse.port import Warehouse


class Audit(Protocol):
    """Where audit records go (:meth:`flowscope.access.audit.AuditLog.record` fits)."""

    def __call__(self, action: str, *, actor: str, target: str, detail: Mapping[str, Any],
                 remote: str) -> object:
        """Record ``actor`` doing ``action`` on ``target``."""


Post = Callable[..., CallOutcome]
"""Makes a signed call (:func:`alerts.signed_call.post_signed`)."""


class OperatorService:
    """Acts on ``catalog``'s flows: ``warehouse()`` is ``None`` until ready; ``secrets`` maps a
    flow to the secret its calls are signed with (flows without one are left out); ``clock``
    gives now (aware); ``post`` makes the calls."""

    def __init__(self, catalog: Catalog, warehouse: Callable[[], Warehouse | None], *,
                 secrets: Mapping[str, bytes], audit: Audit, clock: Callable[[], datetime],
                 post: Post = post_signed) -> None:
        self._catalog = catalog
        self._warehouse = warehouse
        self._secrets = dict(secrets)
        self._audit = audit
        self._clock = clock
        self._post = post

    def _flow(self, name: str) -> Flow:
        """The catalog's flow ``name``; refused with 404 when there is none."""
        flow = self._catalog.flow(name)
        if flow is None:
            raise OperationRefused(404, f"no flow named {name[:60]!r} in the catalog",
                                   reason="unknown flow")
        return flow

    def _ready(self) -> Warehouse:
        """The warehouse; refused with 503 (retry in 5 s) until it is ready."""
        wh = self._warehouse()
        if wh is None:
            raise OperationRefused(503, "the warehouse is not ready yet", reason="not ready",
                                   retry_after_s=5)
        return wh
