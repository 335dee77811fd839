"""Hypothesis strategies shared by the SLO tests."""

from __future__ import annotations

from hypothesis import strategies as st

from slo.sli import Counts

MAX_EVENTS = 10**7


@st.composite
def counts(draw: st.DrawFn, *, min_valid: int = 0, max_valid: int = MAX_EVENTS) -> Counts:
    """Good and valid event counts with ``0 <= good <= valid``."""
    valid = draw(st.integers(min_value=min_valid, max_value=max_valid))
    good = draw(st.integers(min_value=0, max_value=valid))
    return Counts(good, valid)


objectives = st.sampled_from([0.9, 0.95, 0.99, 0.995, 0.999, 0.9995, 0.9999])
"""Objectives as fractions, as users write them."""
