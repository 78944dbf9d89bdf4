"""Token payouts of collaborative learning settle identically in memory and on the EVM.

The seed paper's rule (rewards proportional to accumulated contribution) is checked
against a direct computation from the run's own contribution records.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import mechsim
from mechsim.errors import ScenarioError
from mechsim.ledger import to_units

PAYOUT = """
[payout]
id = "ledger/token-payout-v1"
backend = "memory"
pattern = "{pattern}"
budget_per_epoch = 50.0
epoch_rounds = 3
basis = "{basis}"
"""


def _scenario(tmp_path, tiny, pattern="batched", basis="contribution", n_rounds=8):
    text = tiny.replace("n_rounds = 8", f"n_rounds = {n_rounds}") + PAYOUT.format(pattern=pattern, basis=basis)
    path = tmp_path / f"pay_{pattern}_{basis}.toml"
    path.write_text(text)
    return path


def test_batched_allocation_is_the_exact_proportional_split(tmp_path, tiny_text):
    res = mechsim.run(_scenario(tmp_path, tiny_text, "batched"))
    pay = res.tables["payouts"]
    budget = to_units([50.0])[0]
    epochs = pay.unique("epoch")
    assert epochs == [0, 1, 2]  # 8 rounds in epochs of 3: the last epoch is short
    for label in pay.unique("variant"):
        for e in epochs:
            rows = pay.where(variant=label, epoch=e)
            units = np.array([int(u) for u in rows["amount_units"]], dtype=object)
            w = rows["contribution"]
            if w.sum() == 0:  # FedAvg estimates nothing: nothing is allocated
                assert units.sum() == 0
                continue
            assert units.sum() == budget  # the whole budget, to the base unit
            exact = [Fraction(budget) * Fraction(float(x)) / sum(Fraction(float(y)) for y in w) for x in w]
            assert all(abs(Fraction(int(u)) - q) < 1 for u, q in zip(units, exact))
    # FedAvg has no contribution estimate, so it pays nobody; CGSV pays everybody something
    assert pay.where(variant="fedavg")["balance"].sum() == 0
    final = pay.where(variant="cgsv", epoch=2)
    assert np.all(final["balance"] > 0)
    assert res.summary["payouts"]["cgsv"]["total_paid"] == pytest.approx(150.0)


def test_reward_driven_pays_in_proportion_to_recorded_contributions(tmp_path, tiny_text):
    res = mechsim.run(_scenario(tmp_path, tiny_text, "reward_driven"))
    pay = res.tables["payouts"].where(variant="cgsv")
    rounds = res.tables["rounds"].where(variant="cgsv")
    for e in pay.unique("epoch"):
        rows = pay.where(epoch=e)
        lo, hi = 3 * e, min(3 * e + 3, 8)
        sel = (rounds["round"] >= lo) & (rounds["round"] < hi)
        recorded = np.zeros(4, dtype=np.int64)
        for node, c in zip(rounds["node"][sel], rounds["contribution"][sel]):
            if np.isfinite(c) and c > 0:
                recorded[node] += int(np.rint(c * 1_000_000))
        shares = [Fraction(to_units([50.0])[0] * int(r), int(recorded.sum())) for r in recorded]
        units = [int(u) for u in rows["amount_units"]]
        assert all(abs(Fraction(u) - q) <= 1 for u, q in zip(units, shares))


def test_payout_section_is_validated(tmp_path, tiny_text):
    path = _scenario(tmp_path, tiny_text, "batched")
    with pytest.raises(ScenarioError, match=r"key 'payout\.pattern': expected one of 'batched', 'merkle', 'reward_driven'; got 'chain'"):
        mechsim.load_scenario(path, ["payout.pattern=chain"])
    with pytest.raises(ScenarioError, match=r"key 'payout\.budget_per_epoch': expected a float in \(0\.0, inf\); got -1"):
        mechsim.load_scenario(path, ["payout.budget_per_epoch=-1"])


@pytest.mark.evm
@pytest.mark.parametrize("pattern", ["batched", "merkle", "reward_driven"])
def test_memory_and_evm_settle_to_identical_balances(tmp_path, tiny_text, pattern):
    pytest.importorskip("boa")
    path = _scenario(tmp_path, tiny_text, pattern, basis="score", n_rounds=6)
    memory = mechsim.run(path)
    evm = mechsim.run(path, overrides=["payout.backend=evm"])
    assert evm.tables["payouts"] == memory.tables["payouts"]
    assert memory.tables["rounds"] == evm.tables["rounds"]
    gas = evm.tables["ledger_gas"]
    assert np.all(gas["operator_gas"] > 0) and np.all(memory.tables["ledger_gas"]["operator_gas"] == 0)
