"""Minor units, display rounding per currency, exchange rates and the one-currency rule."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from catalog.model import Catalog, CostModel, Flow
from cost.currency import (
    ExchangeRates,
    catalog_currency,
    convert,
    display_money,
    minor_unit,
    money_text,
    round_money,
    unit_money_text,
)
from cost.errors import CurrencyCodeError, CurrencyMismatchError
from tests.cost.flows import ORDER_TO_CASH


@pytest.mark.parametrize(("amount", "currency", "unit", "shown"), [
    pytest.param("0.000416666666666667", "USD", True, "USD 0.000417",
                 id="a sub-cent unit cost keeps three significant digits"),
    pytest.param("0.39", "USD", True, "USD 0.39", id="a unit cost in cents"),
    pytest.param("0.3945", "USD", True, "USD 0.394", id="a third digit below the cent, ties even"),
    pytest.param("12.5", "USD", True, "USD 12.50", id="a unit cost never shows fewer places than "
                                                      "the currency's"),
    pytest.param("1204.4", "USD", True, "USD 1,204", id="a unit cost from 100 on in whole units"),
    pytest.param("0.0004", "USD", True, "USD 0.0004", id="trailing zeros past the cent dropped"),
    pytest.param("0", "USD", True, "USD 0.00", id="a zero unit cost"),
    pytest.param("-0.061", "USD", True, "USD -0.061", id="a negative change of a unit cost"),
    pytest.param("0.4167", "JPY", True, "JPY 0.417", id="a sub-yen unit cost"),
    pytest.param("1234.5", "JPY", False, "JPY 1,234", id="a total in yen, ties even"),
    pytest.param("0.1254", "KWD", False, "KWD 0.125", id="a total in dinars, thousandths"),
    pytest.param("12.5", "KWD", True, "KWD 12.500", id="a unit cost in dinars"),
    pytest.param("-1204.5", "USD", False, "USD -1,204.50", id="negative savings"),
    pytest.param("1234567.891", "USD", False, "USD 1,234,567.89", id="millions grouped"),
    pytest.param("1234567.891", "USD", True, "USD 1,234,568", id="a unit cost in millions"),
])
def test_money_reads_for_people(amount: str, currency: str, unit: bool, shown: str) -> None:
    assert display_money(Decimal(amount), currency, unit=unit) == shown


@pytest.mark.parametrize(("amount", "currency", "text"), [
    pytest.param("0.000416666666666667", "USD", "0.000416666666666667",
                 id="a sub-cent quotient is given whole"),
    pytest.param("0.3", "USD", "0.30", id="padded to the cent"),
    pytest.param("40", "USD", "40.00", id="a whole unit cost padded to the cent"),
    pytest.param("40", "JPY", "40", id="yen have no places to pad"),
    pytest.param("0.1250", "KWD", "0.125", id="dinars to the thousandth"),
])
def test_a_unit_cost_is_given_exactly(amount: str, currency: str, text: str) -> None:
    assert unit_money_text(Decimal(amount), currency) == text

@pytest.mark.parametrize(
    ("currency", "places", "amount", "shown"),
    [
        pytest.param("USD", 2, "0.909304123711340206", "0.91", id="dollars show cents"),
        pytest.param("EUR", 2, "88.2025", "88.20", id="euros drop what is below half a cent"),
        pytest.param("JPY", 0, "1234.5", "1234", id="yen have no minor unit and 0.5 goes even"),
        pytest.param("KWD", 3, "1.23456", "1.235", id="dinars show thousandths"),
        pytest.param("XYZ", 2, "1.005", "1.00",
                     id="an unlisted code has two places and ties go even"),
    ],
)
def test_money_is_rounded_to_the_minor_unit_for_display(currency: str, places: int,
                                                        amount: str, shown: str) -> None:
    assert minor_unit(currency) == places
    assert str(round_money(Decimal(amount), currency)) == shown
    assert money_text(Decimal(amount), currency) == shown


def test_money_text_never_uses_an_exponent() -> None:
    assert money_text(Decimal("1.2E+3"), "USD") == "1200.00"
    assert money_text(Decimal("1.2E+3"), "JPY") == "1200"


@pytest.mark.parametrize("code", ["usd", "US", "DOLLAR", "", "US1"],
                         ids=lambda c: f"currency code {c!r} is refused")
def test_currency_codes_must_be_three_capital_letters(code: str) -> None:
    with pytest.raises(CurrencyCodeError, match="three capital letters"):
        minor_unit(code)


EUR_TO_USD = ExchangeRates("USD", {"EUR": Decimal("1.08")})


@pytest.mark.parametrize(
    ("amount", "currency", "target", "rates", "converted"),
    [
        pytest.param("100", "USD", "USD", None, "100", id="the same currency needs no rate"),
        # 250.50 EUR x 1.08 = 270.5400 USD, exact
        pytest.param("250.50", "EUR", "USD", EUR_TO_USD, "270.5400",
                     id="a rate multiplies exactly"),
    ],
)
def test_conversion(amount: str, currency: str, target: str, rates: ExchangeRates | None,
                    converted: str) -> None:
    assert str(convert(Decimal(amount), currency, target, rates)) == converted


@pytest.mark.parametrize(
    ("currency", "target", "rates", "message"),
    [
        pytest.param("EUR", "USD", None, "no exchange rates were given",
                     id="mixing currencies without rates is refused"),
        pytest.param("GBP", "USD", EUR_TO_USD, "have no GBP rate",
                     id="a currency the rates lack is refused"),
        pytest.param("EUR", "CHF", EUR_TO_USD, "convert into USD",
                     id="rates into another target are refused"),
    ],
)
def test_currency_mismatch_is_refused(currency: str, target: str,
                                      rates: ExchangeRates | None, message: str) -> None:
    with pytest.raises(CurrencyMismatchError, match=message) as caught:
        convert(Decimal("1"), currency, target, rates, what="spend line erp#7")
    assert f"give a {currency}->{target} exchange rate" in str(caught.value)
    assert "spend line erp#7" in str(caught.value)


def test_a_zero_rate_is_refused() -> None:
    with pytest.raises(CurrencyMismatchError, match="zero"):
        ExchangeRates("USD", {"EUR": Decimal("0")})


def _flow(name: str, currency: str | None) -> Flow:
    cost = None if currency is None else CostModel(currency=currency)
    return replace(ORDER_TO_CASH, name=name, cost=cost)


@pytest.mark.parametrize(
    ("currencies", "rates", "expected"),
    [
        pytest.param([None, None], None, None, id="a catalog without cost has no currency"),
        pytest.param(["USD", None, "USD"], None, "USD", id="one shared currency"),
        pytest.param(["USD", "EUR"], EUR_TO_USD, "USD",
                     id="mixed currencies with rates report in the rates' target"),
    ],
)
def test_one_currency_per_catalog(currencies: list[str | None], rates: ExchangeRates | None,
                                  expected: str | None) -> None:
    catalog = Catalog(flows=tuple(_flow(f"flow-{i}", c) for i, c in enumerate(currencies)))
    assert catalog_currency(catalog, rates) == expected


def test_a_catalog_mixing_currencies_without_rates_is_refused_naming_the_flows() -> None:
    catalog = Catalog(flows=(_flow("order-to-cash", "USD"), _flow("refund-to-ledger", "EUR"),
                             _flow("lead-to-demo", "GBP")))
    with pytest.raises(CurrencyMismatchError) as caught:
        catalog_currency(catalog, EUR_TO_USD)
    message = str(caught.value)
    assert "3 currencies" in message
    assert "EUR: refund-to-ledger" in message
    assert "lack GBP" in message
