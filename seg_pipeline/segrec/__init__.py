"""SegRec: video recommendation that weighs per-segment backbone scores by segment interest.

Paper section 5 / SPEC 5: a backbone scores every segment of the target video, the frozen
segment-interest model says how much each segment matters to this user, and the weighted sum
predicts whether the view is *effective* (watched further than is usual for its duration).
"""
