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
    minor_unit,
    money_text,
    round_money,
)
from cost.errors import CurrencyCodeError, CurrencyMismatchError
from tests.cost.flows import ORDER_TO_CASH


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
