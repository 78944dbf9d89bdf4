"""The standard non-IID partitions of federated learning, as heterogeneity profiles of streaming nodes.

==================================  ============================================================
id                                  node ``i``'s data
==================================  ============================================================
``collab/dirichlet-v1``             label skew: class ``k``'s share of the nodes is drawn from
                                    ``Dir(alpha · 1_N)`` (Yurochkin et al. 2019, the
                                    ``DirichletPartitioner`` of flwr-datasets); node ``i``'s
                                    label distribution is ``q_ik ∝ π_k P_ki``
``collab/k-classes-v1``             pathological skew: ``k`` classes per node, equally often
                                    (McMahan et al. 2017; flwr-datasets'
                                    ``PathologicalPartitioner``, "#C=k" of NIID-Bench)
``collab/quantity-skew-v1``         quantity skew: chunk sizes ``∝ q``, ``q ~ Dir(alpha · 1_N)``
                                    (NIID-Bench, Li et al. 2022), at least ``min_size``
==================================  ============================================================

mechsim's nodes stream: every round each node gets a fresh chunk drawn from the pool
(:meth:`mechsim.collab.world.World.chunk`). A partition therefore fixes each node's
*distribution*, not a disjoint slice: a label-skewed chunk is the uniform draw
resampled (with replacement) so that its labels follow ``q_i``, ``w_j ∝ q_{i,y_j} /
c_{y_j}`` with ``c`` the class counts of the draw (classes absent from the draw
lose their mass to the present ones; a draw without any of the node's classes is
kept as it is). The static partitioners of flwr-datasets split a Hugging Face
``Dataset`` once; their per-node label proportions are what these profiles
reproduce (checked in ``tests/collab/test_collab_partitions.py``).

All three also take ``max_noise``: the label noise of
:class:`mechsim.collab.heterogeneity.LabelNoise` on top (node ``i`` relabels a
fraction ``max_noise · i/(N-1)``), so that contribution estimates can be checked
against a known data quality under skew; ``quality()`` is then that noise level.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from mechsim.collab.heterogeneity import _ORDER, LabelNoise
from mechsim.core.params import Integer, Options, Real
from mechsim.core.registry import register
from mechsim.errors import ParameterError

__all__ = ["Dirichlet", "KClasses", "QuantitySkew", "dirichlet_label_proportions", "k_class_proportions", "resample_labels"]


def dirichlet_label_proportions(n_nodes: int, n_classes: int, alpha: float, rng: np.random.Generator, prior: np.ndarray | None = None) -> np.ndarray:
    """``(N, K)`` label distributions of the nodes: class ``k``'s share of the nodes ``P_k ~ Dir(alpha · 1_N)``.

    Row ``i`` is ``q_ik = π_k P_ki / Σ_l π_l P_li`` (``π`` the pool's class
    frequencies, uniform by default): the label distribution of flwr-datasets'
    ``DirichletPartitioner`` partition ``i`` without its balancing and resampling.
    """
    prior = np.full(n_classes, 1.0 / n_classes) if prior is None else np.asarray(prior, dtype=float)
    shares = rng.dirichlet(np.full(n_nodes, float(alpha)), size=n_classes)  # (K, N), rows sum to 1
    mass = prior[:, None] * shares
    q = mass.T
    totals = q.sum(axis=1, keepdims=True)
    # a node with (numerically) no mass at all gets the prior
    return np.where(totals > 1e-300, q / np.where(totals > 1e-300, totals, 1.0), prior[None, :])


def k_class_proportions(n_nodes: int, n_classes: int, k: int, mode: str, rng: np.random.Generator) -> np.ndarray:
    """``(N, K)`` label distributions with ``k`` classes per node, uniform over them.

    ``mode`` as flwr-datasets' ``class_assignment_mode``: ``"deterministic"`` gives node
    ``i`` the classes ``i, i+1, .., i+k-1 (mod K)``; ``"first-deterministic"`` the
    class ``i mod K`` and ``k-1`` others at random; ``"random"`` ``k`` at random.
    """
    q = np.zeros((n_nodes, n_classes))
    for i in range(n_nodes):
        if mode == "deterministic":
            classes = [(i + j) % n_classes for j in range(k)]
        elif mode == "first-deterministic":
            first = i % n_classes
            others = [c for c in range(n_classes) if c != first]
            classes = [first, *rng.choice(others, size=k - 1, replace=False).tolist()]
        else:
            classes = rng.choice(n_classes, size=k, replace=False).tolist()
        q[i, classes] = 1.0 / k
    return q


def resample_labels(x: np.ndarray, y: np.ndarray, q: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Resample a uniform draw ``(x, y)`` (same size, with replacement) so that its labels follow ``q`` (K,)."""
    y_int = np.asarray(y).astype(np.int64)
    counts = np.bincount(y_int, minlength=q.size).astype(float)
    w = np.where(counts[y_int] > 0, q[y_int] / np.maximum(counts[y_int], 1.0), 0.0)
    if w.sum() <= 0:
        return x, y
    idx = rng.choice(len(y), size=len(y), replace=True, p=w / w.sum())
    return x[idx], y[idx]


