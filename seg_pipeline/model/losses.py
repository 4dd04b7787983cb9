"""Training objectives over interest scores p (B, S): lower interest = more likely the leave slot.

Every loss is a sum over a view's slots averaged over the views of the batch; padding (slots > N)
never enters, and apart from `bpr_max` and `softmax`, which rank the target against every real
slot, never-reached slots (j > y) carry no loss either.

`LOSSES` is the registry the config validates against and the network dispatches through: a new
objective is one function and one entry there.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F


def _slots(p: torch.Tensor) -> torch.Tensor:
    return torch.arange(p.shape[1], device=p.device)[None, :]


def intra_video_loss(p: torch.Tensor, target_slot: torch.Tensor) -> torch.Tensor:
    """SPEC 3 eq. 8: mean over views of -sum_{j < y} ln sigmoid(p_j - p_y).

    The watched segments j < y should all hold more interest than the slot y where the user left;
    a view that left in segment 0 has no watched segment and adds 0 (it still counts as a view).
    """
    p_target = p.gather(1, target_slot[:, None])
    watched = _slots(p) < target_slot[:, None]
    terms = torch.where(watched, -F.logsigmoid(p - p_target), torch.zeros_like(p))
    return terms.sum(dim=1).mean()


def bce_loss(p: torch.Tensor, target_slot: torch.Tensor, n_segments: torch.Tensor | None = None) -> torch.Tensor:
    """Per-slot binary cross-entropy with p as the logit of "kept watching": watched j < y are 1,
    the leave slot y is 0, never-reached slots are censored (no term). With `n_segments` the end
    slot is censored too: a full watch is no "leave" there, and labelling it 0 taught the model to
    rank the end slot first for every view (issue 10)."""
    slots = _slots(p)
    labels = (slots < target_slot[:, None]).to(p.dtype)
    reached = slots <= target_slot[:, None]
    if n_segments is not None:
        reached = reached & (slots < n_segments[:, None])
    terms = F.binary_cross_entropy_with_logits(p, labels, reduction="none")
    return torch.where(reached, terms, torch.zeros_like(p)).sum(dim=1).mean()


def bce_end_scores(p: torch.Tensor, n_segments: torch.Tensor) -> torch.Tensor:
    """Skip scores of a BCE model: p_i for the segments (the logit of continuing past i, lower =
    likelier leave) and, for the end slot N, -logit P(watch everything) with P = prod_j sigmoid(p_j),
    on the same logit scale (the end slot's own p is never trained)."""
    slots = _slots(p)
    segment = slots < n_segments[:, None]
    log_full = torch.where(segment, F.logsigmoid(p), torch.zeros_like(p)).sum(dim=1, keepdim=True)
    log_full = log_full.clamp(max=-1e-6)
    end_score = torch.log(-torch.expm1(log_full)) - log_full
    return torch.where(slots == n_segments[:, None], end_score, p)


def bpr_max_loss(
    p: torch.Tensor, target_slot: torch.Tensor, n_segments: torch.Tensor, reg: float = 0.0
) -> torch.Tensor:
    """BPR-max as in the published code: every other real slot j is a negative, weighted by
    softmax(-p_j) so the slots closest to being ranked above the target dominate;
    -ln sum_j w_j sigmoid(p_j - p_y) + reg * sum_j w_j p_j^2."""
    slots = _slots(p)
    negatives = (slots <= n_segments[:, None]) & (slots != target_slot[:, None])
    p_target = p.gather(1, target_slot[:, None])
    weights = torch.softmax(torch.where(negatives, -p, torch.full_like(p, float("-inf"))), dim=1)
    ranked = (weights * torch.sigmoid(p - p_target)).sum(dim=1)
    loss = -torch.log(ranked.clamp_min(1e-12))
    if reg:
        loss = loss + reg * (weights * p.pow(2)).sum(dim=1)
    return loss.mean()


def survival_log_leave(p: torch.Tensor, n_segments: torch.Tensor) -> torch.Tensor:
    """log P(leave at slot i) when p_i is the logit of watching past segment i (a discrete-time
    survival model): log sigmoid(-p_i) + sum_{j<i} log sigmoid(p_j) for segments i < N, and
    sum_{j<N} log sigmoid(p_j) for the end slot N (reached only by watching every segment).
    Slots past N get -inf."""
    slots = _slots(p)
    segment = slots < n_segments[:, None]
    log_continue = torch.where(segment, F.logsigmoid(p), torch.zeros_like(p))
    survived = torch.cumsum(log_continue, dim=1) - log_continue  # sum over j < i
    log_leave = torch.where(segment, F.logsigmoid(-p) + survived, survived)
    return torch.where(slots <= n_segments[:, None], log_leave, torch.full_like(p, float("-inf")))


def survival_loss(p: torch.Tensor, target_slot: torch.Tensor, n_segments: torch.Tensor) -> torch.Tensor:
    """Negative log-likelihood of the leave slot under the survival model: the BCE of the watched
    segments (continued) and the skip segment (stopped), with never-reached slots censored and no
    term for the end slot, which every full watch reaches by definition."""
    log_leave = survival_log_leave(p, n_segments)
    return -log_leave.gather(1, target_slot[:, None]).mean()


def softmax_loss(p: torch.Tensor, target_slot: torch.Tensor, n_segments: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the leave distribution softmax(-p) over slots 0..N (SPEC 4's watch-time
    distribution) at the true leave slot."""
    valid = _slots(p) <= n_segments[:, None]
    logits = torch.where(valid, -p, torch.full_like(p, float("-inf")))
    return F.cross_entropy(logits, target_slot)


# One signature for every registered objective: (p, target_slot, n_segments, bpr_reg) -> scalar.
LossFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor, float], torch.Tensor]


def _interest_is_the_skip_score(p: torch.Tensor, n_segments: torch.Tensor) -> torch.Tensor:
    return p


@dataclass(frozen=True)
class Loss:
    """A training objective and how the interest p it trains turns into skip scores (lower =
    likelier leave): p itself, except under the survival model, where it is -log P(leave at slot)."""

    compute: LossFn
    skip_scores: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = _interest_is_the_skip_score


LOSSES: dict[str, Loss] = {
    "survival": Loss(lambda p, target, n, reg: survival_loss(p, target, n),
                     lambda p, n: -survival_log_leave(p, n)),
    "intra_video": Loss(lambda p, target, n, reg: intra_video_loss(p, target)),
    "bce": Loss(lambda p, target, n, reg: bce_loss(p, target, n), bce_end_scores),
    "bpr_max": Loss(bpr_max_loss),
    "softmax": Loss(lambda p, target, n, reg: softmax_loss(p, target, n)),
}
