"""Currencies: minor units, display rounding, exchange rates and the one-currency rule.

A catalog is costed in **one currency** (every flow's ``cost.currency`` is the same) unless
exchange rates are given; amounts in two currencies are never added without a rate
(:class:`~cost.errors.CurrencyMismatchError`, naming both currencies). Rates are a single table
given by the caller (no dates, no lookups): ``ExchangeRates("USD", {"EUR": Decimal("1.08")})``
means one euro is 1.08 dollars. Converting multiplies exactly (no rounding).

Minor units (decimal places of the smallest coin) follow ISO 4217 for the currencies in
:data:`MINOR_UNITS`; every other code has :data:`DEFAULT_MINOR_UNIT` (2).

Money as text, one rule each:

- **API and CLI JSON** (:func:`money_text`): totals rounded to the minor unit (``"88.20"``);
  **unit costs** (:func:`unit_money_text`: cost per success, marginal cost per run, failure cost
  per run) exact, never fewer places than the minor unit (``"0.000416666666666667"``,
  ``"0.30"``).
- **Pages and CLI tables** (:func:`display_money`): the currency code, thousands grouped; totals
  to the minor unit (``USD 1,204.50``, ``JPY 1,205``, ``KWD 0.125``, ``USD -12.50``); unit costs
  with at least :data:`UNIT_SIGNIFICANT_DIGITS` significant digits (``USD 0.000417``,
  ``USD 0.39``, ``USD 1,204``).

Pure: standard library and :mod:`catalog.model` only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from catalog.model import Catalog
from cost.errors import CurrencyCodeError, CurrencyMismatchError
from cost.money import check_amount, exact, round_places, tidy

DEFAULT_MINOR_UNIT = 2
"""Decimal places of a currency not listed in :data:`MINOR_UNITS`."""

MINOR_UNITS: Mapping[str, int] = MappingProxyType({
    # no minor unit
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
    "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    # thousandths
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    # ten-thousandths
    "CLF": 4, "UYW": 4,
})
"""ISO 4217 minor units that differ from two decimal places."""

_CODE = re.compile(r"[A-Z]{3}")


def check_currency(code: str) -> str:
    """``code`` itself when it is three capital letters (ISO 4217 shape, like ``USD``); else
    :class:`~cost.errors.CurrencyCodeError`."""
    if not isinstance(code, str) or _CODE.fullmatch(code) is None:
        raise CurrencyCodeError(f"a currency must be an ISO 4217 code of three capital letters "
                                f"(like USD or EUR), got {code!r}")
    return code


def minor_unit(currency: str) -> int:
    """Decimal places of ``currency``'s minor unit: ``USD`` 2, ``JPY`` 0, ``KWD`` 3."""
    return MINOR_UNITS.get(check_currency(currency), DEFAULT_MINOR_UNIT)


def round_money(amount: Decimal, currency: str) -> Decimal:
    """``amount`` rounded half to even to ``currency``'s minor unit, **for display only**:
    ``round_money(Decimal("0.909304"), "USD") == Decimal("0.91")``; ``JPY`` has no decimals."""
    return round_places(amount, minor_unit(currency))


def money_text(amount: Decimal, currency: str) -> str:
    """``amount`` as the decimal string the API and CLI show: rounded by :func:`round_money`,
    plain notation, no currency sign (``"88.20"``, ``"1200"`` for ``JPY``)."""
    return f"{round_money(amount, currency):f}"


def unit_money_text(amount: Decimal, currency: str) -> str:
    """A unit cost as the API gives it: exactly ``amount`` (a quotient comes rounded to 18
    places by :func:`cost.money.divide`), plain notation, padded to the minor unit:
    ``Decimal("0.000416666666666667")`` → ``"0.000416666666666667"``, ``Decimal("0.3")`` →
    ``"0.30"``, ``Decimal("40")`` → ``"40.00"`` (``"40"`` in ``JPY``)."""
    check_amount(amount)
    value = tidy(amount)
    places = max(minor_unit(currency), -int(value.as_tuple().exponent))
    return f"{value.quantize(Decimal(1).scaleb(-places)):f}"


UNIT_SIGNIFICANT_DIGITS = 3
"""Fewest significant digits a unit cost shows on the pages and in CLI tables."""


