"""Audit games for the senders: misreport maps through the shared auditor.

:class:`InfoAcqGame` is a :class:`~mechsim.audit.game.MechanismGame` whose agents are the
senders of one game. Two things differ from the shared class, both inside this family:

- a sender's deviations are *misreport maps*: the zoo's constant reports ``fixed:v`` and
  the family's ``map:r0,r1,..`` (every non-constant map for small signal sets), per sender
  (the shared ``AgentType.deviations`` has no agent argument and the zoo parser knows no
  ``map``);
- online mechanisms learn: after every round the game gives them the feedback their
  setting allows (state, true profile, Bernoulli samples of the senders' utilities), from
  a stream of its own, so deviations are compared on common random numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from mechsim.audit.base import Deviation, register_audit_builder
from mechsim.audit.game import MechanismGame, PlayedRound
from mechsim.core.seeding import SeedTree
from mechsim.core.strategy import Behaviour
from mechsim.infoacq.agents import BestResponse, SignalAgentType, map_deviations, parse_sender_behaviour, resolve
from mechsim.infoacq.mechanisms import InfoOutcome

__all__ = ["InfoAcqGame", "build_audit_games"]


class InfoAcqGame(MechanismGame):
    """The senders of ``game`` facing ``make_mechanism()`` for ``n_rounds`` rounds.

    Parameters
    ----------
    name : label
    make_mechanism : () -> a :class:`~mechsim.infoacq.mechanisms.DirectMechanism`
    game : the true :class:`~mechsim.infoacq.game.InfoGame`
    n_rounds : rounds per play (utilities are averaged per round: the ex-ante scale)
    seeds : seed-tree node
    profile : sender behaviours (texts or objects; default everyone truthful)
    n_seeds : CRN seeds
    max_full : try every misreport map while there are at most this many (default 8:
        all maps of binary senders); beyond, the single-signal misreports ``t -> r`` (one IC
        row each) and the constant maps
    """

    def __init__(
        self,
        *,
        name: str,
        make_mechanism: Callable[[], Any],
        game: Any,
        n_rounds: int,
        seeds: SeedTree,
        profile: Sequence[Any] | None = None,
        n_seeds: int = 16,
        max_full: int = 8,
    ) -> None:
        super().__init__(
            name=name,
            make_mechanism=make_mechanism,
            agent_type=SignalAgentType(game),
            n_agents=game.n_senders,
            n_rounds=n_rounds,
            seeds=seeds,
            context={"game": game, "n_rounds": n_rounds},
            n_seeds=n_seeds,
            agent_names=[f"sender{i}" for i in range(game.n_senders)],
        )
        self.game = game
        self.max_full = int(max_full)
        self.profile = [parse_sender_behaviour(b) for b in (profile or ["truthful"] * game.n_senders)]

    parse = staticmethod(parse_sender_behaviour)

    def deviations(self, agent: str) -> list[Deviation]:
        i = self._index(agent)
        k = self.game.sig_sizes[i]
        own = self.profile[i].name
        devs: list[Any] = [Behaviour("fixed", (float(v),)) for v in range(k)]
        devs += [m for m in map_deviations(k, max_full=self.max_full) if len(set(m.mapping)) > 1]
        return [Deviation(name=d.name, value=d) for d in devs if d.name != own]

    def play(self, seed: int, profile: Sequence[Any] | None = None, *, mechanism_seed: int | None = None) -> list[PlayedRound]:
        profile = self.profile if profile is None else list(profile)
        node = self.seeds.child("seed", seed)
        game, at = self.game, self.agent_type
        mech = self.make_mechanism()
        mrng = node.generator("mechanism") if mechanism_seed is None else node.generator("mechanism", "other", mechanism_seed)
        mech.reset(n_agents=game.n_senders, rng=mrng, game=game, n_rounds=self.n_rounds)
        private_rng, report_rng, fb_rng = node.generator("private"), node.generator("reports"), node.generator("feedback")
        states, profiles = game.sample(self.n_rounds, private_rng)
        signals = game.profiles(profiles)
        if mech.feedback is None and not any(isinstance(b, BestResponse) for b in profile):
            return self._play_fixed(mech, profile, states, signals, report_rng)
        rounds = []
        for t in range(self.n_rounds):
            state = int(states[t])
            behaviours = profile
            if any(isinstance(b, BestResponse) for b in profile):
                mech.prepare(t)
                behaviours = resolve(profile, game, mech.table_)
            reports = at.apply(t, behaviours, signals[t], report_rng)
            outcome = mech.step(t, reports)
            if mech.feedback is not None:
                u = fb_rng.random((1, game.n_senders, game.n_actions))
                samples = (u < game.u_senders[None, :, :, state]).astype(float)
                if mech.feedback == "bandit":
                    samples = samples[:, :, outcome.action]
                mech.observe_block(t, states[t : t + 1], profiles[t : t + 1], np.array([outcome.action]), samples)
            rounds.append(PlayedRound(t, outcome, at.utility(t, (state, signals[t]), reports, outcome), at.outside_option(t, None)))
        return rounds

    def _play_fixed(self, mech: Any, profile: Sequence[Any], states: np.ndarray, signals: np.ndarray, report_rng: np.random.Generator) -> list[PlayedRound]:
        """A mechanism that does not learn, played as one block (the same draws as round by
        round: one report uniform per (round, sender), one action uniform per round)."""
        game = self.game
        reports = np.stack([self.agent_type.apply(t, profile, signals[t], report_rng) for t in range(self.n_rounds)])
        actions, pay, j = mech.play_block(0, reports)
        phi = mech.table_.phi[j]
        util = np.einsum("ba,iab->bi", phi, game.u_senders[:, :, states]) + pay
        n, zeros = game.n_senders, np.zeros(game.n_senders)
        return [
            PlayedRound(
                t,
                InfoOutcome(allocation=np.full(n, float(actions[t])), payments=pay[t], scores=np.full(n, np.nan), info={"epsilon": mech.epsilon_}, action=int(actions[t]), profile=int(j[t]), phi=phi[t]),
                util[t],
                zeros,
            )
            for t in range(self.n_rounds)
        ]


def build_audit_games(scenario: Any, seeds: SeedTree, progress: Any = None) -> list[InfoAcqGame]:
    """One game per mechanism variant of an ``infoacq`` scenario, on replication 0's instance,
    everyone truthful, at most 200 rounds per play."""
    game = scenario["instance"].build().build(seeds.child("replication", 0).generator("instance"))
    n_rounds = min(int(scenario.settings["n_rounds"]), 200)
    out = []
    for label, cfg in scenario["mechanisms"].items():
        out.append(InfoAcqGame(name=label, make_mechanism=cfg.build, game=game, n_rounds=n_rounds, seeds=seeds.child("audit", label), n_seeds=16))
    return out


register_audit_builder("infoacq", build_audit_games)
