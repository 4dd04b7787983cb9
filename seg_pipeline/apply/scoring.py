"""Score (user, video) pairs with a trained model: per-segment interest, the predicted skip slot
and the expected watch time (SPEC 4 and 6).

The warehouse is opened read-only and only while the inputs are read, so scoring never holds the
DuckDB lock while the model runs (a pipeline run can start meanwhile).
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional, Sequence

import duckdb
import numpy as np

from seg_pipeline.apply.errors import ApplyError
from seg_pipeline.apply.models import LoadedModel, load_model_ref, model_caveats, resolve_model
from seg_pipeline.apply.pairs import PairContext, PairRequest, VideoFacts, build_pair_inputs, load_video_facts
from seg_pipeline.contract import SEGMENT_SECONDS
from seg_pipeline.errors import WarehouseBusyError
from seg_pipeline.evaluation.metrics import expected_watch_time_s, leave_distribution
from seg_pipeline.model.inputs import VectorMismatchError, check_vector_encoder, load_segment_vectors
from seg_pipeline.paths import DataLayout
from seg_pipeline.warehouse.db import connect
from seg_pipeline.warehouse.tables import read_trained_models

PIPELINE_HINT = "`dagster job execute -m seg_pipeline.definitions -j full_pipeline`"


@dataclass
class PairScore:
    """The model's answer for one pair. Slots 0..N-1 are segments, slot N the end slot."""

    user_id: str
    video_id: str
    view_id: Optional[int]
    before_ms: Optional[int]
    video: VideoFacts
    interest: np.ndarray  # (N,) the model's interest per real segment (higher = likelier to watch on)
    skip_scores: np.ndarray  # (N + 1,) skip ranking over slots 0..N; lower = likelier to leave there
    leave_probability: np.ndarray  # (N + 1,) P(leave at slot i), softmax of negated skip scores
    predicted_skip_slot: int  # lowest skip score among slots 0..N (N = watches to the end)
    expected_watch_time_s: float
    context: PairContext
    modality: str
    model_source: str
    mlflow_run_id: Optional[str]
    checkpoint: str
    notes: list[str] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)  # about the model, the same for every pair

    @property
    def n_segments(self) -> int:
        return int(self.interest.size)

    @property
    def end_slot_score(self) -> float:
        return float(self.skip_scores[self.n_segments])

    @property
    def predicts_full_watch(self) -> bool:
        return self.predicted_skip_slot == self.n_segments

    @property
    def fallback(self) -> str:
        return "history-free" if self.context.history_free else "none"

    def segment_bounds(self) -> list[tuple[float, float]]:
        duration = self.video.duration_s
        return [(SEGMENT_SECONDS * i, min(SEGMENT_SECONDS * (i + 1), duration)) for i in range(self.n_segments)]

    def to_dict(self) -> dict:
        """Plain JSON-ready values."""
        bounds = self.segment_bounds()
        return {
            "user_id": self.user_id,
            "video_id": self.video_id,
            "view_id": self.view_id,
            "history_before_ms": self.before_ms,
            "n_segments": self.n_segments,
            "duration_s": self.video.duration_s,
            "segments": [
                {"segment_idx": i, "start_s": s, "end_s": e, "interest": float(self.interest[i]),
                 "skip_score": float(self.skip_scores[i]), "leave_probability": float(self.leave_probability[i])}
                for i, (s, e) in enumerate(bounds)
            ],
            "end_slot": {"slot": self.n_segments, "skip_score": self.end_slot_score,
                         "leave_probability": float(self.leave_probability[self.n_segments])},
            "predicted_skip_slot": self.predicted_skip_slot,
            "predicted_skip_segment": None if self.predicts_full_watch else self.predicted_skip_slot,
            "predicts_full_watch": self.predicts_full_watch,
            "expected_watch_time_s": self.expected_watch_time_s,
            "history_views": self.context.history_views,
            "history_tokens": self.context.history_tokens,
            "user_logged_views": self.context.user_views,
            "user_in_vocab": self.context.user_in_vocab,
            "video_in_vocab": self.context.video_in_vocab,
            "fallback": self.fallback,
            "notes": list(self.notes),
            "model": {"modality": self.modality, "source": self.model_source,
                      "mlflow_run_id": self.mlflow_run_id, "checkpoint": self.checkpoint,
                      "caveats": list(self.caveats)},
        }


