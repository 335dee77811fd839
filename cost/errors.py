"""Errors raised by the cost room.

The cost math is pure: it raises only for arguments outside their domain, never for "no data"
(zero successes give a cost per success of ``None``, an empty series has no payback date)::

    CostError                          base class of every error raised by cost
     ├── CostValueError                an argument outside its domain (also a ValueError)
     │    ├── AmountError              money that is not a finite Decimal, has more than 18
     │    │                            decimal places or 30 integer digits, a negative price,
     │    │                            or a division by zero
     │    ├── UsageError               negative counts, failed-run activity larger than all
     │    │                            activity, a backwards date range, usage days outside
     │    │                            the range or given twice, overlapping breakdowns
     │    ├── SpendLineError           an imported spend line without a flow or partner, or
     │    │                            the same (source, line id) twice
     │    │    └── SpendInputError     a submitted line (JSON or CSV) refused, naming its
     │    │                            index and field
     │    ├── AllocationError          an exact split that cannot be made: no weights, a
     │    │                            negative weight, all weights zero, a total that is not
     │    │                            a whole number of minor units
     │    ├── CostModelError           a cost model the catalog would refuse (a per-call price
 │    │                            naming neither or both of step and partner)
 │    ├── BaselineError            a baseline with neither manual minutes and an hourly
     │    │                            rate nor a cost per run
     │    ├── SeriesError              a daily series whose days are not strictly increasing
     │    └── CurrencyError            currencies that cannot be used together
     │         ├── CurrencyCodeError   not an ISO 4217 code of three capital letters
     │         └── CurrencyMismatchError  amounts in two currencies and no exchange rate
     │                                 between them
     └── NoCostModelError              the flow declares no ``cost`` section

No third-party library is involved; :mod:`decimal` signals never escape (inputs are checked
before any arithmetic that could trap).
"""

from __future__ import annotations


class CostError(Exception):
    """Base class of every error raised by the ``cost`` room."""


class CostValueError(CostError, ValueError):
    """An argument is outside its domain."""


class AmountError(CostValueError):
    """Money is not a finite :class:`~decimal.Decimal` within the supported range (at most 18
    decimal places and 30 integer digits), a price is negative, or a divisor is zero."""


class UsageError(CostValueError):
    """Usage counts are negative or inconsistent, or days fall outside the allocated range."""


class SpendLineError(CostValueError):
    """An imported spend line is malformed or given twice."""


class SpendInputError(SpendLineError):
    """A submitted spend line is refused: ``index`` (0-based position in the request or file)
    and ``field`` (``amount``, ``date``...) say where."""

    def __init__(self, index: int, field: str, message: str) -> None:
        super().__init__(f"line {index}, field {field!r}: {message}")
        self.index = index
        self.field = field
        self.reason = message


class AllocationError(CostValueError):
    """An amount cannot be split exactly as asked."""


class CostModelError(CostValueError):
    """A cost model is inconsistent (the catalog loader refuses such models; this guards
    models built in code)."""


class BaselineError(CostValueError):
    """A baseline declares neither manual minutes with an hourly rate nor a cost per run."""


class SeriesError(CostValueError):
    """The days of a daily series are not strictly increasing."""


class CurrencyError(CostValueError):
    """Currencies cannot be used together."""


class CurrencyCodeError(CurrencyError):
    """A currency is not an ISO 4217 code of three capital letters (like ``USD``)."""


class CurrencyMismatchError(CurrencyError):
    """Amounts in different currencies were to be combined without an exchange rate."""


class NoCostModelError(CostError):
    """The flow has no ``cost`` section, so nothing can be allocated to it."""
