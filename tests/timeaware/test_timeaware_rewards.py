"""Model rewards: tempering hits the target, endpoints are own-data and grand models, subset selection."""

from __future__ import annotations

import numpy as np
import pytest

from mechsim.timeaware.data import make_party_data
from mechsim.timeaware.rewards import subset_reward, target_fraction, tempered_blr_reward
from mechsim.valuation.bayes import BLRModel
from mechsim.valuation.learned import LearnerUtility


@pytest.fixture(scope="module")
def data():
    return make_party_data("friedman", (30, 30, 10), 150, np.random.default_rng(0))


def test_target_fraction_maps_and_clips() -> None:
    assert target_fraction(5.0, 2.0, 8.0) == (0.5, False)
    assert target_fraction(1.0, 2.0, 8.0) == (0.0, True)
    assert target_fraction(3.0, 3.0, 3.0) == (1.0, False)


def test_tempering_hits_the_information_gain_target(data) -> None:
    model = BLRModel()
    for f in (0.0, 0.3, 0.7, 1.0):
        kappa, target, achieved, _ = tempered_blr_reward(model, data.parts, 0, f, data.x_test, data.y_test)
        assert achieved == pytest.approx(target, abs=1e-8)
        assert 0.0 <= kappa <= 1.0
    assert tempered_blr_reward(model, data.parts, 0, 0.0, data.x_test, data.y_test)[0] == 0.0
    assert tempered_blr_reward(model, data.parts, 0, 1.0, data.x_test, data.y_test)[0] == 1.0


def test_tempered_model_mnlp_falls_with_the_dose(data) -> None:
    model = BLRModel()
    mnlp = [tempered_blr_reward(model, data.parts, 2, f, data.x_test, data.y_test)[3] for f in (0.0, 0.5, 1.0)]
    assert mnlp[0] > mnlp[1] > mnlp[2]


def test_subset_selection_endpoints_and_monotone_share(data) -> None:
    util = LearnerUtility(data.parts, data.x_test, data.y_test, metric="r2")
    order = np.random.default_rng(1).permutation(60)
    share0, _, _, s0 = subset_reward(util, 2, 0.0, order)
    share1, _, _, s1 = subset_reward(util, 2, 1.0, order)
    share_mid = subset_reward(util, 2, 0.5, order)[0]
    assert share0 == 0.0 and share1 == 1.0 and 0.0 < share_mid < 1.0
    assert s0 < s1
