"""The compiled kernel path against the numpy path and the scalar references.

Same seed, same tables: every bandit scenario runs on both paths and the tables are
compared to the last bit; the reference lock-step tests of ``test_reference`` run again
with the kernels on (``select``/``update`` then call the per-round kernels); ``run_block``
is checked against round-by-round stepping on the numpy path for every policy that has
a kernel, on every environment without contexts.
"""

from __future__ import annotations

import numpy as np
import pytest

import mechsim
from mechsim.bandits import kernels
from mechsim.core.registry import ids, make
from mechsim.errors import ParameterError
from tests.bandits import test_reference as ref

needs_numba = pytest.mark.skipif(not kernels.HAVE_NUMBA, reason="numba is not installed (the 'fast' extra)")

KERNEL_POLICIES = sorted(i for i in ids("bandits.policy") if make(i).has_kernel)
SMALL = ["scenario.n_replications=6", "scenario.n_rounds=400", "scenario.checkpoints=12"]


def test_switch_reads_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(kernels.ENV_VAR, "numpy")
    assert kernels.resolve() == "numpy"
    assert make("bandits/ucb1-v1").has_kernel
    p = make("bandits/ucb1-v1")
    p.reset(n_replications=2, n_arms=3, horizon=10, rng=np.random.default_rng(0))
    assert p.kernel_ == "numpy"
    with kernels.use("auto"):
        assert kernels.resolve() == ("numba" if kernels.HAVE_NUMBA else "numpy")
    monkeypatch.setenv(kernels.ENV_VAR, "fortran")
    with pytest.raises(ParameterError, match="MECHSIM_BANDIT_KERNEL must be one of 'auto', 'numba', 'numpy'. Got 'fortran'"):
        kernels.resolve()
    with pytest.raises(ParameterError, match="kernel path must be one of"):
        kernels.use("gpu").__enter__()


def test_numba_path_without_numba_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kernels, "HAVE_NUMBA", False)
    assert kernels.resolve("auto") == "numpy"
    with pytest.raises(ParameterError, match="needs numba installed"):
        kernels.resolve("numba")


def test_policies_without_kernels_stay_on_numpy() -> None:
    with kernels.use("auto"):
        for pid in ("bandits/exp3-v1", "bandits/linucb-v1"):
            assert not make(pid).has_kernel


@needs_numba
@pytest.mark.parametrize("scenario", ["bandits/default", "bandits/classic", "bandits/adversarial", "bandits/linear"])
def test_kernel_and_numpy_paths_give_identical_tables(scenario: str) -> None:
    with kernels.use("numpy"):
        a = mechsim.run(scenario, overrides=SMALL)
    with kernels.use("numba"):
        b = mechsim.run(scenario, overrides=SMALL)
    assert a.tables["rounds"] == b.tables["rounds"]
    assert a.tables["rounds"].to_csv() == b.tables["rounds"].to_csv()
    assert a.summary == b.summary


@needs_numba
def test_kernel_path_on_gaussian_rewards_and_one_replication() -> None:
    over = [
        "scenario.n_replications=1",
        "scenario.n_rounds=3000",
        "environment.id=bandits/gaussian-v1",
        "environment.means=[0.3, 0.5, 0.1]",
    ]
    with kernels.use("numpy"):
        a = mechsim.run("bandits/classic", overrides=over)
    with kernels.use("numba"):
        b = mechsim.run("bandits/classic", overrides=over)
    assert a.tables["rounds"].to_csv() == b.tables["rounds"].to_csv()


def _rounds(policy_id: str, path: str, rewards: np.ndarray, block: int, params: dict | None = None) -> tuple:
    n_rounds, n_reps, k = rewards.shape
    policy = make(policy_id, **(params or {}))
    with kernels.use(path):
        policy.reset(n_replications=n_reps, n_arms=k, horizon=n_rounds, rng=np.random.default_rng(11))
    rows = np.arange(n_reps)
    out = []
    t = 0
    while t < n_rounds:
        if block:
            n = min(block, n_rounds - t)
            out.append(policy.run_block(t, np.ascontiguousarray(rewards[t : t + n])))
            t += n
        else:
            arms = policy.select(t)
            policy.update(t, arms, rewards[t, rows, arms])
            out.append(arms[None])
            t += 1
    return np.concatenate(out), policy.rng_.random()


@needs_numba
@pytest.mark.parametrize("policy_id", KERNEL_POLICIES)
@pytest.mark.parametrize("block", [1, 37])
def test_run_block_matches_numpy_rounds(policy_id: str, block: int) -> None:
    rewards = np.random.default_rng(2).random((500, 7, 4)) < np.array([0.3, 0.6, 0.6, 0.2])
    rewards = rewards.astype(float) * (0.5 if "gaussian" in policy_id else 1.0)
    want, want_next = _rounds(policy_id, "numpy", rewards, 0)
    got, got_next = _rounds(policy_id, "numba", rewards, block)
    per_round, per_round_next = _rounds(policy_id, "numba", rewards, 0)
    assert np.array_equal(got, want) and np.array_equal(per_round, want)
    assert got_next == want_next == per_round_next  # the policy stream is at the same place


