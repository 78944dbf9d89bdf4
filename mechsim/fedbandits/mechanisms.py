"""Mechanisms of a communication round: who uploads and downloads, and what each is paid.

Every mechanism receives one round's :class:`RoundReports` (the clients' reported
costs plus the server's view of their statistics) and returns a
:class:`RoundOutcome`: ``allocation`` (1.0 for participants), ``payments`` (cash to
the clients, signed), ``data_value`` (the download's value to each participant,
``kappa [log det(V_g^new + lambda I) - log det(V_i + lambda I)]_+``, spec §2.2) and
``critical`` (Truth-FedBan's critical values). A participant's utility is
``payment + data_value - cost``; a non-participant's is 0 (it neither pays nor
downloads). A non-finite bid means the client opts out of the round.

The mechanisms hold no state between rounds (the server's statistics live in the
protocol), so ``step`` can be replayed on modified reports (best responses,
utility curves, the auditor).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from mechsim.core.mechanism import BudgetBalance, Claims, Mechanism, Outcome, Truthfulness
from mechsim.core.params import Boolean, Integer, Real
from mechsim.core.registry import register
from mechsim.errors import ParameterError
from mechsim.fedbandits.kernels import logdet_spd
from mechsim.fedbandits.selection import (
    brute_force_cover,
    critical_values,
    data_values,
    greedy_cover,
    round_target,
)

__all__ = ["RoundReports", "RoundOutcome", "FedMechanism", "DisLinUCB", "IncFedUCB", "TruthFedBan", "BruteForceOptimal", "LocalOnly"]


@dataclass(frozen=True)
class RoundReports:
    """What the server sees in one round.

    bids : (N,) reported costs (``inf``: opt out)
    base : (d, d) ``V_g + lambda I``
    uploads : (N, d, d) each client's pending ``Delta V_j``
    local_logdet : (N,) ``log det(V_i + lambda I)`` of each client's local statistics
    """

    bids: np.ndarray
    base: np.ndarray
    uploads: np.ndarray
    local_logdet: np.ndarray

    def with_bids(self, bids: np.ndarray) -> RoundReports:
        return RoundReports(np.asarray(bids, dtype=float), self.base, self.uploads, self.local_logdet)


@dataclass(frozen=True, kw_only=True)
class RoundOutcome(Outcome):
    """:class:`~mechsim.core.mechanism.Outcome` plus the download's value and the critical values (N,)."""

    data_value: np.ndarray
    critical: np.ndarray


class FedMechanism(Mechanism):
    """Shared plumbing: ``reset(n_agents, rng, kappa=...)``, validation of reports, the outcome."""

    _parameter_constraints: ClassVar[dict] = {}

    def reset(self, *, n_agents: int, rng: np.random.Generator, kappa: float = 0.0, **context: Any) -> None:
        self.params_ = self.get_params()
        if not (isinstance(kappa, (int, float)) and math.isfinite(kappa) and kappa >= 0):
            raise ParameterError(f"The 'kappa' parameter of {type(self).__name__} must be a float in [0, inf). Got {kappa!r} instead.")
        self.n_agents_ = int(n_agents)
        self.kappa_ = float(kappa)
        self.rng_ = rng

    def _check(self, reports: RoundReports) -> np.ndarray:
        if not isinstance(reports, RoundReports):
            raise ParameterError(f"{type(self).__name__}.step takes RoundReports. Got {type(reports).__name__} instead.")
        bids = np.asarray(reports.bids, dtype=float)
        if bids.shape != (self.n_agents_,):
            raise ParameterError(f"{type(self).__name__}.step: bids must have shape ({self.n_agents_},). Got {bids.shape} instead.")
        if np.any(bids < 0) or np.any(np.isnan(bids)):
            raise ParameterError(f"{type(self).__name__}.step: bids must be >= 0 (inf to opt out). Got {bids!r}.")
        return bids

    def _outcome(self, reports: RoundReports, chosen: list[int], payments: np.ndarray, *, critical: np.ndarray | None = None, **info: Any) -> RoundOutcome:
        n = self.n_agents_
        alloc = np.zeros(n)
        alloc[chosen] = 1.0
        value = data_values(reports.base, reports.uploads, chosen, reports.local_logdet, self.kappa_)
        gained = float(logdet_spd(reports.base + reports.uploads[chosen].sum(axis=0))) if chosen else float(logdet_spd(reports.base))
        return RoundOutcome(
            allocation=alloc,
            payments=np.asarray(payments, dtype=float),
            scores=value.copy(),
            info={"logdet": gained, **info},
            data_value=value,
            critical=np.full(n, np.nan) if critical is None else critical,
        )

    def _pay_as_bid(self, reports: RoundReports, bids: np.ndarray, chosen: list[int]) -> np.ndarray:
        """Inc-FedUCB's payment: the bid net of the data value, ``max(0, bid - f)`` (spec §2.2)."""
        value = data_values(reports.base, reports.uploads, chosen, reports.local_logdet, self.kappa_)
        pay = np.zeros(self.n_agents_)
        pay[chosen] = np.maximum(bids[chosen] - value[chosen], 0.0)
        return pay


