"""The ``flowscope`` command line (typer + rich): one module per command group.

- :mod:`flowscope.cli.common` — consoles, shared options, :func:`~flowscope.cli.common.fail`,
  the server to ask and its key, settings.
- :mod:`flowscope.cli.server` — ``serve``, ``migrate``, ``demo``.
- :mod:`flowscope.cli.trace` — ``trace ID``.
- :mod:`flowscope.cli.search` — ``trace --key KEY VALUE``: runs by a search key.
- :mod:`flowscope.cli.check` — ``check FILE``.
- :mod:`flowscope.cli.reindex` — ``reindex``.
- :mod:`flowscope.cli.keys` — ``keys create|list|revoke``.
- :mod:`flowscope.cli.slo` — ``slo status``, ``slo windows``.
- :mod:`flowscope.cli.cost` — ``cost``, ``costs import``.
- :mod:`flowscope.cli.rules` — ``rules prometheus``.
- :mod:`flowscope.cli.server_client` — one request to a running server, errors said plainly.

Commands import what they use when they run, so ``flowscope check`` starts without loading the
server. :func:`main` is the console script (``flowscope = "flowscope.cli:main"``).
"""

from __future__ import annotations

import typer

from flowscope.cli import check, cost, keys, reindex, rules, server, slo, trace

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="flowscope: SLOs, cost and tracing for business flows across systems.",
)
app.command()(server.serve)
app.command()(server.migrate)
app.command()(trace.trace)
app.command()(check.check)
app.command()(server.demo)
app.command()(reindex.reindex)
app.add_typer(keys.keys_app, name="keys")
app.add_typer(slo.slo_app, name="slo")
app.command("cost")(cost.cost_command)
app.add_typer(cost.costs_app, name="costs")
app.add_typer(rules.rules_app, name="rules")


def main() -> None:
    """Console-script entry point."""
    app()