def display_money(amount: Decimal, currency: str, *, unit: bool = False) -> str:
    """``amount`` for people: the currency code, then the amount with thousands grouped.

    A total (``unit=False``) is rounded half to even to the minor unit: ``USD 1,204.50``,
    ``JPY 1,205``, ``KWD 0.125``, ``USD -12.50``, ``USD 1,234,567.89``.

    A unit cost (``unit=True``) keeps at least :data:`UNIT_SIGNIFICANT_DIGITS` significant
    digits, so sub-cent costs stay visible: below 100 it is rounded to the minor unit or to 3
    significant digits, whichever shows more, and trailing zeros past the minor unit are
    dropped (``0.000416666`` → ``USD 0.000417``, ``0.39`` → ``USD 0.39``, ``12.5`` →
    ``USD 12.50``); from 100 on it is rounded to whole units (``1204.4`` → ``USD 1,204``).
    """
    check_amount(amount)
    minor = minor_unit(currency)
    places = minor
    if unit and amount != 0:
        wanted = UNIT_SIGNIFICANT_DIGITS - 1 - amount.copy_abs().adjusted()
        places = max(wanted, minor) if wanted > 0 else 0
    shown = round_places(amount, places)
    if unit and places > minor:
        shown = tidy(shown)
        shown = shown.quantize(Decimal(1).scaleb(-max(minor, -int(shown.as_tuple().exponent))))
    return f"{currency} {shown:,f}"


@dataclass(frozen=True)
class ExchangeRates:
    """Rates into one ``target`` currency: ``per_unit[code]`` is how many ``target`` units one
    unit of ``code`` is worth (positive, exact decimals)."""

    target: str
    per_unit: Mapping[str, Decimal] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_currency(self.target)
        for code, rate in self.per_unit.items():
            check_currency(code)
            check_amount(rate, f"exchange rate {code}->{self.target}", negative=False)
            if rate == 0:
                raise CurrencyMismatchError(f"exchange rate {code}->{self.target} is zero")
        object.__setattr__(self, "per_unit", MappingProxyType(dict(self.per_unit)))

    def covers(self, currency: str) -> bool:
        """True when amounts in ``currency`` can be expressed in :attr:`target`."""
        return currency == self.target or currency in self.per_unit


def convert(amount: Decimal, currency: str, target: str, rates: ExchangeRates | None = None,
            *, what: str = "an amount") -> Decimal:
    """``amount`` in ``currency`` expressed in ``target``: itself when the currencies agree,
    else multiplied exactly by the rate in ``rates`` (whose target must be ``target``).

    ``what`` names the amount in the error. Raises
    :class:`~cost.errors.CurrencyMismatchError` when no rate applies.
    """
    check_currency(currency)
    check_currency(target)
    check_amount(amount, what)
    if currency == target:
        return amount
    if rates is None or rates.target != target or currency not in rates.per_unit:
        given = "no exchange rates were given" if rates is None else (
            f"the exchange rates given convert into {rates.target}"
            if rates.target != target else f"the exchange rates have no {currency} rate")
        raise CurrencyMismatchError(
            f"{what} is in {currency} but must be added to amounts in {target}, and {given}; "
            f"give a {currency}->{target} exchange rate")
    with exact():
        return amount * rates.per_unit[currency]


def catalog_currency(catalog: Catalog, rates: ExchangeRates | None = None) -> str | None:
    """The one currency the catalog's costs are reported in: ``None`` when no flow has a cost
    model, the shared ``cost.currency`` when every flow agrees, else ``rates.target`` when the
    rates cover every flow's currency.

    Raises :class:`~cost.errors.CurrencyMismatchError` naming the flows of each currency when
    flows disagree and no (sufficient) rates are given.
    """
    by_currency: dict[str, list[str]] = {}
    for flow in catalog.flows:
        if flow.cost is not None:
            by_currency.setdefault(flow.cost.currency, []).append(flow.name)
    if not by_currency:
        return None
    if len(by_currency) == 1:
        return next(iter(by_currency))
    if rates is not None and all(rates.covers(code) for code in by_currency):
        return rates.target
    listed = "; ".join(f"{code}: {', '.join(names)}" for code, names in sorted(by_currency.items()))
    missing = "" if rates is None else (
        " (the rates into " + rates.target + " lack "
        + ", ".join(code for code in sorted(by_currency) if not rates.covers(code)) + ")")
    raise CurrencyMismatchError(
        f"the catalog's flows are costed in {len(by_currency)} currencies ({listed}) and cannot "
        f"be added without exchange rates{missing}; use one currency or give rates")