@dataclass
class Rejected:
    """A pair that could not be scored, with the reason (batch outputs keep these in a table)."""

    request: PairRequest
    reason: str


def warehouse_or_error(layout: DataLayout) -> Path:
    if not layout.warehouse.is_file():
        raise ApplyError(f"no warehouse at {layout.warehouse}",
                         f"run the pipeline first ({PIPELINE_HINT}), or point --home / $SEG_PIPELINE_HOME "
                         "at a data root that has one")
    return layout.warehouse


@contextlib.contextmanager
def read_only(layout: DataLayout) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection, or an ApplyError for a missing or locked warehouse."""
    warehouse = warehouse_or_error(layout)
    try:
        with connect(warehouse, read_only=True) as con:
            yield con
    except WarehouseBusyError as exc:
        raise ApplyError(f"the warehouse {warehouse} is locked by another process",
                         "wait for the running pipeline to finish or close other DuckDB sessions on it, "
                         "then retry") from exc


def pair_notes(ctx: PairContext, loaded: LoadedModel) -> list[str]:
    """Plain sentences for what the model could not know about this pair."""
    user, video = ctx.request.user_id, ctx.request.video_id
    notes = []
    if ctx.user_views == 0:
        notes.append(f"cold user: '{user}' has no logged views in this warehouse"
                     + (" and is not in the model's vocabulary" if loaded.uses_ids else "")
                     + "; history-free fallback: scored with no history"
                     + (" and the shared out-of-vocabulary user" if loaded.uses_ids else "")
                     + ", i.e. what the model expects of an unknown viewer of this video")
    elif ctx.history_tokens == 0:
        notes.append(f"no history: '{user}' has no logged views before {ctx.request.before_ms} ms; "
                     "history-free fallback: scored with no history")
    elif loaded.uses_ids and not ctx.user_in_vocab:
        notes.append(f"user '{user}' is not in the model's training vocabulary (first seen after training): the "
                     f"id modality uses the shared out-of-vocabulary user; {ctx.history_views} past views still count")
    if loaded.uses_ids and not ctx.video_in_vocab:
        notes.append(f"cold video: '{video}' had no training views, so the id modality uses the shared "
                     "out-of-vocabulary video" + ("; the visual modality still sees its frames"
                                                  if loaded.uses_vectors else ""))
    return notes


def _usable_vectors(con: duckdb.DuckDBPyConnection, loaded: LoadedModel):
    """The warehouse's segment vectors when the model uses them (and was trained on their encoder)."""
    if not loaded.uses_vectors:
        return None
    vectors = load_segment_vectors(con)
    if vectors is None:
        raise ApplyError(f"the '{loaded.modality}' model needs segment_embeddings, which this warehouse lacks",
                         "use --modality id, or materialise segment_embeddings")
    try:
        return check_vector_encoder(loaded.meta, vectors)
    except VectorMismatchError as exc:
        raise ApplyError(exc.problem, exc.fix) from exc


