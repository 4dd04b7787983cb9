"""AUC, F1 and logloss against values worked out by hand."""
from __future__ import annotations

import math

import numpy as np
import pytest

from seg_pipeline.segrec.metrics import auc, best_f1_threshold, f1, logloss

LABELS = [1, 0, 1, 0, 1]
SCORES = [0.9, 0.8, 0.8, 0.3, 0.1]


def test_auc_counts_ties_as_half():
    # positive-negative pairs: (.9,.8)=1 (.9,.3)=1 (.8,.8)=.5 (.8,.3)=1 (.1,.8)=0 (.1,.3)=0
    assert auc(LABELS, SCORES) == pytest.approx(3.5 / 6)


def test_auc_extremes_and_single_class():
    assert auc([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4]) == 1.0
    assert auc([1, 1, 0, 0], [0.1, 0.2, 0.3, 0.4]) == 0.0
    assert auc([1, 0], [0.5, 0.5]) == 0.5
    assert math.isnan(auc([1, 1], [0.2, 0.3]))


def test_f1_at_a_threshold():
    # predict [1,1,1,0,0]: tp=2 fp=1 fn=1 -> 4/6
    assert f1(LABELS, SCORES, 0.5) == pytest.approx(4 / 6)
    assert f1(LABELS, SCORES, 0.95) == 0.0


def test_best_threshold_maximises_f1_over_reachable_cuts():
    # cuts: .9 -> .5, .8 -> .667, .3 -> 4/7, .1 -> tp3 fp2 fn0 = .75
    t = best_f1_threshold(LABELS, SCORES)
    assert t == pytest.approx(0.1)
    assert f1(LABELS, SCORES, t) == pytest.approx(0.75)
    assert best_f1_threshold([0, 0], [0.1, 0.2]) == float("inf")


def test_logloss_by_hand_and_clipping():
    assert logloss([1, 0], [0.8, 0.4]) == pytest.approx(-(math.log(0.8) + math.log(0.6)) / 2)
    assert np.isfinite(logloss([1, 0], [0.0, 1.0]))


def test_bad_labels_are_rejected():
    with pytest.raises(ValueError, match="0 or 1"):
        auc([2, 0], [0.1, 0.2])
    with pytest.raises(ValueError, match="length"):
        logloss([1, 0], [0.1])