@needs_numba
@pytest.mark.parametrize("params", [None, {"alpha": 0.3, "log_of": "time"}])
def test_ucb1_run_block_with_options(params: dict | None) -> None:
    rewards = (np.random.default_rng(3).random((400, 5, 3)) < 0.5).astype(float)
    want, _ = _rounds("bandits/ucb1-v1", "numpy", rewards, 0, params)
    got, _ = _rounds("bandits/ucb1-v1", "numba", rewards, 64, params)
    assert np.array_equal(got, want)


@needs_numba
def test_numba_generator_beta_is_numpys_beta() -> None:
    """The property the Thompson-Beta kernel rests on, over the parameter regimes it meets."""
    import numba

    @numba.njit
    def draw(gen, a, b, out):  # noqa: ANN001, ANN202
        for i in range(a.size):
            out[i] = gen.beta(a[i], b[i])

    rng = np.random.default_rng(0)
    a = np.concatenate([np.ones(50), rng.uniform(0.05, 1.0, 300), rng.uniform(1.0, 30.0, 300), 1.0 + rng.integers(0, 10**5, 300)])
    b = np.concatenate([np.ones(50), rng.uniform(0.05, 1.0, 300), rng.uniform(0.5, 30.0, 300), 1.0 + rng.integers(0, 10**5, 300)])
    g1, g2 = np.random.default_rng(5), np.random.default_rng(5)
    got = np.empty_like(a)
    draw(g2, a, b, got)
    assert np.array_equal(got, g1.beta(a, b))
    assert g1.random() == g2.random()  # the shared bit generator advanced alike


@needs_numba
@pytest.mark.parametrize(
    ("policy_id", "make_ref", "params"),
    [
        ("bandits/ucb1-v1", ref.RefUCB1, None),
        ("bandits/ucb1-v1", lambda k, h: ref.RefUCB1(k, h, alpha=0.3, log_of="time"), {"alpha": 0.3, "log_of": "time"}),
        ("bandits/thompson-beta-v1", ref.RefThompsonBeta, None),
        ("bandits/thompson-gaussian-v1", ref.RefThompsonGaussian, None),
        ("bandits/epsilon-greedy-v1", ref.RefEpsilonGreedy, None),
        ("bandits/successive-elimination-v1", ref.RefSuccessiveElimination, None),
        ("bandits/explore-first-v1", ref.RefExploreFirst, None),
    ],
    ids=["ucb1", "ucb1-anytime", "ts-beta", "ts-gaussian", "eps-greedy", "succ-elim", "explore-first"],
)
def test_kernel_path_matches_scalar_reference(policy_id: str, make_ref: object, params: dict | None) -> None:
    with kernels.use("numba"):
        got, want = ref.lockstep(policy_id, make_ref, rewards=ref.bernoulli_table(), params=params)
    assert np.array_equal(got, want)
    assert len(np.unique(got)) > 1


@needs_numba
def test_kernel_path_thompson_beta_fractional_rewards() -> None:
    rewards = np.random.default_rng(4).beta(2.0, 2.0, (ref.T, ref.R, 4)) * np.array([0.6, 0.9, 0.8, 0.5])
    with kernels.use("numba"):
        got, want = ref.lockstep("bandits/thompson-beta-v1", ref.RefThompsonBeta, rewards=rewards)
    assert np.array_equal(got, want)


@needs_numba
@pytest.mark.parametrize("block", [1, 16])
def test_thompson_beta_batched_draws_branch(block: int) -> None:
    """From BETA_BATCH_MIN draws per round the kernel path lets numpy draw the Betas: same stream."""
    n_reps = kernels.BETA_BATCH_MIN // 4 + 3
    rewards = (np.random.default_rng(6).random((40, n_reps, 4)) < np.array([0.3, 0.6, 0.5, 0.2])).astype(float)
    want, want_next = _rounds("bandits/thompson-beta-v1", "numpy", rewards, 0)
    got, got_next = _rounds("bandits/thompson-beta-v1", "numba", rewards, block)
    assert np.array_equal(got, want) and got_next == want_next


def test_subclass_overriding_select_keeps_the_round_by_round_path() -> None:
    from mechsim.bandits.environments import BernoulliBandit
    from mechsim.bandits.policies import UCB1
    from mechsim.bandits.protocol import _blocks_apply

    class Lazy(UCB1):
        def select(self, t: int, contexts: np.ndarray | None = None) -> np.ndarray:
            return np.zeros(self.stats_.rows.size, dtype=np.int64)

    env = BernoulliBandit(means=[0.2, 0.8])
    for policy, want in ((UCB1(), kernels.HAVE_NUMBA), (Lazy(), False)):
        with kernels.use("auto"):
            policy.reset(n_replications=2, n_arms=2, horizon=10, rng=np.random.default_rng(0))
        assert _blocks_apply(policy, env) is want
