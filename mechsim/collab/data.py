"""Data sources of the collab family: generated data and scikit-learn's bundled sets.

A source loads a :class:`Dataset` once per run (a pool to stream training chunks
from, and a clean held-out validation set); :class:`mechsim.collab.stream.DataStream`
cuts the pool into per-node, per-round chunks. Features are standardised with the
pool's mean and standard deviation; regression targets too, so that losses are
O(1) and the performance (R²) needs no rescaling. Nothing is downloaded: the
sklearn sets used here ship inside the package.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from mechsim.core.params import Constraint, Integer, Options, Real, validate_params
from mechsim.core.registry import register
from mechsim.errors import ParameterError

__all__ = ["DataInfo", "Dataset", "DataSource", "SyntheticClassification", "SyntheticRegression", "SklearnData"]


@dataclass(frozen=True)
class DataInfo:
    """Shape of a learning task.

    task : "classification" or "regression"
    n_features : int
    n_outputs : int (classes, or 1 for regression)
    image_shape : (channels, height, width) when the features are images, else None
    """

    task: str
    n_features: int
    n_outputs: int
    image_shape: tuple[int, int, int] | None = None


@dataclass(frozen=True)
class Dataset:
    """A pool to stream from and a validation set (float32 features; int64 labels or float32 targets)."""

    info: DataInfo
    x_pool: np.ndarray
    y_pool: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray


class DataSource:
    """Base class of data sources. ``chunk_size`` is the samples per node per round."""

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {}

    def load(self, rng: np.random.Generator) -> Dataset:
        raise NotImplementedError

    def get_params(self) -> dict[str, Any]:
        return validate_params(self)


def _standardise(x_pool: np.ndarray, x_val: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mu = x_pool.mean(axis=0)
    sd = x_pool.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    return ((x_pool - mu) / sd).astype(np.float32), ((x_val - mu) / sd).astype(np.float32)


def _finish(info: DataInfo, x: np.ndarray, y: np.ndarray, n_val: int, rng: np.random.Generator) -> Dataset:
    order = rng.permutation(len(x))
    val, pool = order[:n_val], order[n_val:]
    x_pool, x_val = _standardise(x[pool].astype(float), x[val].astype(float))
    if info.task == "regression":
        y = y.astype(float)
        mu, sd = y[pool].mean(), y[pool].std() or 1.0
        y_pool, y_val = ((y[pool] - mu) / sd).astype(np.float32), ((y[val] - mu) / sd).astype(np.float32)
    else:
        y_pool, y_val = y[pool].astype(np.int64), y[val].astype(np.int64)
    return Dataset(info, x_pool, y_pool, x_val, y_val)


def _sklearn_seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**31 - 1))


def _check_informative(owner: str, params: dict) -> None:
    """Synthetic sources: the informative features are a subset of the features."""
    if params["n_informative"] > params["n_features"]:
        raise ParameterError(
            f"The 'n_informative' parameter of {owner} must be at most n_features={params['n_features']}. "
            f"Got {params['n_informative']} instead.", parameter="n_informative")


@register("collab/synthetic-classification-v1", kind="collab.data")
class SyntheticClassification(DataSource):
    """Generated classification data (``sklearn.datasets.make_classification``).

    Parameters
    ----------
    n_features : int >= 2, default 20
    n_informative : int >= 1, default 10 (at most ``n_features``)
    n_classes : int >= 2, default 3
    class_sep : float > 0, default 1.0
    pool_size : int >= 100, default 20000
        Samples to stream from (chunks are drawn with replacement).
    n_validation : int >= 10, default 1000
    chunk_size : int >= 1, default 16
        Samples per node per round (before a quantity profile rescales it).
    """

    _parameter_constraints: ClassVar[dict] = {
        "n_features": Integer(2, None),
        "n_informative": Integer(1, None),
        "n_classes": Integer(2, None),
        "class_sep": Real(0.0, None, closed="neither"),
        "pool_size": Integer(100, None),
        "n_validation": Integer(10, None),
        "chunk_size": Integer(1, None),
    }

    def __init__(
        self,
        *,
        n_features: int = 20,
        n_informative: int = 10,
        n_classes: int = 3,
        class_sep: float = 1.0,
        pool_size: int = 20000,
        n_validation: int = 1000,
        chunk_size: int = 16,
    ) -> None:
        self.n_features = n_features
        self.n_informative = n_informative
        self.n_classes = n_classes
        self.class_sep = class_sep
        self.pool_size = pool_size
        self.n_validation = n_validation
        self.chunk_size = chunk_size

    @classmethod
    def check_config(cls, params: dict) -> None:
        _check_informative(cls.__name__, params)
        if params["n_classes"] * 2 > 2 ** params["n_informative"]:
            raise ParameterError(
                f"The 'n_classes' parameter of {cls.__name__} must satisfy n_classes * 2 <= 2**n_informative "
                f"(sklearn's make_classification). Got {params['n_classes']} instead.", parameter="n_classes")

    def load(self, rng: np.random.Generator) -> Dataset:
        from sklearn.datasets import make_classification

        p = self.get_params()
        self.check_config(p)
        n = p["pool_size"] + p["n_validation"]
        x, y = make_classification(
            n_samples=n,
            n_features=p["n_features"],
            n_informative=p["n_informative"],
            n_redundant=0,
            n_classes=p["n_classes"],
            class_sep=p["class_sep"],
            flip_y=0.0,
            random_state=_sklearn_seed(rng),
        )
        info = DataInfo("classification", p["n_features"], p["n_classes"])
        return _finish(info, x, y, p["n_validation"], rng)


@register("collab/synthetic-regression-v1", kind="collab.data")
class SyntheticRegression(DataSource):
    """Generated linear regression data (``sklearn.datasets.make_regression``).

    Parameters
    ----------
    n_features : int >= 1, default 20
    n_informative : int >= 1, default 10 (at most ``n_features``)
    noise : float >= 0, default 10.0
        Standard deviation of the Gaussian noise on the raw targets.
    pool_size : int >= 100, default 20000
    n_validation : int >= 10, default 1000
    chunk_size : int >= 1, default 16
    """

    _parameter_constraints: ClassVar[dict] = {
        "n_features": Integer(1, None),
        "n_informative": Integer(1, None),
        "noise": Real(0.0, None),
        "pool_size": Integer(100, None),
        "n_validation": Integer(10, None),
        "chunk_size": Integer(1, None),
    }

    def __init__(
        self,
        *,
        n_features: int = 20,
        n_informative: int = 10,
        noise: float = 10.0,
        pool_size: int = 20000,
        n_validation: int = 1000,
        chunk_size: int = 16,
    ) -> None:
        self.n_features = n_features
        self.n_informative = n_informative
        self.noise = noise
        self.pool_size = pool_size
        self.n_validation = n_validation
        self.chunk_size = chunk_size

    @classmethod
    def check_config(cls, params: dict) -> None:
        _check_informative(cls.__name__, params)

    def load(self, rng: np.random.Generator) -> Dataset:
        from sklearn.datasets import make_regression

        p = self.get_params()
        self.check_config(p)
        n = p["pool_size"] + p["n_validation"]
        x, y = make_regression(
            n_samples=n,
            n_features=p["n_features"],
            n_informative=p["n_informative"],
            noise=p["noise"],
            random_state=_sklearn_seed(rng),
        )
        info = DataInfo("regression", p["n_features"], 1)
        return _finish(info, x, y, p["n_validation"], rng)


#: name -> (loader name in sklearn.datasets, task, image shape)
_SKLEARN_SETS: dict[str, tuple[str, str, tuple[int, int, int] | None]] = {
    "digits": ("load_digits", "classification", (1, 8, 8)),
    "breast_cancer": ("load_breast_cancer", "classification", None),
    "wine": ("load_wine", "classification", None),
    "iris": ("load_iris", "classification", None),
    "diabetes": ("load_diabetes", "regression", None),
}


@register("collab/sklearn-v1", kind="collab.data")
class SklearnData(DataSource):
    """A data set bundled with scikit-learn (no download): digits, breast_cancer, wine, iris, diabetes.

    A random ``validation_fraction`` is held out (clean); chunks are drawn with
    replacement from the rest, so a small set can feed a long stream. ``digits``
    are 8x8 images (a CNN can use them).

    Parameters
    ----------
    dataset : {"digits", "breast_cancer", "wine", "iris", "diabetes"}, default "digits"
    validation_fraction : float in (0, 0.9], default 0.3
    chunk_size : int >= 1, default 8
    """

    _parameter_constraints: ClassVar[dict] = {
        "dataset": Options(tuple(_SKLEARN_SETS)),
        "validation_fraction": Real(0.0, 0.9, closed="right"),
        "chunk_size": Integer(1, None),
    }

    def __init__(self, *, dataset: str = "digits", validation_fraction: float = 0.3, chunk_size: int = 8) -> None:
        self.dataset = dataset
        self.validation_fraction = validation_fraction
        self.chunk_size = chunk_size

    def load(self, rng: np.random.Generator) -> Dataset:
        import sklearn.datasets

        p = self.get_params()
        loader, task, image = _SKLEARN_SETS[p["dataset"]]
        bunch = getattr(sklearn.datasets, loader)()
        x, y = np.asarray(bunch.data, dtype=float), np.asarray(bunch.target)
        n_outputs = int(np.unique(y).size) if task == "classification" else 1
        info = DataInfo(task, x.shape[1], n_outputs, image)
        n_val = max(1, int(round(p["validation_fraction"] * len(x))))
        return _finish(info, x, y, n_val, rng)
