"""``flowscope keys create|list|revoke``: API keys, stored as hashes; every change audited.

A key is printed once, at creation; the keys file keeps its SHA-256 only
(:mod:`flowscope.access.keys`). Creations and revocations are recorded in the audit trail
(actor ``local``) through ``<data-dir>/audit-pending.jsonl``, which the server imports.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from flowscope.cli.common import DataDirOpt, JsonOpt, err, fail, out, settings

if TYPE_CHECKING:
    from flowscope.settings import Settings

keys_app = typer.Typer(no_args_is_help=True, help="API keys (stored as hashes).")


@keys_app.command("create")
def keys_create(
    scope: Annotated[str, typer.Option("--scope", help="ingest, read, operate or admin.")],
    name: Annotated[str | None, typer.Option("--name", help="A label for the key.")] = None,
    source: Annotated[
        list[str] | None,
        typer.Option("--source", help="Limit an ingest key to this CloudEvents source "
                                      "(repeat for several)."),
    ] = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Create an API key; it is printed once and only its hash is stored.

    The creation is recorded in the audit trail (actor ``local``) through
    ``<data-dir>/audit-pending.jsonl``, which the server imports; without a record, no key.
    """
    from flowscope.access.errors import AccessError
    from flowscope.access.keys import SCOPES, KeyStore, check_sources, env_entry

    chosen = settings(data_dir=data_dir)
    store = KeyStore(chosen.keys_path())
    if scope not in SCOPES:
        fail(f"unknown scope {scope!r}: use one of {', '.join(SCOPES)}")
    sources = tuple(source or ())
    try:
        check_sources(sources)
        label = name or f"{scope}-{len(store.keys()) + 1}"
        detail: dict[str, Any] = {"scope": scope, "keys_file": str(store.path), "user": _user()}
        if sources:
            detail["sources"] = list(sources)
        _audit(chosen, "key.create", label, detail)
        key = store.create(scope, name=label, sources=sources)
    except (AccessError, OSError) as exc:
        fail(str(exc))
    stored = store.match(key)
    err.print(f"created a {scope} key; stored its hash in {store.path}. It is shown only once:")
    if stored is not None and not sources:
        err.print(f"(for FLOWSCOPE_API_KEYS instead of the file: {env_entry(stored)})")
    sys.stdout.write(key + "\n")


@keys_app.command("list")
def keys_list(data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """List the keys: name, scope, id (the start of its hash), creation time and sources."""
    from flowscope.access.errors import AccessError
    from flowscope.access.keys import key_store

    chosen = settings(data_dir=data_dir)
    try:
        store = key_store(chosen.keys_path())
        valid = store.keys()
    except AccessError as exc:
        fail(str(exc))
    file_keys = [(k, "file") for k in valid if k not in store.extra]
    listed = [*file_keys, *((k, "env") for k in store.extra)]
    rows: list[dict[str, Any]] = [
        {"name": k.name, "scope": k.scope, "id": k.key_id, "created": k.created,
         "sources": list(k.sources), "from": where} for k, where in listed]
    if as_json:
        sys.stdout.write(json.dumps({"keys": rows}) + "\n")
        return
    table = Table(title=f"API keys ({store.path})")
    for col in ("name", "scope", "id", "created", "sources", "from"):
        table.add_column(col)
    for row in rows:
        table.add_row(row["name"], row["scope"], row["id"], row["created"],
                      ", ".join(row["sources"]) or "any", row["from"])
    out.print(table)


@keys_app.command("revoke")
def keys_revoke(
    which: Annotated[str, typer.Argument(help="The key's name, or the start of its id.")],
    data_dir: DataDirOpt = None,
) -> None:
    """Revoke a key: remove it from the keys file. A running server refuses it at once, and
    ends the dashboard sessions opened with it. Recorded in the audit trail."""
    from flowscope.access.errors import AccessError
    from flowscope.access.keys import KeyStore

    chosen = settings(data_dir=data_dir)
    store = KeyStore(chosen.keys_path())
    try:
        revoked = store.revoke(which)
    except (AccessError, OSError) as exc:
        fail(str(exc))
    for key in revoked:
        try:
            _audit(chosen, "key.revoke", key.name,
                   {"scope": key.scope, "id": key.key_id, "keys_file": str(store.path),
                    "user": _user()})
        except OSError as exc:
            err.print(f"[yellow]warning:[/] the revocation is done but could not be recorded "
                      f"in the audit trail: {exc.strerror or exc}", highlight=False)
        out.print(f"revoked {key.name} ({key.scope}, id {key.key_id})", highlight=False)


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return ""


def _audit(chosen: Settings, action: str, target: str, detail: dict[str, Any]) -> None:
    from flowscope.access.audit import AuditLog, pending_path

    AuditLog(pending_path(chosen.data_dir)).record(action, actor="local", target=target,
                                                     detail=detail)
