"""What every command shares: the consoles, the options, :func:`fail`, the server to ask.

Commands that read a running server take ``--url`` (default ``FLOWSCOPE_URL`` or
:data:`DEFAULT_URL`) and send ``FLOWSCOPE_API_KEY`` as a bearer key when it is set; ``--json``
gives machine-readable output where a command prints a table. Settings are read here only
through :func:`settings` (the composition root's :class:`flowscope.settings.Settings`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console

if TYPE_CHECKING:
    from flowscope.settings import Settings

out = Console(soft_wrap=True)
"""Standard output: tables and results."""
err = Console(stderr=True, soft_wrap=True)
"""Standard error: progress, warnings, errors."""

DEFAULT_URL = "http://127.0.0.1:4318"
"""The server a command asks when neither ``--url`` nor ``FLOWSCOPE_URL`` names one."""
API_KEY = "FLOWSCOPE_API_KEY"
"""Environment variable holding the key sent to a running server."""

HostOpt = Annotated[str | None, typer.Option("--host", help="Bind address [env FLOWSCOPE_HOST].")]
PortOpt = Annotated[int | None, typer.Option("--port", help="Port [env FLOWSCOPE_PORT; 4318].")]
GrpcPortOpt = Annotated[
    int | None,
    typer.Option("--grpc-port", help="OTLP/gRPC port, 0 for none [env FLOWSCOPE_GRPC_PORT; 4317]."),
]
DataDirOpt = Annotated[
    Path | None, typer.Option("--data-dir", help="Data directory [env FLOWSCOPE_DATA_DIR; ./data].")
]
CatalogOpt = Annotated[
    Path | None,
    typer.Option("--catalog", help="Flow catalog: a YAML file or a folder of them, flowscope/v1 "
                 "and OpenSLO v1 documents [env FLOWSCOPE_CATALOG]."),
]
UrlOpt = Annotated[
    str | None, typer.Option("--url", help="flowscope server URL [env FLOWSCOPE_URL].")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def settings(**overrides: Any) -> Settings:
    """The deployment settings, with the options given on the command line (``None``: not
    given) over the environment."""
    from flowscope.settings import Settings

    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def auth_headers() -> dict[str, str]:
    """``Authorization: Bearer <FLOWSCOPE_API_KEY>`` when the variable is set."""
    key = os.environ.get(API_KEY)
    return {"authorization": f"Bearer {key}"} if key else {}


def server_url(url: str | None) -> str:
    """The server to ask: ``url``, else ``FLOWSCOPE_URL``, else :data:`DEFAULT_URL`."""
    return (url or os.environ.get("FLOWSCOPE_URL") or DEFAULT_URL).rstrip("/")


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``error: message`` on standard error and exit with ``code`` (default 1). The
    caller's API key is masked, whatever a server or a library put in the message."""
    key = os.environ.get(API_KEY)
    if key:
        message = message.replace(key, "***")
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)
