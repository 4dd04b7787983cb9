"""Binary-classification metrics for effective-view prediction: AUC, F1, logloss.

scikit-learn is not a dependency, so AUC is the Mann-Whitney statistic on average ranks
(scipy.stats.rankdata handles ties exactly as sklearn's roc_auc_score does).
"""
from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

LOGLOSS_EPS = 1e-7


def _as_arrays(labels, scores) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(labels, dtype=np.float64).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    if y.shape != s.shape:
        raise ValueError(f"labels {y.shape} and scores {s.shape} differ in length")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("labels must be 0 or 1")
    return y, s


def auc(labels, scores) -> float:
    """Probability that a random positive outscores a random negative (ties count one half).

    NaN when only one class is present: AUC is undefined there, and 0.5 would hide it.
    """
    y, s = _as_arrays(labels, scores)
    n_pos = int(y.sum())
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(s)  # average ranks for ties
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def f1(labels, scores, threshold: float) -> float:
    """F1 of the positive class when predicting positive for score >= threshold (0 if no TP)."""
    y, s = _as_arrays(labels, scores)
    pred = s >= threshold
    tp = float(np.sum(pred & (y == 1)))
    fp = float(np.sum(pred & (y == 0)))
    fn = float(np.sum(~pred & (y == 1)))
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def best_f1_threshold(labels, scores) -> float:
    """The threshold (one of the scores) that maximises F1 on these rows.

    Chosen on the validation split and then applied unchanged to test, so the test F1 is not
    tuned on test. Ties between thresholds go to the highest one (fewest positive predictions).
    """
    y, s = _as_arrays(labels, scores)
    if y.sum() == 0:
        return float("inf")
    order = np.argsort(-s, kind="stable")
    s_sorted, y_sorted = s[order], y[order]
    tp = np.cumsum(y_sorted)
    fp = np.cumsum(1 - y_sorted)
    # Only the last index of a run of equal scores is a reachable cut (score >= threshold).
    last_of_run = np.r_[s_sorted[1:] != s_sorted[:-1], True]
    n_pos = y.sum()
    f1s = np.where(last_of_run, 2 * tp / (tp + fp + n_pos), -1.0)
    return float(s_sorted[int(np.argmax(f1s))])


def logloss(labels, probs, eps: float = LOGLOSS_EPS) -> float:
    """Mean binary cross-entropy of probabilities (clipped to [eps, 1 - eps])."""
    y, p = _as_arrays(labels, probs)
    p = np.clip(p, eps, 1 - eps)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
