"""``flowscope rules prometheus``: alerting rules for other tools, generated from the catalog."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from flowscope.cli.common import CatalogOpt, err, fail, settings

rules_app = typer.Typer(no_args_is_help=True, help="Generate alerting rules for other tools.")


@rules_app.command("prometheus")
def rules_prometheus(
    catalog: CatalogOpt = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.")
    ] = None,
) -> None:
    """Print a Prometheus rule file: error-ratio recording rules and FlowSLOBudgetBurn alerts."""
    from alerts.errors import RuleRenderError
    from alerts.facts import load_rule_set
    from alerts.prometheus_rules import render_prometheus_rules
    from catalog.errors import CatalogError
    from catalog.sources import load_catalog_sources

    path = catalog or settings().catalog
    if path is None:
        fail("give --catalog FILE (or set FLOWSCOPE_CATALOG)")
    try:
        text = render_prometheus_rules(load_rule_set(load_catalog_sources(path)))
    except CatalogError as exc:
        fail(f"the catalog cannot be loaded:\n{exc}")
    except RuleRenderError as exc:
        fail(str(exc))
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    err.print(f"wrote {output}", highlight=False)
