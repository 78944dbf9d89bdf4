"""The click-bandit conformance checks catch broken components (the well-formed ones run in tests/test_conformance.py)."""

from __future__ import annotations

import numpy as np
import pytest

from mechsim.clickbandit.learners.ucb import IncentiveUnawareUCB
from mechsim.clickbandit.strategies import Truthful
from mechsim.clickbandit.utility import QuadraticUtility
from mechsim.core.registry import ComponentSpec
from mechsim.testing import ConformanceError, check_component


class WrongStar(QuadraticUtility):
    def s_star(self, mu):
        return np.clip(np.asarray(mu) * 0.5, 0.0, 1.0)


class Pessimist(QuadraticUtility):
    def optimistic(self, s_lo, s_hi, mu_lo, mu_hi):
        return self.u(s_lo, mu_lo)


class GlobalRandom(IncentiveUnawareUCB):
    def select(self, t, u):
        return np.random.randint(0, self.n_arms_, size=self.n_rows_)


class Sticky(IncentiveUnawareUCB):
    """Keeps a round counter across resets."""

    def reset(self, **kw):
        super().reset(**kw)
        self.calls_ = getattr(self, "calls_", 0) + 1

    def select(self, t, u):
        return np.full(self.n_rows_, (t + self.calls_) % self.n_arms_, dtype=np.int64)


class NoBase(Truthful):
    def propose(self, epoch, profiles):
        return np.clip(profiles[:, None, :] + 0.1, 0.0, 1.0)


@pytest.mark.parametrize(
    ("cls", "kind", "message"),
    [
        (WrongStar, "clickbandit.utility", "s_star\\(mu\\) is not the maximiser"),
        (Pessimist, "clickbandit.utility", "optimistic.* is below u at a point of the box"),
        (GlobalRandom, "clickbandit.learner", "used the global random state"),
        (Sticky, "clickbandit.learner", "not deterministic given the draws \\(the same object reset again\\)"),
        (NoBase, "clickbandit.strategy", "must be the current profile"),
    ],
)
def test_checks_catch_flaws(cls, kind, message):
    spec = ComponentSpec(id="clickbandit/broken-v1", kind=kind, factory=cls)
    with pytest.raises(ConformanceError, match=message):
        check_component(spec)


def test_checks_pass_the_parents():
    for cls, kind in ((QuadraticUtility, "clickbandit.utility"), (IncentiveUnawareUCB, "clickbandit.learner"), (Truthful, "clickbandit.strategy")):
        check_component(ComponentSpec(id="clickbandit/fine-v1", kind=kind, factory=cls))