_CLAIMS_FREE = Claims(truthful=Truthfulness.NONE, individually_rational=False, budget_balance=BudgetBalance.STRONG)


@register("fedbandits/dislinucb-v1", kind="fedbandits.mechanism")
class DisLinUCB(FedMechanism):
    """DisLinUCB (Wang et al., ICLR 2020): every client that takes part shares; no payments.

    Clients are treated as altruistic, so a client whose cost exceeds its data value
    loses utility: no individual-rationality claim.
    """

    claims = _CLAIMS_FREE

    def __init__(self) -> None:
        pass

    def step(self, t: int, reports: RoundReports) -> RoundOutcome:
        bids = self._check(reports)
        chosen = [int(j) for j in np.flatnonzero(np.isfinite(bids))]
        return self._outcome(reports, chosen, np.zeros(self.n_agents_))


@register("fedbandits/local-only-v1", kind="fedbandits.mechanism")
class LocalOnly(FedMechanism):
    """No communication: nobody is selected; every client learns on its own data."""

    claims = Claims(truthful=Truthfulness.DOMINANT, individually_rational=True, budget_balance=BudgetBalance.STRONG)

    def __init__(self) -> None:
        pass

    def step(self, t: int, reports: RoundReports) -> RoundOutcome:
        self._check(reports)
        return self._outcome(reports, [], np.zeros(self.n_agents_))


_BETA = Real(0, 1, closed="right")


@register("fedbandits/inc-feducb-v1", kind="fedbandits.mechanism")
class IncFedUCB(FedMechanism):
    """Inc-FedUCB (Wei et al., NeurIPS 2023): payment-free step, then a payment-efficient search; pay as bid.

    1. Payment-free: repeatedly add every client whose data value (against the
       current set plus itself) covers its bid, until no one is added.
    2. If ``det(B + sum_S Delta V) / det(B + sum_all Delta V) < beta``: add clients
       greedily by marginal log-det gain per unit of payment ``max(0, bid - f)``.
    3. Pay each participant ``max(0, bid - f)`` (its bid net of its data value).

    Truthful reports give IR; over-reporting raises the payment (not truthful).

    Parameters
    ----------
    beta : float in (0, 1], default 0.5
        Share of full participation's information (det ratio) a round must collect.
    """

    _parameter_constraints: ClassVar[dict] = {"beta": _BETA}
    claims = Claims(truthful=Truthfulness.NONE, individually_rational=True)

    def __init__(self, *, beta: float = 0.5) -> None:
        self.beta = beta

    def step(self, t: int, reports: RoundReports) -> RoundOutcome:
        bids = self._check(reports)
        avail = np.isfinite(bids)
        target = round_target(reports.base, reports.uploads, avail, self.params_["beta"])
        chosen = self._payment_free(reports, bids, avail)
        n_free = len(chosen)
        level = float(logdet_spd(reports.base + reports.uploads[chosen].sum(axis=0))) if chosen else float(logdet_spd(reports.base))
        if level < target:
            cash = self._need(reports, bids, avail, chosen)
            trace = greedy_cover(reports.base, reports.uploads, bids, target, available=avail, start=chosen, weights=cash)
            chosen = chosen + trace.picks  # the trace lists the picks after its start
        return self._outcome(reports, chosen, self._pay_as_bid(reports, bids, chosen), n_payment_free=n_free)

    def _payment_free(self, reports: RoundReports, bids: np.ndarray, avail: np.ndarray) -> list[int]:
        chosen: list[int] = []
        while True:
            current = reports.base + (reports.uploads[chosen].sum(axis=0) if chosen else 0.0)
            cand = np.flatnonzero(avail & ~np.isin(np.arange(bids.size), chosen))
            if cand.size == 0:
                return chosen
            own = logdet_spd(current[None] + reports.uploads[cand])
            value = self.kappa_ * np.maximum(own - reports.local_logdet[cand], 0.0)
            add = cand[value >= bids[cand]]
            if add.size == 0:
                return chosen
            chosen.extend(int(j) for j in add)

    def _need(self, reports: RoundReports, bids: np.ndarray, avail: np.ndarray, chosen: list[int]) -> np.ndarray:
        """Each candidate's payment if it joined the payment-free set (its bid net of that data value)."""
        current = reports.base + (reports.uploads[chosen].sum(axis=0) if chosen else 0.0)
        cand = np.flatnonzero(avail)
        need = np.full(bids.size, np.inf)
        own = logdet_spd(current[None] + reports.uploads[cand])
        need[cand] = np.maximum(bids[cand] - self.kappa_ * np.maximum(own - reports.local_logdet[cand], 0.0), 0.0)
        return need


