"""The learner's utility ``u(s, mu)`` and its desired click-rate ``s*(mu)``.

A utility component (kind ``clickbandit.utility``) says how much the platform gains
when it recommends an arm with click-rate ``s`` and post-click reward mean ``mu``
(both in [0, 1]), and which click-rate it would like each arm to choose. The
learners read three things from it, all vectorised over arrays of any (equal or
broadcastable) shape:

``u(s, mu)``
    expected utility of one round.
``s_star(mu)``
    the desired click-rate ``argmax_s u(s, mu)``; assumed unique and
    non-decreasing in ``mu``, with ``u(., mu)`` decreasing above it (the paper's
    assumption A2).
``optimistic(s_lo, s_hi, mu_lo, mu_hi)``, ``s_star_upper(mu_lo, mu_hi)``
    the largest utility, and the largest desired click-rate, over a confidence box.
    :class:`Utility` supplies grid approximations; the shipped utilities override
    them with exact closed forms.

A user-defined utility subclasses :class:`Utility` (recommended) and registers it::

    @register("mine/exp-v1", kind="clickbandit.utility")
    class ExpUtility(Utility):
        def u(self, s, mu): ...
        def s_star(self, mu): ...

A class that only has ``u`` and ``s_star`` also works: :func:`optimistic_utility`
and :func:`s_star_upper` fall back to the grid approximations for it.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from mechsim.core.params import Constraint, Real, validate_params
from mechsim.core.registry import register
from mechsim.errors import ParameterError

__all__ = [
    "Utility",
    "QuadraticUtility",
    "HalfSquareUtility",
    "optimistic_utility",
    "s_star_upper",
    "u_star",
    "check_utility",
]


def _grid_box_max(u: Any, s_lo, s_hi, mu_lo, mu_hi, n: int) -> np.ndarray:
    """Max of ``u`` over an ``n x n`` grid of each box (corners included)."""
    w = np.linspace(0.0, 1.0, n)
    s_lo, s_hi, mu_lo, mu_hi = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (s_lo, s_hi, mu_lo, mu_hi)))
    s = s_lo[..., None, None] + (s_hi - s_lo)[..., None, None] * w[:, None]
    mu = mu_lo[..., None, None] + (mu_hi - mu_lo)[..., None, None] * w[None, :]
    return np.asarray(u(s, mu)).max(axis=(-2, -1))


class Utility:
    """Base class of learner utilities (vectorised; see the module docstring).

    Subclasses implement :meth:`u` and :meth:`s_star`; they may override
    :meth:`optimistic` and :meth:`s_star_upper` with exact forms.
    """

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {}
    #: True when ``s_star`` is non-decreasing, so ``s_star_upper = s_star(mu_hi)``.
    monotone: ClassVar[bool] = True
    #: grid size of the default box approximations
    grid: ClassVar[int] = 17

    def u(self, s: np.ndarray, mu: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def s_star(self, mu: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def u_star(self, mu: np.ndarray) -> np.ndarray:
        """``u(s*(mu), mu)``, the utility of an arm that plays its desired click-rate."""
        return self.u(self.s_star(mu), mu)

    def s_star_upper(self, mu_lo: np.ndarray, mu_hi: np.ndarray) -> np.ndarray:
        """``max s*(mu)`` over ``mu in [mu_lo, mu_hi]`` (the UCB-S screening threshold)."""
        if self.monotone:
            return self.s_star(mu_hi)
        w = np.linspace(0.0, 1.0, self.grid)
        mu = np.asarray(mu_lo)[..., None] + (np.asarray(mu_hi) - np.asarray(mu_lo))[..., None] * w
        return np.asarray(self.s_star(mu)).max(axis=-1)

    def optimistic(self, s_lo: np.ndarray, s_hi: np.ndarray, mu_lo: np.ndarray, mu_hi: np.ndarray) -> np.ndarray:
        """``max u(s, mu)`` over the box ``[s_lo, s_hi] x [mu_lo, mu_hi]`` (grid approximation)."""
        return _grid_box_max(self.u, s_lo, s_hi, mu_lo, mu_hi, self.grid)

    def get_params(self) -> dict[str, Any]:
        return validate_params(self)


@register("clickbandit/quadratic-v1", kind="clickbandit.utility")
class QuadraticUtility(Utility):
    """u(s, mu) = s*mu - lam*(s - mu)^2, with s*(mu) = clip(mu*(1 + 1/(2 lam)), 0, 1).

    The example utility of Kleine Buening et al. (2024): engagement ``s*mu`` minus a
    penalty for click-rates that do not match the quality ``mu``.

    Parameters
    ----------
    lam : float > 0, default 5.0
        Weight of the mismatch penalty (the paper's lambda).

    ``optimistic`` is exact. With ``k = 1 + 1/(2 lam)``, ``g(mu) = max_s u(s, mu)`` over
    ``[s_lo, s_hi]`` is ``u(clip(k mu, s_lo, s_hi), mu)``; it increases while
    ``k mu <= s_hi`` (``u*(mu) = (1 + 1/(4 lam)) mu^2`` in between) and, beyond, is
    ``u(s_hi, mu)``, concave with its peak at ``mu = k s_hi``. So the box maximum is at
    ``mu = clip(k s_hi, mu_lo, mu_hi)``, ``s = clip(k mu, s_lo, s_hi)``.
    """

    _parameter_constraints: ClassVar[dict[str, Constraint]] = {"lam": Real(0.0, None, closed="neither")}

    def __init__(self, *, lam: float = 5.0) -> None:
        self.lam = lam

    def u(self, s, mu):
        s = np.asarray(s, dtype=float)
        mu = np.asarray(mu, dtype=float)
        return s * mu - self.lam * (s - mu) ** 2

    def s_star(self, mu):
        return np.minimum(np.maximum(np.asarray(mu, dtype=float) * (1.0 + 0.5 / self.lam), 0.0), 1.0)

    def optimistic(self, s_lo, s_hi, mu_lo, mu_hi):
        k = 1.0 + 0.5 / self.lam
        mu = np.minimum(np.maximum(k * np.asarray(s_hi, dtype=float), mu_lo), mu_hi)
        s = np.minimum(np.maximum(k * mu, s_lo), s_hi)
        return self.u(s, mu)


@register("clickbandit/half-square-v1", kind="clickbandit.utility")
class HalfSquareUtility(Utility):
    """u(s, mu) = s*mu - s^2/2, with s*(mu) = mu.

    ``u`` is non-decreasing in ``mu`` for ``s >= 0``, so the optimistic utility over
    a box is exact: ``u(clip(mu_hi, s_lo, s_hi), mu_hi)``.
    """

    def __init__(self) -> None:
        pass

    def u(self, s, mu):
        s = np.asarray(s, dtype=float)
        return s * np.asarray(mu, dtype=float) - 0.5 * s * s

    def s_star(self, mu):
        return np.clip(np.asarray(mu, dtype=float), 0.0, 1.0)

    def optimistic(self, s_lo, s_hi, mu_lo, mu_hi):
        return self.u(np.minimum(np.maximum(mu_hi, s_lo), s_hi), mu_hi)


def optimistic_utility(utility: Any, s_lo, s_hi, mu_lo, mu_hi) -> np.ndarray:
    """``utility.optimistic`` where it exists, else a 17 x 17 grid maximum."""
    f = getattr(utility, "optimistic", None)
    if f is not None:
        return f(s_lo, s_hi, mu_lo, mu_hi)
    return _grid_box_max(utility.u, s_lo, s_hi, mu_lo, mu_hi, Utility.grid)


def s_star_upper(utility: Any, mu_lo, mu_hi) -> np.ndarray:
    """``utility.s_star_upper`` where it exists, else ``max s*`` over a 17-point grid of the interval."""
    f = getattr(utility, "s_star_upper", None)
    if f is not None:
        return f(mu_lo, mu_hi)
    return Utility.s_star_upper(_Duck(utility), mu_lo, mu_hi)


def u_star(utility: Any, mu) -> np.ndarray:
    """``u(s*(mu), mu)`` for any object with ``u`` and ``s_star``."""
    return utility.u(utility.s_star(mu), mu)


class _Duck(Utility):
    """Lends the base-class helpers to an object that only has ``u`` and ``s_star``."""

    monotone = False

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def u(self, s, mu):
        return self.inner.u(s, mu)

    def s_star(self, mu):
        return self.inner.s_star(mu)


def check_utility(utility: Any, owner: str = "the utility") -> None:
    """Reject objects without ``u`` and ``s_star``; validate declared parameters."""
    for name in ("u", "s_star"):
        if not callable(getattr(utility, name, None)):
            raise ParameterError(f"{owner} must have a vectorised method {name!r}; {type(utility).__name__} has none.")
    if hasattr(utility, "get_params"):
        utility.get_params()

