"""Broken catalogs are refused with every problem, its position, field path and a clear message."""

from __future__ import annotations

import textwrap

import pytest

from catalog.errors import (
    CatalogError,
    CatalogSyntaxError,
    CatalogValidationError,
    Problem,
)
from catalog.spec import parse_catalog


def problems_of(text: str) -> tuple[Problem, ...]:
    with pytest.raises(CatalogValidationError) as caught:
        parse_catalog(textwrap.dedent(text), filename="catalog.yaml")
    return caught.value.problems


FLOW = """\
apiVersion: flowscope/v1
flows:
  - name: order-to-cash
    correlation_key: order.id
    start: {event: OrderPlaced}
    success: {event: InvoicePosted}
    steps:
      - {name: payment, service: payments, partner: stripe}
"""  # a valid flow; cases append lines 9 onwards


@pytest.mark.parametrize(
    ("text", "field", "line", "fragment"),
    [
        pytest.param(
            "flows: []\n",
            "apiVersion", 1, "is required; supported versions: flowscope/v1",
            id="a catalog without apiVersion is refused",
        ),
        pytest.param(
            "apiVersion: flowscope/v2\nflows: []\n",
            "apiVersion", 1, "unsupported version 'flowscope/v2'; supported versions: flowscope/v1",
            id="an unsupported apiVersion lists the supported ones",
        ),
        pytest.param(
            FLOW + "  - name: order-to-cash\n    correlation_key: x\n",
            "flows[1].name", 9, "duplicate flow name 'order-to-cash' (first defined on line 3)",
            id="two flows with one name are refused",
        ),
        pytest.param(
            FLOW + "    slos:\n      - {name: ok, objective: 100, period: 30d}\n",
            "flows[0].slos[0].objective", 10,
            "must be between 0 and 100 (exclusive), got 100",
            id="an objective of 100 is refused",
        ),
        pytest.param(
            FLOW + "    slos:\n      - {name: ok, objective: 0, period: 30d}\n",
            "flows[0].slos[0].objective", 10, "must be between 0 and 100 (exclusive), got 0",
            id="an objective of 0 is refused",
        ),
        pytest.param(
            FLOW + "    cost:\n      currency: USD\n      per_call:\n"
            "        - {partner: stripe, price: 0.30}\n",
            "flows[0].cost.per_call[0].price", 12,
            'money must be a quoted decimal string, e.g. "0.30", got 0.30 unquoted',
            id="unquoted money is refused with a hint to quote it",
        ),
        pytest.param(
            FLOW + "    investment: {build: 40000}\n",
            "flows[0].investment.build", 9, "money must be a quoted decimal string",
            id="unquoted whole money is refused too",
        ),
        pytest.param(
            FLOW + "    investment: {build: \"40,000\"}\n",
            "flows[0].investment.build", 9, "got '40,000'",
            id="money with a thousands separator is refused",
        ),
        pytest.param(
            FLOW + "    baseline: {cost_per_run: \"-3\"}\n",
            "flows[0].baseline.cost_per_run", 9, "must not be negative",
            id="negative money is refused",
        ),
        pytest.param(
            FLOW + "    slos:\n      - {name: ok, objective: 99, period: 30days}\n",
            "flows[0].slos[0].period", 10, "must be a duration like \"30d\"",
            id="a malformed duration is refused",
        ),
        pytest.param(
            FLOW + "    slos:\n      - {name: ok, objective: 99, period: 30d,"
            " latency: {threshold: 120}}\n",
            "flows[0].slos[0].latency.threshold", 10, "must be a duration like \"30d\"",
            id="a duration without unit is refused",
        ),
        pytest.param(
            FLOW + "    onwer: payments-team\n",
            "flows[0].onwer", 9, "unknown key 'onwer' (did you mean 'owner'?); allowed keys: name,",
            id="a misspelled key is refused with a suggestion",
        ),
        pytest.param(
            "apiVersion: flowscope/v1\nflow: []\n",
            "flow", 2, "(did you mean 'flows'?)",
            id="a misspelled top-level key is refused with a suggestion",
        ),
        pytest.param(
            FLOW + "    slos:\n      - name: ok\n        objective: 99\n"
            "        period: {calendar: month, timezone: Europe/Paaris}\n",
            "flows[0].slos[0].period.timezone", 12,
            "unknown time zone 'Europe/Paaris' (an IANA name like 'Europe/Berlin' is expected);"
            " did you mean 'Europe/Paris'?",
            id="an unknown time zone is refused",
        ),
        pytest.param(
            FLOW + "    slos:\n      - {name: ok, objective: 99, period: {calendar: fortnight}}\n",
            "flows[0].slos[0].period.calendar", 10,
            "must be one of month, quarter, week, year, got 'fortnight'",
            id="an unknown calendar period is refused",
        ),
        pytest.param(
            FLOW + "    cost:\n      currency: USD\n      per_call:\n"
            "        - {step: erp-sync, price: \"0.002\"}\n",
            "flows[0].cost.per_call[0].step", 12,
            "step 'erp-sync' is not a step of this flow's steps (known: payment)",
            id="a per-call price for an undeclared step is refused",
        ),
        pytest.param(
            FLOW + "    cost:\n      currency: USD\n      per_call:\n"
            "        - {partner: netsuite, price: \"0.002\"}\n",
            "flows[0].cost.per_call[0].partner", 12,
            "partner 'netsuite' is not a partner of this flow's steps (known: stripe)",
            id="a per-call price for an undeclared partner is refused",
        ),
        pytest.param(
            FLOW + "    cost:\n      currency: USD\n      per_call:\n"
            "        - {partner: stripe, step: payment, price: \"1\"}\n",
            "flows[0].cost.per_call[0]", 12, "give exactly one of step or partner",
            id="a per-call price for both a step and a partner is refused",
        ),
        pytest.param(
            FLOW + "    cost:\n      currency: USD\n      per_call:\n"
            "        - {partner: stripe, price: \"1\"}\n"
            "        - {partner: stripe, price: \"2\"}\n",
            "flows[0].cost.per_call[1].partner", 13, "partner 'stripe' is priced twice",
            id="a partner priced twice is refused",
        ),
        pytest.param(
            FLOW + "    cost: {currency: dollars}\n",
            "flows[0].cost.currency", 9, "must be an ISO 4217 currency code",
            id="a currency that is not an ISO 4217 code is refused",
        ),
        pytest.param(
            FLOW + "    cost: {per_call: []}\n",
            "flows[0].cost.currency", 9, "is required",
            id="a cost without currency is refused",
        ),
        pytest.param(
            FLOW + "    cost: {currency: USD, compute: {}}\n",
            "flows[0].cost.compute", 9, "give per_cpu_second and/or per_invocation",
            id="an empty compute price is refused",
        ),
        pytest.param(
            FLOW + "    cost: {currency: USD, people: {hourly_rate: \"45\"}}\n",
            "flows[0].cost.people.minutes_per_intervention", 9, "is required",
            id="people time needs minutes per intervention",
        ),
        pytest.param(
            FLOW + "    baseline: {cost_per_run: \"5\", hourly_rate: \"38\"}\n",
            "flows[0].baseline", 9, "give either manual_minutes_per_run with hourly_rate, or",
            id="a baseline mixing both forms is refused",
        ),
        pytest.param(
            FLOW + "    investment: {build: \"1\", since: 2026-02-30}\n",
            "flows[0].investment.since", 9, "must be a date like 2026-01-01",
            id="an impossible investment date is refused",
        ),
        pytest.param(
            "apiVersion: flowscope/v1\nredaction:\n  - {key: user.email, action: mask}\n",
            "redaction[0].action", 3, "must be one of hash, drop, got 'mask'",
            id="a bad redaction action is refused",
        ),
        pytest.param(
            "apiVersion: flowscope/v1\nredaction:\n  - {key: a, action: drop}\n"
            "  - {key: a, action: hash}\n",
            "redaction[1].key", 4, "duplicate redaction rule for 'a' (first defined on line 3)",
            id="two redaction rules for one key are refused",
        ),
        pytest.param(
            "apiVersion: flowscope/v1\nflows:\n  - name: f\n",
            "flows[0].correlation_key", 3, "is required",
            id="a flow without correlation key is refused",
        ),
        pytest.param(
            "apiVersion: flowscope/v1\nflows:\n  - name: Order To Cash\n    correlation_key: k\n",
            "flows[0].name", 3, "must be lowercase letters, digits",
            id="a flow name with capitals and spaces is refused",
        ),
        pytest.param(
            FLOW + "      - {name: payment, service: other}\n",
            "flows[0].steps[1].name", 9, "duplicate step name 'payment'",
            id="two steps with one name are refused",
        ),
        pytest.param(
            FLOW + "      - {name: refund}\n",
            "flows[0].steps[1].service", 9, "is required",
            id="a step without service is refused",
        ),
        pytest.param(
            FLOW + "    slos:\n      - {name: a, objective: 99, period: 7d}\n"
            "      - {name: a, objective: 98, period: 7d}\n",
            "flows[0].slos[1].name", 11, "duplicate SLO name 'a'",
            id="two SLOs with one name are refused",
        ),
        pytest.param(
            "apiVersion: flowscope/v1\nflows:\n  - name: f\n    correlation_key: k\n"
            "    slos: [{name: a, objective: 99, period: 7d}]\n",
            "flows[0].slos", 5, "needs both start and success",
            id="SLOs on a flow without start and success are refused",
        ),
        pytest.param(
            FLOW + "    failure: {event: Failed, events: [Failed]}\n",
            "flows[0].failure.events", 9, "give event or events, not both",
            id="event and events together are refused",
        ),
        pytest.param(
            FLOW.replace("{event: OrderPlaced}", "{event: OrderPlaced, service: storefront}"),
            "flows[0].start", 5, "match either by event/events or by service/span, not both",
            id="a matcher by event and by span at once is refused",
        ),
        pytest.param(
            FLOW.replace("{event: OrderPlaced}", "{}"),
            "flows[0].start", 5, "give {event: Type}, {events: [...]} or {service: S, span: N}",
            id="an empty matcher is refused",
        ),
        pytest.param(
            FLOW + "    failure: {events: [], dead_letter: yes}\n",
            "flows[0].failure.events", 9, "must not be empty",
            id="an empty event list is refused",
        ),
        pytest.param(
            FLOW + "    failure: {dead_letter: \"true\"}\n",
            "flows[0].failure.dead_letter", 9, "must be true or false, got 'true'",
            id="a quoted boolean is refused",
        ),
        pytest.param(
            FLOW + "    maintenance:\n      - {rrule: 'FREQ=FORTNIGHTLY', duration: 1h}\n",
            "flows[0].maintenance[0].rrule", 10, "FREQ must be one of SECONDLY",
            id="a maintenance rule with an unknown frequency is refused",
        ),
        pytest.param(
            FLOW + "    maintenance:\n      - {rrule: 'FREQ=DAILY'}\n",
            "flows[0].maintenance[0].duration", 10, "is required",
            id="a maintenance window without duration is refused",
        ),
        pytest.param(
            FLOW + "    releases:\n      - {version: \"2.4\", date: 2026-13-01}\n",
            "flows[0].releases[0].date", 10, "must be a date like 2026-01-01",
            id="a release on a day that does not exist is refused",
        ),
        pytest.param(
            FLOW + "    releases:\n      - {version: \"2.4\", date: 2026-10-01}\n"
            "      - {version: \"2.4\", date: 2026-11-01}\n",
            "flows[0].releases[1].version", 11, "release version",
            id="a release version given twice is refused",
        ),
        pytest.param(
            FLOW + "    releases:\n      - {version: 2.4, date: 2026-10-01}\n",
            "flows[0].releases[0].version", 10, "must be a string, got 2.4",
            id="an unquoted numeric release version is refused",
        ),
        pytest.param(
            FLOW + "    runbook_url: wiki/order-to-cash\n",
            "flows[0].runbook_url", 9, "must be an http(s) URL",
            id="a runbook that is not an http URL is refused",
        ),
        pytest.param(
            FLOW + "    alerting: {windows: Google 30d}\n",
            "flows[0].alerting.windows", 9, "must be lowercase letters",
            id="an alert window catalog name must be an identifier",
        ),
        pytest.param(
            FLOW + "    owner: a\n    owner: b\n",
            "flows[0].owner", 10, "duplicate key",
            id="a key written twice is refused",
        ),
        pytest.param(
            FLOW + "    owner: [a, b]\n",
            "flows[0].owner", 9, "must be a string, got a list",
            id="a list where a string belongs is refused",
        ),
        pytest.param(
            "apiVersion: flowscope/v1\nflows: {name: f}\n",
            "flows", 2, "must be a list, got a mapping",
            id="flows that are not a list are refused",
        ),
        pytest.param(
            "- apiVersion: flowscope/v1\n",
            "", 1, "the catalog must be a mapping",
            id="a document that is a list is refused",
        ),
        pytest.param(
            "# nothing here\n",
            "", 1, "the catalog is empty",
            id="an empty document is refused",
        ),
        pytest.param(
            FLOW + "    search_keys: [customer.id, order.id]\n",
            "flows[0].search_keys[1]", 9, "is the flow's correlation key",
            id="the correlation key is not a search key",
        ),
        pytest.param(
            FLOW + "    search_keys: [customer.id, customer.id]\n",
            "flows[0].search_keys[1]", 9, "'customer.id' is listed twice",
            id="a search key listed twice is refused",
        ),
        pytest.param(
            FLOW + "    search_keys: [flowscope.flow]\n",
            "flows[0].search_keys[0]", 9, "a tag flowscope sets itself",
            id="flowscope's own tags are not search keys",
        ),
        pytest.param(
            FLOW.replace("flows:", "redaction:\n  - {key: 'customer.*', action: drop}\nflows:")
            + "    search_keys: [customer.email]\n",
            "flows[0].search_keys[0]", 11, "dropped by the redaction rule 'customer.*'",
            id="a search key the redaction drops could never be found",
        ),
        pytest.param(
            FLOW + "    search_keys: [" + ", ".join(f"k{i}" for i in range(17)) + "]\n",
            "flows[0].search_keys", 9, "at most 16 search keys per flow",
            id="at most sixteen search keys",
        ),
        pytest.param(
            FLOW + "    replay: {url: https://x/replay}\n",
            "flows[0].replay.secret_env", 9, "is required",
            id="a replay target needs its secret's environment variable",
        ),
        pytest.param(
            FLOW + "    replay: {url: https://x/replay, secret_env: 's3cr3t value!'}\n",
            "flows[0].replay.secret_env", 9, "never the secret itself",
            id="a secret written in place of its variable is refused",
        ),
        pytest.param(
            FLOW + "    replay: {url: ftp://x/replay, secret_env: S}\n",
            "flows[0].replay.url", 9, "must be an http(s) URL",
            id="a replay URL must be http or https",
        ),
        pytest.param(
            FLOW + "    replay: {url: https://x/replay, secret_env: S, timeout: 5m}\n",
            "flows[0].replay.timeout", 9, "must lie between 100ms and 2m",
            id="a replay timeout is at most two minutes",
        ),
        pytest.param(
            FLOW + "    replay: {url: https://x/replay, secret_env: S, max_per_minute: 0}\n",
            "flows[0].replay.max_per_minute", 9, "from 1 to 10,000, got 0",
            id="a replay rate of zero is refused",
        ),
        pytest.param(
            FLOW + "    pause: {url: https://x/pause, secret_env: S, timeout: 1s}\n",
            "flows[0].pause.timeout", 9, "unknown key 'timeout'",
            id="a pause target has only a URL and a secret",
        ),
    ],
)
def test_a_broken_catalog_names_the_problem(text: str, field: str, line: int, fragment: str
                                             ) -> None:
    problems = problems_of(text)
    assert [(p.field, p.line) for p in problems] == [(field, line)], problems
    assert fragment in problems[0].message
    assert problems[0].file == "catalog.yaml"


