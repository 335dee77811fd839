"""How the command line talks to a running server: one request, errors said plainly.

Sends ``FLOWSCOPE_API_KEY`` as a bearer key when set. Exits the command (through
:func:`flowscope.cli.common.fail`) when the server cannot be reached, refuses the key, or
answers anything but 200 (or 404 when ``missing_ok``), quoting the server's ``detail``.
"""

from __future__ import annotations

from typing import Any

import httpx

from flowscope.cli.common import auth_headers, fail


def call_server(
    method: str,
    base: str,
    path: str,
    *,
    params: dict[str, str] | None = None,
    body: Any = None,
    missing_ok: bool = False,
    timeout_s: float = 120.0,
) -> Any:
    """The JSON answer of ``method base+path``; None for a 404 when ``missing_ok``."""
    try:
        resp = httpx.request(method, f"{base}{path}", params=params, json=body,
                             headers=auth_headers(), timeout=timeout_s)
    except httpx.HTTPError as exc:
        fail(f"cannot reach flowscope at {base}: {exc}")
    if resp.status_code in (401, 403):
        needed = "a read" if method == "GET" else "an admin"
        fail(f"{base} refused the request ({resp.status_code}): set FLOWSCOPE_API_KEY "
                  f"to {needed} key")
    if resp.status_code == 404 and missing_ok:
        return None
    if resp.status_code != 200:
        try:
            detail = resp.json().get("detail", resp.text)
        except ValueError:
            detail = resp.text
        fail(f"{base}{path} answered {resp.status_code}: {str(detail)[:500]}")
    return resp.json()
