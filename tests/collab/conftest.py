"""Shared fixtures of the collab tests: small scenarios and one quick run of the shipped label-noise scenario."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
pytest.importorskip("flwr")

import mechsim  # noqa: E402

#: The shipped streaming scenario (label noise rising across nodes), shrunk to run in seconds:
#: 8 nodes, 150 rounds, one replication; beta rescaled for N = 8 (psi-hat spreads more than at N = 10).
QUICK = [
    "scenario.n_agents=8",
    "scenario.n_rounds=150",
    "scenario.n_replications=1",
    "scenario.lr_decay=0.99",
    "data.n_features=10",
    "data.n_informative=6",
    "data.pool_size=5000",
    "mechanisms.fair_equal.beta=25.0",
    "mechanisms.fair_equal.test_dim=4",
]

TINY = """
[scenario]
name = "collab-tiny"
family = "collab"
seed = 5
n_agents = 4
n_rounds = 8
lr = 0.1
batch_size = 16

[data]
id = "collab/synthetic-classification-v1"
n_features = 6
n_informative = 4
n_classes = 3
chunk_size = 16
pool_size = 500
n_validation = 200

[heterogeneity]
id = "collab/label-noise-v1"
max_noise = 0.8

[model]
id = "collab/logreg-v1"

[mechanisms.fedavg]
id = "collab/fedavg-v1"

[mechanisms.cgsv]
id = "collab/cgsv-v1"
gamma = 0.1

[mechanisms.fair_equal]
id = "collab/fair-equal-v1"
beta = 10.0
explore_rounds = 3
"""


@pytest.fixture
def tiny_path(tmp_path):
    """A 4-node, 8-round scenario file with all three mechanisms."""
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    return path


@pytest.fixture
def tiny_text():
    """The text of the 4-node, 8-round scenario (for tests that append sections)."""
    return TINY


@pytest.fixture(scope="session")
def quick_results():
    """One run of the shipped label-noise scenario on the quick instance (shared by the relation tests)."""
    return mechsim.run("collab/label-noise", overrides=QUICK, seed=2)
