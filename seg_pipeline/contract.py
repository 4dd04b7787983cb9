"""The constants every layer shares: the segment grid, the slot contract, the modalities.

One home, imported everywhere (SQL receives them as bound parameters), so the 5-second grid or
the 40-segment cap cannot drift between the warehouse, the model and the reports.

Slots (SPEC 1, SPEC 4): a video with N segments has slots 0..N-1 for its segments and slot N,
the *end slot*, where a full watch "leaves". Score matrices are float (n_views, N_SLOTS); slots
after N are padding. Lower score = likelier leave point.
"""
from __future__ import annotations

SEGMENT_SECONDS = 5.0
SEGMENT_MS = 5000
MAX_SEGMENTS = 40
N_SLOTS = MAX_SEGMENTS + 1  # 40 segments plus the end slot

MODALITIES = ("id", "visual", "both")
SPLITS = ("train", "valid", "test")
EVAL_SPLIT = "test"

DEFAULT_HISTORY_LENGTH = 20  # SPEC 1: the user's 20 most recent strictly earlier views


def modality_parts(modality: str) -> tuple[str, ...]:
    """The encoders a modality uses: `both` fuses the id and visual encoders."""
    return ("id", "visual") if modality == "both" else (modality,)