@register("fedbandits/truth-fedban-v1", kind="fedbandits.mechanism")
class TruthFedBan(FedMechanism):
    """Truth-FedBan (Wei et al., ICLR 2024): monotone greedy selection with critical-value incentives.

    Clients whose bid exceeds ``crit_cap`` are left out; the target is a ``beta``
    share (det ratio) of the information of the others. The greedy cover by
    marginal log-det gain per unit of bid picks the participants; each receives a
    total incentive equal to its critical value ``min(crit_cap, crit_i)`` (``crit_i =
    inf`` for an essential client), of which the download is worth ``f_i`` and the
    cash payment is ``crit_i - f_i``. A participant's utility ``crit_i - D_i`` does not
    depend on its report, and it is selected exactly when its report is below
    ``crit_i``: truthful in dominant strategy and individually rational per round
    (Myerson; spec Prop. 5).

    Parameters
    ----------
    beta : float in (0, 1], default 0.5
    crit_cap : float > 0, default 10.0
        Budget cap of a critical value (essential clients, spec Lemma 7).
    limited_liability : bool, default False
        ``True`` clips the cash payment at 0 when ``f_i > crit_i`` (a client is never
        charged). That breaks exact truthfulness when the data value depends on the
        set, so the claims assume ``False``: a negative payment is a charge for the
        download.
    """

    _parameter_constraints: ClassVar[dict] = {"beta": _BETA, "crit_cap": Real(0.0, None, closed="neither"), "limited_liability": Boolean()}
    claims = Claims(truthful=Truthfulness.DOMINANT, individually_rational=True)

    def __init__(self, *, beta: float = 0.5, crit_cap: float = 10.0, limited_liability: bool = False) -> None:
        self.beta = beta
        self.crit_cap = crit_cap
        self.limited_liability = limited_liability

    def select(self, reports: RoundReports) -> tuple[list[int], np.ndarray]:
        """The winners and every winner's critical value (``nan`` for losers)."""
        p = self.params_
        bids = self._check(reports)
        avail = np.isfinite(bids) & (bids <= p["crit_cap"])
        target = round_target(reports.base, reports.uploads, avail, p["beta"])
        main = greedy_cover(reports.base, reports.uploads, bids, target, available=avail)
        crit = critical_values(reports.base, reports.uploads, bids, target, available=avail, main=main)
        return main.picks, np.minimum(crit, p["crit_cap"])

    def step(self, t: int, reports: RoundReports) -> RoundOutcome:
        chosen, crit = self.select(reports)
        value = data_values(reports.base, reports.uploads, chosen, reports.local_logdet, self.kappa_)
        pay = np.zeros(self.n_agents_)
        pay[chosen] = crit[chosen] - value[chosen]
        if self.params_["limited_liability"]:
            pay = np.maximum(pay, 0.0)
        return self._outcome(reports, chosen, pay, critical=crit)


@register("fedbandits/brute-force-v1", kind="fedbandits.mechanism")
class BruteForceOptimal(FedMechanism):
    """Reference: the set of least reported cost that meets the ``beta`` constraint, by exhaustive search.

    Exponential in N (refuses ``n_agents > max_agents``). Pays as bid net of the data
    value, like Inc-FedUCB (IR under truthful reports, not truthful).

    Parameters
    ----------
    beta : float in (0, 1], default 0.5
    max_agents : int >= 1, default 16
    """

    _parameter_constraints: ClassVar[dict] = {"beta": _BETA, "max_agents": Integer(1, 24)}
    claims = Claims(truthful=Truthfulness.NONE, individually_rational=True)

    def __init__(self, *, beta: float = 0.5, max_agents: int = 16) -> None:
        self.beta = beta
        self.max_agents = max_agents

    def reset(self, *, n_agents: int, rng: np.random.Generator, kappa: float = 0.0, **context: Any) -> None:
        super().reset(n_agents=n_agents, rng=rng, kappa=kappa, **context)
        if n_agents > self.params_["max_agents"]:
            raise ParameterError(
                f"BruteForceOptimal searches 2^N sets: n_agents = {n_agents} exceeds its 'max_agents' = {self.params_['max_agents']}."
            )

    def step(self, t: int, reports: RoundReports) -> RoundOutcome:
        bids = self._check(reports)
        avail = np.isfinite(bids)
        target = round_target(reports.base, reports.uploads, avail, self.params_["beta"])
        chosen, feasible = brute_force_cover(reports.base, reports.uploads, bids, target, available=avail)
        return self._outcome(reports, chosen, self._pay_as_bid(reports, bids, chosen), feasible=feasible)