def test_every_problem_of_a_file_is_reported_at_once_in_file_order() -> None:
    text = """\
        flows:
          - name: order-to-cash
            correlation_key: order.id
            owenr: me
            start: {event: A}
            success: {event: B}
            slos:
              - {name: ok, objective: 100, period: 30d}
              - {name: fast, objective: 99, period: 2 minutes}
          - name: order-to-cash
            correlation_key: order.id
            cost: {currency: USD, fixed: [{name: licence, per_month: 1200.50}]}
        """
    problems = problems_of(text)
    assert [(p.line, p.field) for p in problems] == [
        (1, "apiVersion"),
        (4, "flows[0].owenr"),
        (8, "flows[0].slos[0].objective"),
        (9, "flows[0].slos[1].period"),
        (10, "flows[1].name"),
        (12, "flows[1].cost.fixed[0].per_month"),
    ]


def test_problems_print_one_per_line_as_file_line_column_field_message() -> None:
    text = FLOW + "    slos:\n      - {name: a, objective: 99.9, period: 30d}\n" \
        "      - {name: b, objective: 100, period: 30d}\n"
    with pytest.raises(CatalogValidationError) as caught:
        parse_catalog(text, filename="examples/catalog.yaml")
    assert str(caught.value) == (
        "examples/catalog.yaml:11:30: flows[0].slos[1].objective: "
        "must be between 0 and 100 (exclusive), got 100"
    )
    assert isinstance(caught.value, CatalogError)


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        pytest.param("apiVersion: flowscope/v1\nflows: [\n", 3, "invalid YAML",
                     id="an unclosed list is a syntax error"),
        pytest.param("apiVersion: flowscope/v1\n  flows: []\n", 2, "mapping values are not allowed",
                     id="a badly indented key is a syntax error"),
        pytest.param("apiVersion: flowscope/v1\n---\napiVersion: flowscope/v1\n", 2,
                     "expected a single document", id="two YAML documents are a syntax error"),
        pytest.param("flows: *missing\n", 1, "undefined alias",
                     id="an unknown alias is a syntax error"),
    ],
)
def test_unparsable_yaml_is_a_syntax_error(text: str, line: int, fragment: str) -> None:
    with pytest.raises(CatalogSyntaxError) as caught:
        parse_catalog(text, filename="c.yaml")
    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == ("c.yaml", line)
    assert fragment in problem.message
    assert str(caught.value).startswith(f"c.yaml:{line}:")


def test_a_wrong_version_is_the_only_problem_reported() -> None:
    problems = problems_of("apiVersion: flowscope/v9\nflows: 12\nwhatever: true\n")
    assert [p.field for p in problems] == ["apiVersion"]
