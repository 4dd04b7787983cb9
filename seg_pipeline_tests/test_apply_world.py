"""Scoring (user, video) pairs, thumbnails and editing suggestions on a tiny real world: real mp4
files, DuckDB, trained checkpoints, MLflow store and Dagster materialize (see apply_helpers.py)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb
import numpy as np
import pytest
from dagster import DagsterInstance, materialize
from PIL import Image

from seg_pipeline.apply.batch import BatchResult, BatchScores, batch_requests, rejected_frame, write_batch
from seg_pipeline.apply.edits import EditRule, low_interest_spans, suggestion_rows
from seg_pipeline.apply.errors import ApplyError
from seg_pipeline.apply.models import resolve_model
from seg_pipeline.apply.pairs import PairRequest
from seg_pipeline.apply.scoring import score_pair, score_requests
from seg_pipeline.apply.thumbnails import thumbnail_rows
from seg_pipeline.assets.downstream.editing import editing_spans_within_video, editing_suggestions
from seg_pipeline.assets.downstream.thumbnails import user_thumbnail_files_match, user_thumbnails
from seg_pipeline.model.config import ModelConfig
from seg_pipeline.model.predict import score_views
from seg_pipeline.resources import DataHome, VideoSource
from seg_pipeline.warehouse.db import connect
from seg_pipeline.warehouse.tables import read_history_length, read_trained_models
from seg_pipeline_tests.apply_helpers import apply_world, copy_without_models

ASSETS = [user_thumbnails, editing_suggestions, user_thumbnail_files_match, editing_spans_within_video]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return apply_world(tmp_path_factory)


def _query(world, sql, params=None):
    with connect(world.layout.warehouse, read_only=True) as con:
        return con.execute(sql, params or {}).df()


def _materialize(world, run_config=None, **resources):
    result = materialize(ASSETS, resources=world.resources(**resources), run_config=run_config or {},
                         instance=DagsterInstance.ephemeral(), raise_on_error=False)
    assert result.success
    return result


def _metadata(result, name):
    return {k: v.value for k, v in result.asset_materializations_for_node(name)[0].metadata.items()}


@pytest.mark.parametrize("modality", ["id", "both"])
@pytest.mark.parametrize("as_logged_view", [True, False], ids=["batch", "one_off"])
def test_pair_scores_equal_the_models_own_view_scores(world, modality, as_logged_view):
    """A logged view scored in a batch (its view_id given) and the same (user, video) asked one-off at
    the view's time (no view_id: the history is assembled from the moment) both get exactly the
    scores score_views gives that view with the training inputs."""
    views = _query(world, "SELECT l.view_id, l.user_id, l.video_id, l.time_ms FROM splits JOIN skip_labels l "
                          "USING (view_id) ORDER BY view_id")
    requests = [PairRequest(r.user_id, r.video_id, int(r.time_ms), int(r.view_id) if as_logged_view else None)
                for r in views.itertuples()]
    scored, rejected, loaded = score_requests(world.layout, requests, modality=modality)
    assert not rejected and len(scored) == len(views) and loaded.modality == modality
    reference = score_views(world.checkpoints[modality], world.layout.warehouse, split=["train", "valid", "test"])
    row = {int(v): i for i, v in enumerate(reference.view_ids)}
    for view_id, s in zip(views.view_id, scored):
        np.testing.assert_allclose(s.interest, reference.interest[row[view_id], : s.n_segments], atol=1e-5)
        np.testing.assert_allclose(s.skip_scores, reference.scores[row[view_id], : s.n_segments + 1], atol=1e-5)
    # Someone in the world has a history longer than the model's 16 tokens, so the cut-off was exercised.
    assert max(s.context.history_tokens for s in scored) == 16


def test_score_now_uses_the_latest_h_views(world):
    """H is the history length user_histories was built with (history_settings), not a setting of its own."""
    with connect(world.layout.warehouse, read_only=True) as con:
        history_length = read_history_length(con)
    user = _query(world, "SELECT user_id FROM skip_labels GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").user_id[0]
    last = _query(world, "SELECT watched_segments FROM skip_labels WHERE user_id = $u "
                         "ORDER BY time_ms DESC, view_id DESC LIMIT $h", {"u": user, "h": history_length})
    result = score_pair(world.layout, user, "v00000")
    assert history_length == 20 and result.context.history_views == len(last) == 20
    assert result.context.history_tokens == min(16, int(last.watched_segments.clip(upper=40).sum()))
    assert result.modality == "both" and result.mlflow_run_id == world.run_ids["both"]  # auto: both first
    assert result.fallback == "none" and result.notes == []
    # Outputs flag a model trained with the intra-video loss (eq. 8) and say nothing for other losses.
    if ModelConfig().loss == "intra_video":
        assert len(result.caveats) == 1 and "intra-video loss" in result.caveats[0]
    else:
        assert result.caveats == []


def test_skip_slot_and_watch_time_follow_the_scores(world):
    result = score_pair(world.layout, "u0000", "v00000", modality="id")
    slots = result.skip_scores
    assert slots.shape == (result.n_segments + 1,) and result.end_slot_score == slots[-1]
    assert result.predicted_skip_slot == int(np.argmin(slots))
    # SPEC 4 by hand: P(leave) = softmax(-score) over slots 0..N; times 5(i + 0.5) capped, end = duration.
    p = np.exp(-slots) / np.exp(-slots).sum()
    duration = result.video.duration_s
    times = [min(5 * (i + 0.5), duration) for i in range(result.n_segments)] + [duration]
    np.testing.assert_allclose(result.leave_probability, p, rtol=1e-6)
    assert result.expected_watch_time_s == pytest.approx(float(p @ times), rel=1e-6)
    assert result.to_dict()["segments"][-1]["end_s"] == duration


def test_cold_user_gets_a_history_free_prediction_that_says_so(world):
    ghost = score_pair(world.layout, "ghost", "v00001")
    other = score_pair(world.layout, "another_ghost", "v00001")
    assert ghost.fallback == "history-free" and ghost.context.history_tokens == 0
    assert not ghost.context.user_in_vocab and ghost.context.user_views == 0
    assert any(n.startswith("cold user: 'ghost' has no logged views") and "history-free fallback" in n
               for n in ghost.notes)
    # Two unknown users are the same out-of-vocabulary viewer with no history: same scores.
    np.testing.assert_allclose(ghost.interest, other.interest)
    assert np.isfinite(ghost.interest).all()
    # A known user asked about a time before their first view: also history-free, a different note.
    early = score_pair(world.layout, "u0000", "v00001", before_ms=-1)
    assert early.fallback == "history-free" and early.notes[0].startswith("no history")
    with pytest.raises(ApplyError, match="unknown user 'ghost'"):
        score_pair(world.layout, "ghost", "v00001", require_known_user=True)


def test_errors_name_the_problem_and_the_fix(world, tmp_path):
    with pytest.raises(ApplyError, match=r"unknown video 'nope'.*Fix: check the id"):
        score_pair(world.layout, "u0000", "nope")
    with pytest.raises(ApplyError, match=r"no 'visual' model was trained \(trained: both, id\).*--modality both"):
        score_pair(world.layout, "u0000", "v00000", modality="visual")
    bare = copy_without_models(world, tmp_path / "bare")
    with pytest.raises(ApplyError, match="no trained segment-interest model.*Fix: materialise segment_interest_model"):
        score_pair(bare, "u0000", "v00000")


def test_run_id_resolves_through_mlflow_when_the_warehouse_forgot_it(world, tmp_path):
    home = copy_without_models(world, tmp_path / "mlflow_only", keep_mlflow=True)
    result = score_pair(home, "u0000", "v00000", run_id=world.run_ids["id"])
    expected = score_pair(world.layout, "u0000", "v00000", modality="id")
    assert result.modality == "id" and result.model_source.startswith(f"MLflow run {world.run_ids['id']} artifact")
    np.testing.assert_allclose(result.interest, expected.interest, atol=1e-6)
    with pytest.raises(ApplyError, match="no MLflow run 'feedface'"):
        score_pair(home, "u0000", "v00000", run_id="feedface")


def test_registered_champion_is_the_default_and_latest_an_option(world, tmp_path):
    import mlflow

    from seg_pipeline.apply.models import LATEST
    from seg_pipeline.resources import MlflowTracking

    home = copy_without_models(world, tmp_path / "mlflow_only", keep_mlflow=True)
    ref = resolve_model(home, read_trained_models_of(home))
    assert (ref.modality, ref.mlflow_run_id) == ("both", world.run_ids["both"])  # from MLflow alone
    assert "models:/segment_interest_both@champion" in ref.source and "artifact model/best.pt" in ref.source
    assert ref.checkpoint_path.is_file()
    with MlflowTracking(root=str(home.root)).start_run(
            "segment_interest_id", tags={"stage": "segment_interest_model", "modality": "id"}) as run:
        mlflow.log_artifact(str(world.checkpoints["id"]), artifact_path="model")
    champion = resolve_model(home, read_trained_models_of(home), modality="id")
    assert champion.mlflow_run_id == world.run_ids["id"]  # a newer run is not registered: the champion stays
    newer = resolve_model(home, read_trained_models_of(home), modality="id", run_id=LATEST)
    assert newer.mlflow_run_id == run.info.run_id != world.run_ids["id"] and "latest 'id'" in newer.source
    # With trained_models present, the run it lists is used through its checkpoint file.
    listed = resolve_model(world.layout, read_trained_models_of(world.layout), modality="id")
    assert listed.checkpoint_path == world.checkpoints["id"] and listed.mlflow_run_id == world.run_ids["id"]


def read_trained_models_of(layout):
    with connect(layout.warehouse, read_only=True) as con:
        return read_trained_models(con)


def test_batch_assets_write_thumbnails_and_suggestions(world):
    batch = {"split": "valid", "max_pairs": 5}
    run_config = {"ops": {"user_thumbnails": {"config": {**batch, "image_format": "png"}},
                          "editing_suggestions": {"config": {**batch, "low_quantile": 0.5}}}}
    result = _materialize(world, run_config)
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {"user_thumbnail_files_match": True, "editing_spans_within_video": True}

    with connect(world.layout.warehouse, read_only=True) as con:
        requests = batch_requests(con, "valid", 5)
        thumbs = con.execute("SELECT * FROM user_thumbnails ORDER BY view_id").df()
        rejected = con.execute("SELECT * FROM user_thumbnails_rejected").df()
        edits = con.execute("SELECT * FROM editing_suggestions ORDER BY view_id, span_idx").df()
    assert len(requests) == 5 and len(thumbs) == 5 and rejected.empty
    scored, _, _ = score_requests(world.layout, requests)
    by_view = {s.view_id: s for s in scored}
    for row in thumbs.itertuples():
        s = by_view[row.view_id]
        # batch vs one-pair scoring pad histories differently: float32 noise, not a different score
        assert row.segment_idx == int(np.argmax(s.interest)) and row.score == pytest.approx(s.interest.max(), abs=1e-5)
        assert row.start_s <= row.frame_index / s.video.fps < row.end_s
        with Image.open(row.path) as image:
            assert image.format == "PNG" and image.size == (row.width, row.height)
    expected = [(s.view_id, span.start_s, span.end_s)
                for s in scored for span in low_interest_spans(s.interest, s.video.duration_s, EditRule(0.5))]
    assert list(zip(edits.view_id, edits.start_s, edits.end_s)) == expected
    assert (edits.low_quantile == 0.5).all()

    meta = _metadata(result, "user_thumbnails")
    assert meta["thumbnails_written"] == 5 and meta["pairs_requested"] == 5 and meta["pairs_rejected"] == 0
    assert meta["dagster/row_count"] == 5 and meta["rejected_row_count"] == 0
    assert meta["preview"].count("](data:image/jpeg;base64,") == 4  # at most four inline previews
    assert meta["modality"] == "both" and meta["mlflow_run_id"] == world.run_ids["both"]
    assert _metadata(result, "editing_suggestions")["spans"] == len(edits)


def test_pairs_without_a_usable_file_are_rejected_with_a_reason(world, tmp_path):
    with connect(world.layout.warehouse, read_only=True) as con:
        requests = batch_requests(con, "valid", 2)
    scored, _, _ = score_requests(world.layout, requests, modality="id")
    gone = dataclasses.replace(scored[0], video=dataclasses.replace(scored[0].video, path=str(tmp_path / "gone.mp4")))
    no_file = dataclasses.replace(scored[1], video=dataclasses.replace(scored[1].video, path=None))
    rows, rejected = thumbnail_rows([gone, no_file], tmp_path / "thumbs")
    assert rows.empty and [r.request.view_id for r in rejected] == [requests[0].view_id, requests[1].view_id]
    assert "gone.mp4 is missing" in rejected[0].reason and "has no readable file" in rejected[1].reason
    frame = rejected_frame(rejected)
    assert list(frame.columns) == ["view_id", "user_id", "video_id", "reason"] and len(frame) == 2


def test_checks_catch_broken_rows(world, tmp_path):
    home = DataHome(root=str(copy_without_models(world, tmp_path / "tampered").root))
    with connect(world.layout.warehouse, read_only=True) as con:
        requests = batch_requests(con, "valid", 3)
    scored, _, _ = score_requests(world.layout, requests, modality="id")
    scores = BatchScores(len(requests), scored, [], None)
    rows, _ = thumbnail_rows(scored, tmp_path / "thumbs")
    rule = EditRule(low_quantile=1.0)
    edits = suggestion_rows(scored, rule)
    with connect(home.layout.warehouse) as con:
        write_batch(con, "user_thumbnails", BatchResult(scores, rows, rejected_frame([])))
        write_batch(con, "editing_suggestions", BatchResult(scores, edits, rejected_frame([])), rule.params())
    assert user_thumbnail_files_match(home=home).passed and editing_spans_within_video(home=home).passed

    Path(rows.path[0]).unlink()  # a listed file is gone
    with connect(home.layout.warehouse) as con:
        con.execute("UPDATE user_thumbnails SET frame_index = frame_index + 100 WHERE view_id = $v",
                    {"v": int(rows.view_id[1])})  # a frame far outside its segment
        con.execute("UPDATE editing_suggestions SET end_s = duration_s + 1 WHERE view_id = $v",
                    {"v": int(edits.view_id[0])})
    thumbs = user_thumbnail_files_match(home=home)
    assert not thumbs.passed and len(thumbs.metadata["problems"].value) == 2
    spans = editing_spans_within_video(home=home)
    assert not spans.passed and spans.metadata["bad_spans"].value >= 1


def test_thumbnails_without_videos_or_model_materialise_with_a_note(world, tmp_path):
    result = _materialize(world, video_source=VideoSource(video_dir="none"))
    meta = _metadata(result, "user_thumbnails")
    assert meta["thumbnails_written"] == 0 and "no videos in this run" in meta["note"]
    assert not list((world.layout.outputs_dir / "thumbnails").glob("*"))
    with duckdb.connect(str(world.layout.warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM user_thumbnails").fetchone()[0] == 0

    bare = copy_without_models(world, tmp_path / "bare")
    result = materialize(ASSETS, resources=world.resources(home=DataHome(root=str(bare.root))),
                         instance=DagsterInstance.ephemeral())
    assert result.success
    assert "no trained segment-interest model" in _metadata(result, "editing_suggestions")["note"]
    assert _metadata(result, "user_thumbnails")["pairs_scored"] == 0


def test_batch_config_is_checked_when_the_run_is_launched(world):
    from dagster import DagsterInvalidConfigError

    with pytest.raises(DagsterInvalidConfigError):  # not a split: refused before any step runs
        materialize([editing_suggestions], resources=world.resources(), instance=DagsterInstance.ephemeral(),
                    run_config={"ops": {"editing_suggestions": {"config": {"split": "holdout"}}}})


def test_vectors_from_another_encoder_are_refused(world):
    """One encoder check (model.inputs.check_vector_encoder) guards one-off scoring as it guards score_views."""
    from seg_pipeline.apply.models import load_model_ref

    loaded = load_model_ref(resolve_model(world.layout, read_trained_models_of(world.layout), modality="both"))
    loaded.meta["vector_model"] = "ViT-L-14"
    with pytest.raises(ApplyError, match=r"segment vectors come from .* trained on ViT-L-14/.*Fix: re-materialise"):
        score_requests(world.layout, [PairRequest("u0000", "v00000")], loaded=loaded)
