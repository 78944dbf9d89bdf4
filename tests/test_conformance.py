"""Every registered component passes the conformance check of its kind (mechsim.testing)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pytest

from mechsim.bandits.base import Policy
from mechsim.core.registry import ComponentSpec, specs
from mechsim.testing import CHECKS, ConformanceError, check_component, register_check


@pytest.mark.parametrize("spec", list(specs()), ids=lambda s: s.id)
def test_registered_component_conforms(spec: ComponentSpec) -> None:
    # A kind without a registered check raises ConformanceError here: it fails, never passes silently.
    check_component(spec)


def test_kind_without_check_fails() -> None:
    spec = ComponentSpec(id="nofamily/thing-v1", kind="nofamily.thing", factory=dict)
    with pytest.raises(ConformanceError, match="no conformance check is registered for kind 'nofamily.thing'"):
        check_component(spec)


def test_register_check_refuses_a_second_check_for_a_kind() -> None:
    import mechsim.bandits.checks  # noqa: F401  (registers the bandit checks)

    with pytest.raises(ValueError, match="already registered"):
        register_check("bandits.policy")(lambda spec, params: None)
    assert "bandits.policy" in CHECKS and "bandits.environment" in CHECKS


class _BrokenPolicy(Policy):
    """A policy that breaks one rule at a time, chosen by ``flaw``."""

    _parameter_constraints: ClassVar[dict] = {}

    def __init__(self, *, flaw: str = "none") -> None:
        self.flaw = flaw

    def reset(self, *, n_replications, n_arms, horizon, rng, dim=None) -> None:
        self.rng_ = rng
        self.n_, self.k_ = n_replications, n_arms
        if self.flaw != "keeps_state" or not hasattr(self, "t_"):
            self.t_ = 0

    def select(self, t, contexts=None) -> Any:
        self.t_ += 1
        if self.flaw == "global_rng":
            return np.random.randint(0, self.k_, size=self.n_)
        if self.flaw == "bad_shape":
            return np.zeros((self.n_, 1), dtype=np.int64)
        if self.flaw == "out_of_range":
            return np.full(self.n_, self.k_, dtype=np.int64)
        if self.flaw == "float_arms":
            return np.zeros(self.n_)
        if self.flaw == "keeps_state":
            return np.full(self.n_, (self.t_ // 7) % self.k_, dtype=np.int64)
        return self.rng_.integers(0, self.k_, size=self.n_)

    def update(self, t, arms, rewards) -> None:
        pass


@pytest.mark.parametrize(
    ("flaw", "message"),
    [
        ("global_rng", "global random state"),
        ("bad_shape", r"must return an int array of shape \(5,\)"),
        ("out_of_range", r"outside \[0, 4\)"),
        ("float_arms", "must return an int array"),
        ("keeps_state", "reset must clear all state"),
    ],
)
def test_policy_check_catches_flaws(flaw: str, message: str) -> None:
    spec = ComponentSpec(id="bandits/broken-v1", kind="bandits.policy", factory=_BrokenPolicy)
    check_component(spec)  # the flawless variant passes
    with pytest.raises(ConformanceError, match=message):
        check_component(spec, flaw=flaw)


def test_policy_check_catches_settings_not_stored_verbatim() -> None:
    class Renames(_BrokenPolicy):
        def __init__(self, *, flaw: str = "none") -> None:
            self.kind = flaw

    spec = ComponentSpec(id="bandits/renames-v1", kind="bandits.policy", factory=Renames)
    with pytest.raises(ConformanceError, match="store the setting 'flaw' verbatim"):
        check_component(spec)


def test_environment_check_catches_nondeterminism() -> None:
    from mechsim.bandits.environments import BernoulliBandit

    class Unseeded(BernoulliBandit):
        def reset(self, *, n_replications, horizon, rng):
            info = super().reset(n_replications=n_replications, horizon=horizon, rng=rng)
            self.rng_ = np.random.default_rng()  # ignores the given generator
            return info

    spec = ComponentSpec(id="bandits/unseeded-v1", kind="bandits.environment", factory=Unseeded)
    with pytest.raises(ConformanceError, match="not deterministic under a seed: rewards differ"):
        check_component(spec)