def score_requests(
    layout: DataLayout,
    requests: Sequence[PairRequest],
    loaded: Optional[LoadedModel] = None,
    modality: Optional[str] = None,
    run_id: Optional[str] = None,
    checkpoint: Optional[str] = None,
    device: str = "cpu",
) -> tuple[list[PairScore], list[Rejected], LoadedModel]:
    """Score every request whose video the warehouse knows; the rest come back as Rejected.

    Without `loaded`, the model is resolved (see seg_pipeline.apply.models) and loaded on `device`.
    """
    from seg_pipeline.model.batches import ViewTensors
    from seg_pipeline.model.predict import predict_tensors

    if loaded is None:  # resolve with the warehouse closed: MLflow lookups take seconds
        with read_only(layout) as con:
            trained = read_trained_models(con, best_seed_only=True)  # one per modality: the best seed on valid
        loaded = load_model_ref(resolve_model(layout, trained, modality, run_id, checkpoint), device)
    with read_only(layout) as con:
        facts = load_video_facts(con, [r.video_id for r in requests])
        rejected = [Rejected(r, f"unknown video '{r.video_id}': not in the warehouse's videos or interactions")
                    for r in requests if str(r.video_id) not in facts]
        kept = [r for r in requests if str(r.video_id) in facts]
        vectors = _usable_vectors(con, loaded)
        inputs, contexts = build_pair_inputs(con, kept, facts, loaded.vocab,
                                             loaded.model.config.max_history_tokens, vectors)

    if loaded.uses_vectors:
        without = [i for i, c in enumerate(contexts) if not c.video_has_vectors]
        rejected += [Rejected(kept[i], f"video '{kept[i].video_id}' has no segment embeddings, which the "
                                       f"'{loaded.modality}' model needs") for i in without]
        keep = np.array([c.video_has_vectors for c in contexts], dtype=bool)
        inputs = inputs.subset(keep) if len(contexts) else inputs
        contexts = [c for c in contexts if c.video_has_vectors]

    scores, interest = predict_tensors(loaded.model, ViewTensors(inputs, next(loaded.model.parameters()).device))
    n_seg = inputs.n_segments
    leave = leave_distribution(scores, n_seg) if len(contexts) else np.zeros((0, scores.shape[1]))
    watch = expected_watch_time_s(scores, n_seg, inputs.duration_ms) if len(contexts) else np.zeros(0)
    caveats = model_caveats(loaded)
    out = []
    for i, ctx in enumerate(contexts):
        n = int(n_seg[i])
        slots = scores[i, : n + 1].astype(np.float64)
        out.append(PairScore(
            user_id=str(ctx.request.user_id), video_id=str(ctx.request.video_id), view_id=ctx.request.view_id,
            before_ms=ctx.request.before_ms, video=ctx.video, interest=interest[i, :n].astype(np.float64),
            skip_scores=slots,
            leave_probability=leave[i, : n + 1], predicted_skip_slot=int(np.argmin(slots)),
            expected_watch_time_s=float(watch[i]), context=ctx, modality=loaded.modality,
            model_source=loaded.ref.source, mlflow_run_id=loaded.ref.mlflow_run_id,
            checkpoint=str(loaded.ref.checkpoint_path), notes=pair_notes(ctx, loaded), caveats=caveats,
        ))
    return out, rejected, loaded


def score_pair(
    layout: DataLayout,
    user_id: str,
    video_id: str,
    before_ms: Optional[int] = None,
    modality: Optional[str] = None,
    run_id: Optional[str] = None,
    checkpoint: Optional[str] = None,
    device: str = "cpu",
    require_known_user: bool = False,
) -> PairScore:
    """One pair, or an ApplyError naming the problem and the fix (unknown video, no model...).

    A user without logged views is scored history-free (the note says so) unless
    `require_known_user`, which makes it an error instead.
    """
    with read_only(layout) as con:  # a typo fails here, before any model is loaded
        known = load_video_facts(con, [str(video_id)])
    if str(video_id) not in known:
        raise ApplyError(f"unknown video '{video_id}': not in the warehouse's videos or interactions",
                         "check the id: `SELECT video_id FROM videos` (or interactions) in the warehouse")
    scored, rejected, _ = score_requests(layout, [PairRequest(str(user_id), str(video_id), before_ms)],
                                         modality=modality, run_id=run_id, checkpoint=checkpoint, device=device)
    if rejected:
        raise ApplyError(rejected[0].reason, "materialise segment_embeddings for this video, or use --modality id")
    result = scored[0]
    if require_known_user and result.context.user_views == 0:
        raise ApplyError(f"unknown user '{user_id}': no logged views in the warehouse",
                         "check the id, or drop --require-known-user to get the history-free fallback")
    return result
