"""The standard partitions against flwr-datasets' documented algorithms, recomputed independently here."""

from __future__ import annotations

import numpy as np
import pytest

import mechsim
from mechsim.collab.data import DataInfo
from mechsim.collab.partitions import (
    Dirichlet,
    KClasses,
    QuantitySkew,
    dirichlet_label_proportions,
    k_class_proportions,
    resample_labels,
)
from mechsim.errors import MechsimError, ParameterError

INFO = DataInfo(task="classification", n_features=4, n_outputs=3)


def _split_like_flwr_datasets(labels: np.ndarray, n_nodes: int, alpha: float, rng: np.random.Generator) -> np.ndarray:
    """flwr-datasets' DirichletPartitioner as documented (no balancing, no retries): per class,
    split that class's samples across the partitions at fractions drawn from Dir(alpha 1_N).
    Returns the (N, K) label histograms of the partitions."""
    k = labels.max() + 1
    hist = np.zeros((n_nodes, k))
    for c in range(k):
        idx = np.flatnonzero(labels == c)
        p = rng.dirichlet(np.full(n_nodes, alpha))
        cuts = (np.cumsum(p) * len(idx)).astype(int)[:-1]
        for i, part in enumerate(np.split(idx, cuts)):
            hist[i, c] = len(part)
    return hist


@pytest.mark.parametrize("alpha", [0.1, 1.0, 10.0])
def test_dirichlet_proportions_are_those_of_the_flwr_datasets_split(alpha):
    labels = np.repeat(np.arange(3), 200_000)
    hist = _split_like_flwr_datasets(labels, 6, alpha, np.random.default_rng(4))
    q = dirichlet_label_proportions(6, 3, alpha, np.random.default_rng(4))
    expected = hist / hist.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(q, expected, atol=1e-3)


def test_dirichlet_alpha_controls_the_skew():
    rng = np.random.default_rng(0)
    skewed = dirichlet_label_proportions(50, 4, 0.05, rng)
    iid = dirichlet_label_proportions(50, 4, 1000.0, rng)
    np.testing.assert_allclose(skewed.sum(axis=1), 1.0)
    assert np.median(skewed.max(axis=1)) > 0.9  # most nodes see essentially one class
    np.testing.assert_allclose(iid, 0.25, atol=0.05)  # nearly IID


@pytest.mark.parametrize("mode", ["deterministic", "first-deterministic", "random"])
def test_k_classes_per_node(mode):
    q = k_class_proportions(7, 5, 2, mode, np.random.default_rng(1))
    assert ((q > 0).sum(axis=1) == 2).all()
    np.testing.assert_allclose(q[q > 0], 0.5)
    for i in range(7):
        if mode == "deterministic":
            assert set(np.flatnonzero(q[i])) == {i % 5, (i + 1) % 5}
        if mode == "first-deterministic":
            assert q[i, i % 5] == 0.5


def test_resampling_gives_the_target_label_distribution():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 3, size=60_000)
    x = y[:, None].astype(np.float32)
    target = np.array([0.7, 0.3, 0.0])
    xr, yr = resample_labels(x, y, target, rng)
    np.testing.assert_allclose(np.bincount(yr, minlength=3) / len(yr), target, atol=0.01)
    assert np.array_equal(xr[:, 0].astype(int), yr)  # features travel with their labels


def test_profiles_skew_chunks_and_report_quality():
    het = Dirichlet(alpha=0.1, max_noise=0.5)
    het.reset(n_nodes=4, n_rounds=3, chunk_size=500, rng=np.random.default_rng(0))
    q = het.label_proportions(3)
    node = int(np.argmax(q.max(axis=1)))
    rng = np.random.default_rng(9)
    y = rng.integers(0, 3, size=500)
    _, yc = het.corrupt(node, 0, y[:, None].astype(np.float32), y.copy(), info=INFO, rng=rng)
    # label noise 0.5 * node/3 on top of the skew: the dominant class stays dominant on a clean node
    if node == 0:
        assert np.bincount(yc, minlength=3).argmax() == q[0].argmax()
    np.testing.assert_allclose(het.quality(), [0.0, 0.5 / 3, 1.0 / 3, 0.5])

    ks = KClasses(k=1, mode="deterministic")
    ks.reset(n_nodes=3, n_rounds=1, chunk_size=100, rng=np.random.default_rng(0))
    _, yk = ks.corrupt(2, 0, y[:100, None].astype(np.float32), y[:100].copy(), info=INFO, rng=rng)
    assert set(yk.tolist()) == {2}

    qs = QuantitySkew(alpha=0.5, min_size=3)
    qs.reset(n_nodes=10, n_rounds=1, chunk_size=32, rng=np.random.default_rng(0))
    assert qs.sizes_.min() >= 3 and abs(qs.sizes_.sum() - 320) <= 30 and qs.sizes_.std() > 5
    np.testing.assert_allclose(qs.quality(), -qs.sizes_ / qs.sizes_.sum())


def test_too_many_classes_is_a_parameter_error():
    ks = KClasses(k=4)
    ks.reset(n_nodes=3, n_rounds=1, chunk_size=10, rng=np.random.default_rng(0))
    y = np.arange(10) % 3
    with pytest.raises(ParameterError, match="'k' parameter of KClasses must be at most the number of classes"):
        ks.corrupt(0, 0, y[:, None].astype(np.float32), y, info=INFO, rng=np.random.default_rng(0))


def test_label_skew_needs_classification():
    het = Dirichlet()
    het.reset(n_nodes=2, n_rounds=1, chunk_size=4, rng=np.random.default_rng(0))
    with pytest.raises(ParameterError, match="needs a classification data source"):
        het.corrupt(0, 0, np.zeros((4, 2)), np.zeros(4), info=DataInfo("regression", 2, 1), rng=np.random.default_rng(0))


def test_partition_scenarios_run(tiny_text, tmp_path):
    path = tmp_path / "dir.toml"
    path.write_text(tiny_text.replace('id = "collab/label-noise-v1"\nmax_noise = 0.8', 'id = "collab/dirichlet-v1"\nalpha = 0.3\nmax_noise = 0.8'))
    res = mechsim.run(path, overrides=["scenario.n_rounds=3"])
    assert len(res.tables["rounds"]) == 3 * 3 * 4
    for name in ("collab/dirichlet", "collab/k-classes", "collab/quantity-skew"):
        assert mechsim.load_scenario(name)["heterogeneity"].id.startswith("collab/")
    bad = tmp_path / "bad.toml"
    bad.write_text(tiny_text.replace('id = "collab/label-noise-v1"\nmax_noise = 0.8', 'id = "collab/k-classes-v1"\nk = 5'))
    # the class count is known only when the first chunk is cut, in a node: the run fails there, naming k
    with pytest.raises(MechsimError, match="'k' parameter of KClasses"):
        mechsim.run(bad, overrides=["scenario.n_rounds=1"])
