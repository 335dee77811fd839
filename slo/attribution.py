"""Who spent the error budget: bad runs attributed to the step where they went bad, and the
budget each partner consumed. Pure.

A bad run (determinate and not good, :mod:`slo.runs`) is **attributed** to the last catalog
step it had reached when it became determinate: the step whose operations' first item is the
latest one at or before that instant (ties go to the later step in catalog order). A run that
failed at the payment step reached checkout and payment, not the ERP sync; a run still waiting
at the ERP sync when its latency threshold passed is attributed to the ERP sync. A run that
had reached no step is *unattributed*.

Steps group by their ``partner``; steps without one are the flow's own (:data:`IN_HOUSE`).
The budget a group **consumed** is its bad runs over the runs the objective allows to be bad
in the SLO's period: ``bad / (valid x (1 - objective))`` (a fraction of the error budget;
1 = all of it). Summed over every group it equals ``1 - budget remaining`` of the SLO
(:func:`slo.budget.budget_remaining`), so the parts add up to the whole. :func:`step_budgets`
gives the same split by step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from catalog.model import Step
from slo.errors import SLOValueError

IN_HOUSE = "in-house steps"
"""The group of steps that name no partner."""
UNATTRIBUTED = "before any step"
"""The group of bad runs that had reached no catalog step."""


@dataclass(frozen=True)
class PartnerBudget:
    """What one group (a partner, :data:`IN_HOUSE` or :data:`UNATTRIBUTED`) cost one SLO:
    ``bad`` runs attributed to it, ``consumed`` the fraction of the period's error budget they
    used (``None`` when the period has no valid run), and the ``steps`` they went bad at."""

    partner: str
    bad: int
    consumed: float | None
    steps: tuple[str, ...]


@dataclass(frozen=True)
class StepBudget:
    """What one catalog step (``step`` ``None``: runs that reached no step) cost one SLO:
    its ``partner`` (``None``: in-house, or no step), ``bad`` runs attributed to it, and
    ``consumed`` the fraction of the period's error budget they used (``None`` when the period
    has no valid run)."""

    step: str | None
    partner: str | None
    bad: int
    consumed: float | None


def _checked(steps: Sequence[Step], bad_by_step: Mapping[int, int], valid: int,
             objective: float) -> float:
    """The bad runs the budget allows (``valid x (1 - objective)``), once the arguments are
    checked (see :func:`partner_budgets`)."""
    if not 0 < objective < 1:
        raise SLOValueError(f"the objective must be a fraction in (0, 1), got {objective}")
    for position, bad in bad_by_step.items():
        if not 0 <= position <= len(steps):
            raise SLOValueError(f"no step at position {position}; the flow has {len(steps)}")
        if bad < 0:
            raise SLOValueError(f"bad runs cannot be negative, got {bad}")
    if sum(bad_by_step.values()) > valid:
        raise SLOValueError(f"more bad runs than the {valid} valid ones")
    return valid * (1 - objective)


def step_budgets(steps: Sequence[Step], bad_by_step: Mapping[int, int], valid: int,
                 objective: float) -> tuple[StepBudget, ...]:
    """The budget each step consumed, in catalog order, then the runs that reached no step;
    steps without bad runs are left out. Arguments and errors as :func:`partner_budgets`."""
    allowed = _checked(steps, bad_by_step, valid, objective)
    found = []
    for position in [*range(1, len(steps) + 1), 0]:
        bad = bad_by_step.get(position, 0)
        if bad:
            step = steps[position - 1] if position else None
            found.append(StepBudget(step.name if step else None, step.partner if step else None,
                                    bad, bad / allowed if valid else None))
    return tuple(found)


def partner_budgets(steps: Sequence[Step], bad_by_step: Mapping[int, int], valid: int,
                    objective: float) -> tuple[PartnerBudget, ...]:
    """The budget each group consumed (see the module docstring), most consumed first, then
    by name; groups without bad runs are left out.

    ``bad_by_step`` counts bad runs by 1-based step position in ``steps`` (0: unattributed);
    ``valid`` is the SLO's determinate runs in its period and ``objective`` a fraction in
    (0, 1). Raises :class:`ValueError` for a position outside ``steps``, a negative count or
    more bad runs than valid ones.
    """
    allowed = _checked(steps, bad_by_step, valid, objective)
    groups: dict[str, tuple[int, list[str]]] = {}
    for position, bad in sorted(bad_by_step.items()):
        if bad == 0:
            continue
        step = steps[position - 1] if position else None
        name = UNATTRIBUTED if step is None else step.partner or IN_HOUSE
        total, names = groups.get(name, (0, []))
        groups[name] = (total + bad, names + ([step.name] if step else []))
    found = [PartnerBudget(name, bad, bad / allowed if valid else None, tuple(names))
             for name, (bad, names) in groups.items()]
    return tuple(sorted(found, key=lambda p: (-p.bad, p.partner)))
