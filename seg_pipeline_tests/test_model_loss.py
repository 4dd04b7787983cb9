"""Losses on hand-made score matrices; expected values worked out with a pencil (see comments)."""
from __future__ import annotations

import pytest
import torch

from seg_pipeline.model.losses import (
    LOSSES,
    bce_end_scores,
    bce_loss,
    bpr_max_loss,
    intra_video_loss,
    softmax_loss,
    survival_log_leave,
    survival_loss,
)

PAD = 7.0  # any value: padding must never matter


def _scores(rows: list[list[float]], width: int = 6) -> torch.Tensor:
    return torch.tensor([r + [PAD] * (width - len(r)) for r in rows], dtype=torch.float64)


def test_intra_video_loss_hand_example():
    # View A: N = 3, p = [0.5, 0.2, 0.9 | end 0.1], left in segment 2 -> pairs j = 0, 1:
    #   -ln sigmoid(0.5 - 0.9) - ln sigmoid(0.2 - 0.9) = 0.913015 + 1.103186 = 2.016201
    # View B: N = 2, left in segment 0 -> no watched segment, contributes 0 but counts as a view.
    # Mean over 2 views = 1.008101.
    p = _scores([[0.5, 0.2, 0.9, 0.1], [0.3, 4.0, -2.0]])
    loss = intra_video_loss(p, torch.tensor([2, 0]))
    assert loss.item() == pytest.approx(1.0081006506, abs=1e-9)


def test_intra_video_loss_ignores_unreached_and_padding_slots():
    p = _scores([[0.5, 0.2, 0.9, 0.1], [0.3, 4.0, -2.0]])
    changed = p.clone()
    changed[0, 3:] = -50.0  # end slot of a view that left in segment 2: never reached
    changed[1, 1:] = 50.0  # everything after segment 0 of the second view
    target = torch.tensor([2, 0])
    torch.testing.assert_close(intra_video_loss(changed, target), intra_video_loss(p, target))


def test_intra_video_loss_full_watch_targets_end_slot():
    # N = 2 full watch: y = 2 (end slot), pairs j = 0, 1 with p_y = 0 -> 2 * -ln sigmoid(1) = 0.626523
    p = _scores([[1.0, 1.0, 0.0]])
    assert intra_video_loss(p, torch.tensor([2])).item() == pytest.approx(2 * 0.3132616875, abs=1e-9)


def test_bce_loss_hand_example():
    # View A: watched 0, 1 (label 1, logits 0.5, 0.2), left at 2 (label 0, logit 0.9):
    #   -ln s(0.5) - ln s(0.2) - ln(1 - s(0.9)) = 2.313370; view B: -ln(1 - s(0.3)) = 0.854355.
    p = _scores([[0.5, 0.2, 0.9, 0.1], [0.3, 4.0, -2.0]])
    assert bce_loss(p, torch.tensor([2, 0])).item() == pytest.approx((2.3133697283 + 0.8543552445) / 2, abs=1e-9)


def test_bpr_max_loss_hand_example():
    # N = 2, p = [0, 1, 2], target 0: negatives 1, 2 weighted softmax(-p) = (0.731059, 0.268941);
    # -ln(0.731059 s(1) + 0.268941 s(2)) = 0.259640. Padding (slots > 2) is not a negative.
    p = _scores([[0.0, 1.0, 2.0]])
    loss = bpr_max_loss(p, torch.tensor([0]), torch.tensor([2]))
    assert loss.item() == pytest.approx(0.2596396770, abs=1e-9)


def test_softmax_loss_hand_example():
    # N = 2, p = [0, ln 2, 0]: softmax(-p) = (1, 1/2, 1)/2.5, target 1 -> -ln 0.2 = ln 5.
    p = _scores([[0.0, float(torch.log(torch.tensor(2.0))), 0.0]])
    loss = softmax_loss(p, torch.tensor([1]), torch.tensor([2]))
    assert loss.item() == pytest.approx(1.6094379124, abs=1e-7)


