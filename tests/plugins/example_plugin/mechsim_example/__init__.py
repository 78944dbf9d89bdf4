"""A tiny third-party family for the plugin tests: sealed-bid auctions on the shared contracts.

It lives outside mechsim and touches no mechsim file: importing it registers two
mechanisms, a family (``auction``), its conformance checks' instances and its audit
builder, exactly as a user's package would through the ``mechsim.families`` entry point.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from mechsim.audit import register_audit_builder
from mechsim.audit.game import MechanismGame
from mechsim.core.family import FamilySpec, Section, Setting, register_family
from mechsim.core.mechanism import Claims, Mechanism, Outcome
from mechsim.core.params import Integer, Real
from mechsim.core.registry import register
from mechsim.core.skeleton import finish, run_jobs, variant_jobs, variant_summary, variant_sweep_metrics
from mechsim.core.strategy import AgentType

__all__ = ["SecondPrice", "FirstPrice", "Bidder"]


class _Auction(Mechanism):
    _parameter_constraints: ClassVar[dict] = {"reserve": Real(0.0, 1.0)}

    def __init__(self, *, reserve: float = 0.0) -> None:
        self.reserve = reserve

    def reset(self, *, n_agents: int, rng: np.random.Generator, **context: Any) -> None:
        self.params_ = self.get_params()
        self.n_agents_ = n_agents

    def _price(self, bids: np.ndarray, winner: int) -> float:
        raise NotImplementedError

    def step(self, t: int, reports: Any) -> Outcome:
        bids = np.asarray(reports, dtype=float)
        alloc, pay = np.zeros(self.n_agents_), np.zeros(self.n_agents_)
        w = int(np.argmax(bids))
        if bids[w] >= self.params_["reserve"]:
            alloc[w] = 1.0
            pay[w] = -self._price(bids, w)
        return Outcome(allocation=alloc, payments=pay, scores=bids.copy())


@register("auction/second-price-v1", kind="auction.mechanism")
class SecondPrice(_Auction):
    """Sealed-bid second-price (Vickrey) auction with a reserve price."""

    claims: ClassVar[Claims] = Claims(truthful="dominant", individually_rational=True, budget_balance="weak")

    def _price(self, bids: np.ndarray, winner: int) -> float:
        others = np.delete(bids, winner)
        return float(max(self.params_["reserve"], others.max() if others.size else 0.0))


@register("auction/first-price-v1", kind="auction.mechanism")
class FirstPrice(_Auction):
    """Sealed-bid first-price auction (bidders shade: not truthful)."""

    claims: ClassVar[Claims] = Claims(individually_rational=True, budget_balance="weak")

    def _price(self, bids: np.ndarray, winner: int) -> float:
        return float(bids[winner])


class Bidder(AgentType):
    """Private values uniform on [0, 1], drawn every round; utility = value x won + payment."""

    utility_unit = "surplus per round"

    def __init__(self, n_agents: int) -> None:
        self.n_agents = n_agents

    def draw(self, t: int, types: Any, rng: np.random.Generator) -> np.ndarray:
        return rng.random(self.n_agents)

    def utility(self, t: int, private: Any, reports: Any, outcome: Outcome) -> np.ndarray:
        return np.asarray(private) * outcome.allocation + outcome.payments

    def deviations(self) -> list[str]:
        return ["scaled:0.5", "scaled:0.8", "scaled:1.25", "fixed:0.9"]


def _game(cfg: Any, n_agents: int, n_rounds: int, seeds: Any, name: str) -> MechanismGame:
    return MechanismGame(name=name, make_mechanism=cfg.build, agent_type=Bidder(n_agents), n_agents=n_agents, n_rounds=n_rounds, seeds=seeds, n_seeds=16)


def run(scenario: Any, ctx: Any) -> Any:
    s = scenario.settings
    ctx.recorder.declare("rounds", variant="str", replication="int", t="int", agent="int", won="float", payment="float", surplus="float")

    def process(job: Any):
        game = _game(job.config, s["n_agents"], s["n_rounds"], job.seeds, job.variant)
        for r in game.play(0):
            ctx.recorder.extend(
                "rounds", variant=job.variant, replication=job.replication, t=r.t, agent=np.arange(s["n_agents"]),
                won=r.outcome.allocation, payment=r.outcome.payments, surplus=r.utility,
            )
            job.bar.update(1)
            yield ctx.engine.timeout(1)

    run_jobs(ctx, variant_jobs(scenario, ctx, section="mechanisms"), process, units=s["n_rounds"], desc=scenario.name)
    return finish(scenario, ctx, lambda sc, tables: {"variants": variant_summary(tables["rounds"], ["surplus", "payment"])})


def plot(results: Any, figdir: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rounds = results.tables["rounds"]
    fig, ax = plt.subplots(figsize=(4, 3))
    labels = rounds.unique("variant")
    ax.bar(labels, [-rounds.where(variant=v)["payment"].sum() / max(len(rounds.where(variant=v)), 1) for v in labels])
    ax.set_ylabel("revenue per agent-round")
    path = figdir / "revenue.png"
    fig.savefig(path)
    plt.close(fig)
    return [path]


def audit_games(scenario: Any, seeds: Any, progress: Any) -> list[MechanismGame]:
    s = scenario.settings
    return [_game(cfg, s["n_agents"], s["n_rounds"], seeds.child("audit", label), label) for label, cfg in scenario["mechanisms"].items()]


register_family(
    FamilySpec(
        name="auction",
        doc="Sealed-bid auctions (an example plugin family).",
        settings={
            "n_agents": Setting(Integer(2, None), 3, "bidders"),
            "n_rounds": Setting(Integer(1, None), 20, "auctions per replication"),
            "n_replications": Setting(Integer(1, None), 2, "replications"),
        },
        sections={"mechanisms": Section(kind="auction.mechanism", many=True, doc="labelled auctions")},
        run=run,
        plot=plot,
        sweep_metrics=variant_sweep_metrics,
    )
)
register_audit_builder("auction", audit_games)
