"""How well the downstream outputs match the demo world's latent interest (its ground truth).

Only the simulated world has this truth, so these numbers judge the method, not a real run. Each
score is set beside a baseline that needs no model, so "better than nothing" is visible:

* thumbnails: `best_hit` = share of pairs whose chosen segment is the latent favourite, and
  `best_quantile` = where the chosen segment sits among the video's segments by latent interest
  (1 = the favourite, 0 = the least liked, (N - 1) in the denominator). Baselines: always the
  first segment, always the second, and a uniformly random segment (hit 1/N, quantile 0.5 in
  expectation). `regret` = latent interest of the favourite minus that of the chosen segment
  (0 = the favourite; the random baseline's is the favourite minus the video's mean). The hit rate
  is harsh on this world: within a scene the latent interest falls only by the user's small
  position decay, so "the favourite" is usually the first segment after the opening of the
  best-liked topic, and a pick one segment later costs a hit but almost no regret.
* edits: the same low-interest rule applied to the latent interest marks the "truly low" segments;
  `precision` / `recall` of the segments the model's spans cover against them. Baselines: the rule
  on a pure position prior falling with position (always suggests the tail) and on one rising
  with position (always suggests the opening).
Pairs with fewer than two segments carry no choice and are left out.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from seg_pipeline.apply.edits import EditRule, low_interest_mask


def truth_by_pair(truth: pd.DataFrame) -> dict[tuple[str, str], np.ndarray]:
    """(user, video) -> latent interest per segment (index = segment_idx)."""
    out = {}
    for (user, video), group in truth.groupby(["user_id", "video_id"], sort=False):
        values = np.full(int(group["segment_idx"].max()) + 1, np.nan)
        values[group["segment_idx"].to_numpy()] = group["interest"].to_numpy(dtype=np.float64)
        out[(str(user), str(video))] = values
    return out


def _quantile(latent: np.ndarray, chosen: int) -> float:
    return float((latent < latent[chosen]).sum()) / (latent.size - 1)


def latent_agreement(pairs: Sequence[tuple[str, str, np.ndarray]], truth: pd.DataFrame,
                     rule: EditRule = EditRule()) -> dict:
    """Metrics over (user_id, video_id, model interest per real segment) triples (see module doc)."""
    latent_of = truth_by_pair(truth)
    rows = []
    for user, video, interest in pairs:
        latent = latent_of.get((str(user), str(video)))
        interest = np.asarray(interest, dtype=np.float64)
        if latent is None or latent.size != interest.size or interest.size < 2 or np.isnan(latent).any():
            continue
        best = int(np.argmax(latent))
        chosen = int(np.argmax(interest))
        truly_low = low_interest_mask(latent, rule)
        model_low = low_interest_mask(interest, rule)
        positions = np.arange(interest.size, dtype=np.float64)
        prior_low = low_interest_mask(-positions, rule)
        head_low = low_interest_mask(positions, rule)
        rows.append({
            "best_hit": chosen == best, "first_hit": best == 0, "second_hit": best == 1,
            "random_hit": 1.0 / interest.size,
            "best_quantile": _quantile(latent, chosen), "first_quantile": _quantile(latent, 0),
            "second_quantile": _quantile(latent, 1),
            "regret": latent[best] - latent[chosen], "first_regret": latent[best] - latent[0],
            "second_regret": latent[best] - latent[1], "random_regret": latent[best] - latent.mean(),
            "truly_low": int(truly_low.sum()), "model_low": int(model_low.sum()),
            "model_low_hits": int((model_low & truly_low).sum()), "prior_low": int(prior_low.sum()),
            "prior_low_hits": int((prior_low & truly_low).sum()), "head_low": int(head_low.sum()),
            "head_low_hits": int((head_low & truly_low).sum()),
        })
    if not rows:
        return {"pairs": 0}
    f = pd.DataFrame(rows)

    def ratio(hits: str, total: str) -> float:
        return float(f[hits].sum() / f[total].sum()) if f[total].sum() else float("nan")

    return {
        "pairs": len(f),
        "thumbnail_best_hit": float(f["best_hit"].mean()),
        "thumbnail_best_hit_first_segment": float(f["first_hit"].mean()),
        "thumbnail_best_hit_second_segment": float(f["second_hit"].mean()),
        "thumbnail_best_hit_random": float(f["random_hit"].mean()),
        "thumbnail_best_quantile": float(f["best_quantile"].mean()),
        "thumbnail_best_quantile_first_segment": float(f["first_quantile"].mean()),
        "thumbnail_best_quantile_second_segment": float(f["second_quantile"].mean()),
        "thumbnail_regret": float(f["regret"].mean()),
        "thumbnail_regret_first_segment": float(f["first_regret"].mean()),
        "thumbnail_regret_second_segment": float(f["second_regret"].mean()),
        "thumbnail_regret_random": float(f["random_regret"].mean()),
        "edit_precision": ratio("model_low_hits", "model_low"),
        "edit_recall": ratio("model_low_hits", "truly_low"),
        "edit_precision_position_prior": ratio("prior_low_hits", "prior_low"),
        "edit_recall_position_prior": ratio("prior_low_hits", "truly_low"),
        "edit_precision_head_prior": ratio("head_low_hits", "head_low"),
        "edit_recall_head_prior": ratio("head_low_hits", "truly_low"),
    }
