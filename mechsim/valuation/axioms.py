"""Check that a valuation satisfies the requirements A1-A3 on an instance.

A1 non-negativity ``v(C) >= 0`` (and ``v(∅) = 0``); A2 monotonicity ``B ⊆ C =>
v(B) <= v(C)`` (checked on single additions, which implies it by transitivity);
A3 superadditivity ``v(B ∪ C) >= v(B) + v(C)`` for disjoint ``B``, ``C`` (all
``3**n`` pairs, vectorised per ``B``). These make Shapley-based time-aware rewards
individually rational.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mechsim.core.params import Real, check_value
from mechsim.errors import ParameterError
from mechsim.valuation.dividends import check_table, game_table
from mechsim.valuation.game import Game

__all__ = ["AxiomReport", "check_axioms"]


@dataclass(frozen=True)
class AxiomReport:
    """Which of A1-A3 hold, with the worst margin (negative = violated) and a witness.

    Attributes
    ----------
    a1, a2, a3 : bool
    margin_a1 : min_C v(C) (and -|v(∅)|)
    margin_a2 : min over (S, i in S) of v(S) - v(S ∖ {i})
    margin_a3 : min over disjoint B, C of v(B ∪ C) - v(B) - v(C)
    witness : mapping axiom -> coalition masks of the worst case
    """

    a1: bool
    a2: bool
    a3: bool
    margin_a1: float
    margin_a2: float
    margin_a3: float
    witness: dict

    @property
    def all(self) -> bool:
        return self.a1 and self.a2 and self.a3

    def rows(self) -> list[dict]:
        """One row per axiom: ``axiom``, ``holds``, ``margin``."""
        return [
            {"axiom": "A1", "holds": self.a1, "margin": self.margin_a1},
            {"axiom": "A2", "holds": self.a2, "margin": self.margin_a2},
            {"axiom": "A3", "holds": self.a3, "margin": self.margin_a3},
        ]


def check_axioms(valuation: Game | np.ndarray, *, tol: float = 1e-9) -> AxiomReport:
    """Test A1-A3 on a game (or its ``(2**n,)`` table); at most 14 players (``4**n`` work).

    Parameters
    ----------
    valuation : Game or (2**n,) array
    tol : float >= 0, default 1e-9
        Violations smaller than ``tol`` (rounding) are ignored.
    """
    tol = check_value(Real(0.0, None), tol, name="tol", owner="check_axioms")
    v, n = check_table(game_table(valuation) if isinstance(valuation, Game) else valuation, "check_axioms")
    if n > 14:
        raise ParameterError(f"The 'valuation' parameter of check_axioms must have at most 14 players. Got {n} instead.")
    masks = np.arange(1 << n, dtype=np.int64)
    m1 = float(min(v.min(), -abs(v[0])))
    w1 = int(np.argmin(v))
    m2, w2 = np.inf, (0, 0)
    for i in range(n):
        with_i = masks[(masks >> i) & 1 == 1]
        diff = v[with_i] - v[with_i ^ (1 << i)]
        k = int(np.argmin(diff))
        if diff[k] < m2:
            m2, w2 = float(diff[k]), (int(with_i[k] ^ (1 << i)), int(with_i[k]))
    m3, w3 = np.inf, (0, 0)
    for b in range(1, 1 << n):
        c = masks[(masks & b) == 0]
        c = c[c > b]  # each unordered pair once, C non-empty
        if c.size == 0:
            continue
        diff = v[b | c] - v[b] - v[c]
        k = int(np.argmin(diff))
        if diff[k] < m3:
            m3, w3 = float(diff[k]), (b, int(c[k]))
    if not np.isfinite(m3):
        m3 = 0.0
    return AxiomReport(
        a1=m1 >= -tol, a2=m2 >= -tol, a3=m3 >= -tol, margin_a1=m1, margin_a2=float(m2), margin_a3=m3,
        witness={"A1": w1, "A2": w2, "A3": w3},
    )
