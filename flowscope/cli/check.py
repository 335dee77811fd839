"""``flowscope check FILE``: validate a catalog file or folder as ``--catalog`` reads it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from flowscope.cli.common import JsonOpt, err, fail, out


def check(
    file: Annotated[Path, typer.Argument(help="Catalog file or folder (flowscope/v1, OpenSLO).")],
    catalog: Annotated[
        Path | None,
        typer.Option("--catalog", help="For OpenSLO files: the catalog whose flows they name."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Validate a catalog file or folder as --catalog reads it; print every problem with file,
    line and field, or what it holds (with --json: the SLOs imported from OpenSLO)."""
    from catalog.check import check_file
    from catalog.errors import CatalogError
    from catalog.sources import load_catalog_sources

    flows = None
    if catalog is not None:
        try:
            flows = load_catalog_sources(catalog)
        except CatalogError as exc:
            fail(f"the catalog given with --catalog is not valid:\n{exc}")
    report = check_file(file, flows)
    if as_json:
        sys.stdout.write(json.dumps(report.to_dict()) + "\n")
    elif report.ok:
        out.print(report.render(), highlight=False)
    else:
        err.print(report.render(), highlight=False)
    if not report.ok:
        raise typer.Exit(1)