class _LabelSkew(LabelNoise):
    """Label skew from a per-node label distribution, then label noise of ``max_noise``."""

    def reset(self, *, n_nodes, n_rounds, chunk_size, rng) -> None:
        super().reset(n_nodes=n_nodes, n_rounds=n_rounds, chunk_size=chunk_size, rng=rng)
        self.seed_ = int(rng.integers(0, 2**63 - 1))
        self.proportions_: np.ndarray | None = None

    def label_proportions(self, n_classes: int) -> np.ndarray:
        """``(N, K)``: every node's label distribution (drawn once from the profile's seed)."""
        if self.proportions_ is None or self.proportions_.shape[1] != n_classes:
            self.proportions_ = self._proportions(n_classes, np.random.default_rng(self.seed_))
        return self.proportions_

    def _proportions(self, n_classes: int, rng: np.random.Generator) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def corrupt(self, node, t, x, y, *, info, rng):
        if info.task != "classification":
            raise ParameterError(f"{type(self).__name__} skews labels and needs a classification data source; got a {info.task} task")
        x, y = resample_labels(x, y, self.label_proportions(info.n_outputs)[node], rng)
        return super().corrupt(node, t, x, y, info=info, rng=rng)


@register("collab/dirichlet-v1", kind="collab.heterogeneity")
class Dirichlet(_LabelSkew):
    """Dirichlet label skew: each class's share of the nodes is ``Dir(alpha · 1_N)`` (see the module docstring).

    Parameters
    ----------
    alpha : float > 0, default 0.5
        Concentration: small (0.1) puts each class on few nodes, large (100) is nearly IID.
    max_noise : float in [0, 1], default 0.0
        Label noise on top, rising across nodes as in ``collab/label-noise-v1``.
    order : {"ascending", "shuffled"}, default "ascending"
        Order of the noise levels.
    """

    _parameter_constraints: ClassVar[dict] = {"alpha": Real(0.0, None, closed="neither"), "max_noise": Real(0.0, 1.0), "order": _ORDER}

    def __init__(self, *, alpha: float = 0.5, max_noise: float = 0.0, order: str = "ascending") -> None:
        self.alpha = alpha
        self.max_noise = max_noise
        self.order = order

    def _proportions(self, n_classes, rng):
        return dirichlet_label_proportions(self.n_nodes_, n_classes, self.params_["alpha"], rng)


@register("collab/k-classes-v1", kind="collab.heterogeneity")
class KClasses(_LabelSkew):
    """Pathological label skew: ``k`` classes per node, equally often (see the module docstring).

    Parameters
    ----------
    k : int >= 1, default 2
        Classes per node (at most the number of classes).
    mode : {"first-deterministic", "deterministic", "random"}, default "first-deterministic"
    max_noise : float in [0, 1], default 0.0
    order : {"ascending", "shuffled"}, default "ascending"
    """

    _parameter_constraints: ClassVar[dict] = {
        "k": Integer(1, None),
        "mode": Options(("first-deterministic", "deterministic", "random")),
        "max_noise": Real(0.0, 1.0),
        "order": _ORDER,
    }

    def __init__(self, *, k: int = 2, mode: str = "first-deterministic", max_noise: float = 0.0, order: str = "ascending") -> None:
        self.k = k
        self.mode = mode
        self.max_noise = max_noise
        self.order = order

    def _proportions(self, n_classes, rng):
        k = self.params_["k"]
        if k > n_classes:
            raise ParameterError(f"The 'k' parameter of KClasses must be at most the number of classes ({n_classes}). Got {k} instead.", parameter="k")
        return k_class_proportions(self.n_nodes_, n_classes, k, self.params_["mode"], rng)


@register("collab/quantity-skew-v1", kind="collab.heterogeneity")
class QuantitySkew(LabelNoise):
    """Quantity skew: chunk sizes ``∝ q ~ Dir(alpha · 1_N)``, mean ``chunk_size``, at least ``min_size``.

    ``quality()`` is minus the data share (as ``collab/powerlaw-v1``), or the label
    noise level when ``max_noise > 0``.

    Parameters
    ----------
    alpha : float > 0, default 1.0
    min_size : int >= 1, default 2
    max_noise : float in [0, 1], default 0.0
    order : {"ascending", "shuffled"}, default "ascending"
    """

    _parameter_constraints: ClassVar[dict] = {
        "alpha": Real(0.0, None, closed="neither"),
        "min_size": Integer(1, None),
        "max_noise": Real(0.0, 1.0),
        "order": _ORDER,
    }

    def __init__(self, *, alpha: float = 1.0, min_size: int = 2, max_noise: float = 0.0, order: str = "ascending") -> None:
        self.alpha = alpha
        self.min_size = min_size
        self.max_noise = max_noise
        self.order = order

    def reset(self, *, n_nodes, n_rounds, chunk_size, rng) -> None:
        super().reset(n_nodes=n_nodes, n_rounds=n_rounds, chunk_size=chunk_size, rng=rng)
        shares = rng.dirichlet(np.full(self.n_nodes_, float(self.params_["alpha"])))
        self.sizes_ = np.maximum(int(self.params_["min_size"]), np.round(shares * chunk_size * self.n_nodes_)).astype(np.int64)

    def quality(self) -> np.ndarray:
        if self.params_["max_noise"] > 0:
            return super().quality()
        return -self.sizes_ / self.sizes_.sum()