def test_survival_leave_distribution_hand_example():
    # N = 2, continue probabilities sigmoid(0) = 1/2 and sigmoid(ln 3) = 3/4:
    # leave at 0: 1/2; leave at 1: 1/2 * 1/4 = 1/8; end slot (watched both): 1/2 * 3/4 = 3/8.
    p = _scores([[0.0, float(torch.log(torch.tensor(3.0))), 5.0]])
    leave = survival_log_leave(p, torch.tensor([2])).exp()
    torch.testing.assert_close(leave[0, :3], torch.tensor([0.5, 0.125, 0.375], dtype=torch.float64))
    assert (leave[0, 3:] == 0).all()
    # The end slot's own score (5.0) never matters: it is reached only by watching everything.
    loss = survival_loss(p, torch.tensor([1]), torch.tensor([2]))
    assert loss.item() == pytest.approx(2.0794415417, abs=1e-7)  # -ln(1/8) = ln 8
    changed = p.clone()
    changed[0, 2] = -5.0
    torch.testing.assert_close(survival_loss(changed, torch.tensor([2]), torch.tensor([2])),
                               survival_loss(p, torch.tensor([2]), torch.tensor([2])))


def test_losses_have_finite_gradients_with_padding():
    p = _scores([[0.5, 0.2, 0.9, 0.1], [0.3, 4.0, -2.0]]).requires_grad_()
    target, n = torch.tensor([2, 0]), torch.tensor([3, 2])
    for loss in (intra_video_loss(p, target), bce_loss(p, target), bpr_max_loss(p, target, n, 0.1),
                 softmax_loss(p, target, n), survival_loss(p, target, n)):
        (grad,) = torch.autograd.grad(loss, p)
        assert torch.isfinite(grad).all()
        assert (grad[0, 4:] == 0).all() and (grad[1, 3:] == 0).all()  # padding gets no gradient


def test_registry_dispatches_with_one_signature():
    """Every registered loss takes (p, target_slot, n_segments, bpr_reg) and gives the value of its
    own function; only survival and bce (end slot) turn p into different skip scores."""
    p = _scores([[0.5, 0.2, 0.9, 0.1], [0.3, 4.0, -2.0]])
    target, n = torch.tensor([2, 0]), torch.tensor([3, 2])
    expected = {"intra_video": intra_video_loss(p, target), "bce": bce_loss(p, target, n),
                "bpr_max": bpr_max_loss(p, target, n, 0.1), "softmax": softmax_loss(p, target, n),
                "survival": survival_loss(p, target, n)}
    assert set(LOSSES) == set(expected)
    for name, loss in LOSSES.items():
        torch.testing.assert_close(loss.compute(p, target, n, 0.1), expected[name])
        skip = loss.skip_scores(p, n)
        if name == "survival":
            torch.testing.assert_close(skip, -survival_log_leave(p, n))
        elif name == "bce":
            torch.testing.assert_close(skip, bce_end_scores(p, n))
        else:
            assert skip is p


def test_bce_loss_censors_the_end_slot():
    # N = 2 full watch (y = 2): only the two watched segments count, -2 ln s(1) = 0.626523; the end
    # slot's logit (-3) carries no term, so the model is never taught to rank the end slot first.
    p = _scores([[1.0, 1.0, -3.0]])
    loss = bce_loss(p, torch.tensor([2]), torch.tensor([2]))
    assert loss.item() == pytest.approx(2 * 0.3132616875, abs=1e-9)
    assert bce_loss(p, torch.tensor([2])).item() > loss.item()  # the old, uncensored form
    assert LOSSES["bce"].compute(p, torch.tensor([2]), torch.tensor([2]), 0.0).item() == pytest.approx(loss.item())


def test_bce_end_scores_rank_the_end_slot_by_full_watch_probability():
    # continue logits ln 3, ln 3: P(full) = 9/16 -> end score ln(7/16) - ln(9/16) = ln(7/9)
    p = _scores([[float(torch.log(torch.tensor(3.0)))] * 2 + [99.0]])
    s = bce_end_scores(p, torch.tensor([2]))
    assert s[0, 2].item() == pytest.approx(float(torch.log(torch.tensor(7.0 / 9.0))), abs=1e-6)
    torch.testing.assert_close(s[0, :2], p[0, :2])
