"""A step's operation keys in SQL (:data:`slo.sli_query.STEP_SELECTS`) are exactly those
:meth:`slo.runs.OperationMatch.matches` selects, on the real engine."""

from __future__ import annotations

import pytest

from slo.runs import OperationMatch, operation_key
from slo.sli_query import STEP_SELECTS, step_key_parts
from warehouse.port import Warehouse

KEYS = [operation_key("payments", "charge", "span"),
        operation_key("payments", "refund", "span"),
        operation_key("payments-eu", "charge", "span"),
        operation_key("erp-sync", "charge", "event"),
        operation_key("erp-sync", "payments", "span"),
        operation_key("storefront", "PaymentFailed", "event")]


@pytest.mark.parametrize("match", [
    OperationMatch(service="payments"),
    OperationMatch(name="charge"),
    OperationMatch(service="payments", name="charge"),
    OperationMatch(service="erp-sync", name="payments"),
    OperationMatch(),
], ids=["a service selects its keys, not a longer service's",
        "a span name selects it in any service, not a service of that name",
        "service and name select both", "a name equal to another key's service is the name",
        "an empty match selects nothing"])
def test_sql_selects_the_keys_the_reference_selects(migrated: Warehouse,
                                                    match: OperationMatch) -> None:
    prefix, infix = step_key_parts(match)
    sql = (f"SELECT arrayFilter(k -> {STEP_SELECTS}, {{keys:Array(String)}}) "
           "FROM (SELECT {p:String} AS p, {n:String} AS n)")
    ((found,),) = migrated.query(sql, {"keys": KEYS, "p": prefix, "n": infix})
    expected = [k for k in KEYS if match.matches(k)]
    assert list(found) == expected
    assert expected or match.empty
