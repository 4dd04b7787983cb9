"""The `seg-pipeline` CLI through `main(argv)` (and once as the installed console script) on the
shared tiny world: outputs, JSON, and every error path ending in one line and a non-zero status."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PIL import Image

from seg_pipeline.apply.edits import EditRule, low_interest_spans
from seg_pipeline.apply.scoring import score_pair
from seg_pipeline.cli import main
from seg_pipeline_tests.apply_helpers import apply_world, copy_without_models


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return apply_world(tmp_path_factory)


def run(capsys, world_or_root, *args):
    root = getattr(getattr(world_or_root, "layout", None), "root", world_or_root)
    status = main([*args, "--home", str(root)])
    out, err = capsys.readouterr()
    return status, out, err


def test_score_table_and_json_agree_with_the_python_function(world, capsys):
    status, out, err = run(capsys, world, "score", "--user", "u0000", "--video", "v00000")
    assert status == 0 and err == ""
    assert "user u0000 x video v00000" in out and "model: both" in out and "expected watch time" in out
    assert "predicted skip: " in out and "<- predicted" in out

    status, out, _ = run(capsys, world, "score", "--user", "u0000", "--video", "v00000", "--json", "--modality", "id")
    data = json.loads(out)
    expected = score_pair(world.layout, "u0000", "v00000", modality="id")
    assert status == 0 and data["model"]["modality"] == "id" and data["model"]["mlflow_run_id"] == world.run_ids["id"]
    np.testing.assert_allclose([s["interest"] for s in data["segments"]], expected.interest, atol=1e-6)
    np.testing.assert_allclose([s["skip_score"] for s in data["segments"]] + [data["end_slot"]["skip_score"]],
                               expected.skip_scores, atol=1e-6)
    assert data["predicted_skip_slot"] == expected.predicted_skip_slot
    assert data["expected_watch_time_s"] == pytest.approx(expected.expected_watch_time_s)
    assert data["fallback"] == "none" and data["history_views"] == expected.context.history_views


def test_explicit_checkpoint_and_run_id(world, capsys):
    by_file = json.loads(run(capsys, world, "score", "--user", "u0001", "--video", "v00002", "--json",
                             "--checkpoint", str(world.checkpoints["id"]))[1])
    by_run = json.loads(run(capsys, world, "score", "--user", "u0001", "--video", "v00002", "--json",
                            "--run-id", world.run_ids["id"])[1])
    assert by_file["model"]["source"].startswith("checkpoint file") and by_run["model"]["mlflow_run_id"] == world.run_ids["id"]
    assert [s["interest"] for s in by_file["segments"]] == [s["interest"] for s in by_run["segments"]]


def test_champion_by_default_latest_on_request(world, capsys):
    status, out, _ = run(capsys, world, "score", "--user", "u0000", "--video", "v00000", "--json")
    champion = json.loads(out)["model"]
    assert status == 0 and "models:/segment_interest_both@champion" in champion["source"]
    status, out, _ = run(capsys, world, "score", "--user", "u0000", "--video", "v00000", "--json", "--model", "latest")
    latest = json.loads(out)["model"]
    assert status == 0 and latest["source"].startswith("latest 'both' model")
    assert latest["mlflow_run_id"] == champion["mlflow_run_id"] == world.run_ids["both"]  # one training run so far
    with pytest.raises(SystemExit) as exc:  # one way to name the model at a time
        run(capsys, world, "score", "--user", "u0000", "--video", "v00000", "--model", "latest", "--run-id", "x")
    assert exc.value.code == 2 and "not allowed with" in capsys.readouterr().err


def test_cold_user_output_says_it_is_a_fallback(world, capsys):
    status, out, _ = run(capsys, world, "score", "--user", "stranger", "--video", "v00003")
    assert status == 0 and "[history-free fallback]" in out and "note: cold user: 'stranger'" in out
    data = json.loads(run(capsys, world, "score", "--user", "stranger", "--video", "v00003", "--json")[1])
    assert data["fallback"] == "history-free" and data["user_logged_views"] == 0


def test_thumbnail_writes_the_best_segments_frame(world, capsys, tmp_path):
    out_file = tmp_path / "thumb.png"
    status, out, _ = run(capsys, world, "thumbnail", "--user", "u0002", "--video", "v00005", "--out", str(out_file),
                         "--json")
    data = json.loads(out)
    assert status == 0 and data["thumbnail"]["path"] == str(out_file)
    best = int(np.argmax([s["interest"] for s in data["segments"]]))
    assert data["thumbnail"]["segment_idx"] == best
    with Image.open(out_file) as image:
        assert image.format == "PNG" and image.size == (160, 120)  # the demo world's frame size
    status, out, _ = run(capsys, world, "thumbnail", "--user", "u0002", "--video", "v00005", "--out",
                         str(tmp_path / "thumb.jpg"))
    assert status == 0 and f"wrote {tmp_path / 'thumb.jpg'}: segment {best}" in out


def test_suggest_edits_lists_the_rules_spans(world, capsys):
    status, out, _ = run(capsys, world, "suggest-edits", "--user", "u0000", "--video", "v00000", "--json",
                         "--low-quantile", "0.5")
    data = json.loads(out)
    scores = np.array([s["interest"] for s in data["segments"]])
    expected = low_interest_spans(scores, data["duration_s"], EditRule(low_quantile=0.5))
    assert status == 0 and data["rule"]["low_quantile"] == 0.5
    assert [(s["start_s"], s["end_s"]) for s in data["spans"]] == [(s.start_s, s.end_s) for s in expected]
    # The default rule (0.25 quantile) on the same scores: the table lists exactly its spans.
    default_spans = low_interest_spans(scores, data["duration_s"], EditRule())
    status, out, _ = run(capsys, world, "suggest-edits", "--user", "u0000", "--video", "v00000")
    cuts = [line for line in out.splitlines() if line.startswith("cut ")]
    assert status == 0 and "rule: score <= the 0.25 quantile" in out and "no low-interest" not in out
    assert default_spans and [c.split(" s (")[0] for c in cuts] == [
        f"cut {span.start_s:.1f}-{span.end_s:.1f}" for span in default_spans]


def _assert_one_line_error(status, out, err, *fragments):
    assert status == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("seg-pipeline ") and "Fix: " in err, err
    for fragment in fragments:
        assert fragment in err, err


def test_error_paths_end_in_one_line(world, capsys, tmp_path):
    _assert_one_line_error(*run(capsys, world, "score", "--user", "u0000", "--video", "nope"),
                           "unknown video 'nope'")
    _assert_one_line_error(*run(capsys, world, "score", "--user", "ghost", "--video", "v00000",
                                "--require-known-user"), "unknown user 'ghost'")
    _assert_one_line_error(*run(capsys, tmp_path / "nowhere", "score", "--user", "u0000", "--video", "v00000"),
                           "no warehouse at", "run the pipeline first")
    bare = copy_without_models(world, tmp_path / "bare")
    _assert_one_line_error(*run(capsys, bare.root, "score", "--user", "u0000", "--video", "v00000"),
                           "no trained segment-interest model", "materialise segment_interest_model")
    _assert_one_line_error(*run(capsys, world, "score", "--user", "u0000", "--video", "v00000",
                                "--modality", "visual"), "no 'visual' model was trained")
    _assert_one_line_error(*run(capsys, world, "score", "--user", "u0000", "--video", "v00000",
                                "--checkpoint", str(tmp_path / "missing.pt")), "does not exist")
    _assert_one_line_error(*run(capsys, world, "score", "--user", "u0000", "--video", "v00000",
                                "--run-id", "0123abc"), "no MLflow run '0123abc'")
    _assert_one_line_error(*run(capsys, world, "thumbnail", "--user", "u0000", "--video", "v00000",
                                "--out", str(tmp_path / "x.gif")), "cannot tell the image format")
    _assert_one_line_error(*run(capsys, world, "suggest-edits", "--user", "u0000", "--video", "v00000",
                                "--low-quantile", "0"), "'--low_quantile'")
    _assert_one_line_error(*run(capsys, world, "score", "--user", "u0000", "--video", "v00000",
                                "--device", "gpu"), "'--device'", "'gpu' is unknown")
    with pytest.raises(SystemExit) as usage:  # argparse: both model selectors at once
        main(["score", "--user", "u", "--video", "v", "--run-id", "r", "--checkpoint", "c"])
    assert usage.value.code == 2


HOLDER = textwrap.dedent("""
    import sys, duckdb
    con = duckdb.connect(sys.argv[1])  # a writer, as a running pipeline step would be
    print("holding", flush=True)
    sys.stdin.read()
    con.close()
""")


def test_busy_warehouse_is_a_clear_error(world, capsys):
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(world.layout.warehouse)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        _assert_one_line_error(*run(capsys, world, "score", "--user", "u0000", "--video", "v00000"),
                               "is locked by another process", "wait for the running pipeline")
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def test_console_script_is_installed(tmp_path):
    """The `seg-pipeline` entry point from pyproject.toml, run as users run it (an error path that
    needs no torch import, to keep it quick)."""
    script = os.path.join(os.path.dirname(sys.executable), "seg-pipeline")
    done = subprocess.run([script, "score", "--user", "u", "--video", "v", "--home", str(tmp_path / "none")],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 1 and done.stdout == "" and "no warehouse at" in done.stderr
