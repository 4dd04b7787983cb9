"""segment_embeddings on a real Ray runtime (no mocks): a local 2-CPU cluster and a two-node cluster on
this machine give the rows engine local gives; the default path needs no Ray at all.

Select them with `pytest -k ray`. Ray is an optional extra: without it the cluster tests skip
(.ci/run installs the extra, so they run there)."""
import sys

import duckdb
import numpy as np
import pytest
from dagster import DagsterInstance, materialize

from seg_pipeline.assets.videos.raw_videos import raw_videos
from seg_pipeline.assets.videos.segment_embeddings import every_segment_has_one_embedding, segment_embeddings
from seg_pipeline.assets.videos.video_segments import video_segments
from seg_pipeline.errors import ConfigError
from seg_pipeline.resources import DataHome, RunSettings, VideoSource
# Imported here, before any Ray thread runs: CPython 3.11.7 can fail compiling a module imported while
# other threads compile ("AST constructor recursion depth mismatch", seen once in this test).
from seg_pipeline_tests.ray_cluster import two_node_cluster

ROWS = ("SELECT video_id, segment_idx, embedding, model, weights, weights_fingerprint, frames_per_segment, "
        "content_hash FROM segment_embeddings ORDER BY video_id, segment_idx")


@pytest.fixture
def folder(make_video, tmp_path):
    make_video("v1.mp4", 12.3)
    make_video("v2.mp4", 5.0)
    make_video("v3.mp4", 7.0, size=(96, 64))
    make_video("lost.mp4", 6.0)
    return tmp_path / "videos"


def _run(folder, selection, engine="local", **ray):
    resources = {"home": DataHome(), "video_source": VideoSource(video_dir=str(folder)),
                 "run_settings": RunSettings(device="cpu")}
    ops = {}
    if video_segments in selection:
        ops["video_segments"] = {"config": {"frames_per_segment": 2}}
    if segment_embeddings in selection:
        ops["segment_embeddings"] = {"config": {"engine": engine, "ray": ray}}
    return materialize(selection, resources=resources, instance=DagsterInstance.ephemeral(),
                       run_config={"ops": ops})


def _metadata(result):
    events = [e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == "segment_embeddings"]
    return {k: v.value for k, v in events[-1].materialization.metadata.items()}


def _rows(data_home):
    with duckdb.connect(str(data_home.warehouse), read_only=True) as con:
        rows = con.execute(ROWS).fetchall()
        errors = con.execute("SELECT video_id, kind FROM video_errors WHERE stage = 'segment_embeddings'").fetchall()
    return rows, errors


def _assert_same_rows(a, b):
    assert [r[:2] + r[3:] for r in a] == [r[:2] + r[3:] for r in b]
    np.testing.assert_allclose(np.array([r[2] for r in a]), np.array([r[2] for r in b]), rtol=0, atol=1e-6)


@pytest.fixture
def planned(data_home, folder):
    """Videos and segments (k = 2) in the warehouse, one video lost before embedding, then engine local."""
    assert _run(folder, [raw_videos, video_segments]).success
    (folder / "lost.mp4").unlink()
    local = _run(folder, [segment_embeddings, every_segment_has_one_embedding])
    assert local.success and _metadata(local)["errors"] == 1
    return _rows(data_home)


def test_ray_two_node_cluster_joined_through_address_gives_the_local_rows(data_home, folder, planned, monkeypatch):
    pytest.importorskip("ray")
    # First of the cluster tests on purpose: run after another Ray session in the same process, this
    # test twice saw its actors cancelled before starting (ActorDiedError); not root-caused.
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")  # the test cluster runs without token auth
    with two_node_cluster(cpus_per_node=1) as cluster:
        # host:port: a driver on a machine of the cluster. The ray:// (Ray Client) path is not here: its
        # per-client server (ports from 23000) failed to start in 1 of 3 tries on this shared machine.
        for address in (cluster.address,):
            for f in data_home.embedding_cache_dir.rglob("*.parquet"):
                f.unlink()
            result = _run(folder, [segment_embeddings, every_segment_has_one_embedding], "ray",
                          address=address, workers=2, cpus_per_worker=1, videos_per_task=1)
            meta = _metadata(result)
            assert result.success and all(c.passed for c in result.get_asset_check_evaluations())
            # One CPU per node and one per actor: the two actors run on the two nodes.
            assert (meta["ray_nodes"], meta["ray_nodes_used"], meta["ray_address"]) == (2, 2, address)
            assert (meta["cache_misses"], meta["embedded_videos"], meta["errors"]) == (4, 3, 1)
            rows, errors = _rows(data_home)
            _assert_same_rows(rows, planned[0])
            assert errors == planned[1]


def test_ray_local_cluster_gives_the_local_rows_and_a_rerun_embeds_only_what_is_missing(data_home, folder, planned):
    pytest.importorskip("ray")
    files = sorted(data_home.embedding_cache_dir.rglob("*.parquet"))
    stamps = [f.stat().st_mtime_ns for f in files]
    result = _run(folder, [segment_embeddings, every_segment_has_one_embedding], "ray",
                  address="local", local_cpus=2, workers=2, videos_per_task=1)
    # use_cache stays true: every finished video is a hit, the lost one is retried and rejected again.
    meta = _metadata(result)
    assert result.success and all(c.passed for c in result.get_asset_check_evaluations())
    assert (meta["engine"], meta["ray_nodes"], meta["ray_cluster_cpus"]) == ("ray", 1, 2.0)
    assert (meta["cache_hits"], meta["cache_misses"], meta["embedded_videos"], meta["errors"]) == (3, 1, 0, 1)
    assert _rows(data_home) == planned

    # Lose two cache files: the Ray workers write exactly those again, the others stay untouched.
    for f in files[:2]:
        f.unlink()
    result = _run(folder, [segment_embeddings, every_segment_has_one_embedding], "ray",
                  address="local", local_cpus=2, workers=2, videos_per_task=1)
    meta = _metadata(result)
    assert (meta["cache_hits"], meta["cache_misses"], meta["embedded_videos"], meta["errors"]) == (1, 3, 2, 1)
    assert meta["ray_workers"] == 2 and meta["device"] == "ray workers (cpu)"
    assert [f.stat().st_mtime_ns for f in files[2:]] == stamps[2:]
    rows, errors = _rows(data_home)
    _assert_same_rows(rows, planned[0])
    assert errors == planned[1] == [("lost", "decode_failed")]


def test_ray_engine_without_ray_installed_says_how_to_install_and_local_needs_no_ray(data_home, folder, monkeypatch):
    # None in sys.modules makes `import ray` fail as if the package were absent.
    monkeypatch.setitem(sys.modules, "ray", None)
    monkeypatch.setitem(sys.modules, "ray.data", None)
    assert _run(folder, [raw_videos, video_segments]).success
    with pytest.raises(ConfigError, match=r'segment_embeddings.config.engine.*pip install -e "\.\[ray\]"'):
        _run(folder, [segment_embeddings], "ray")
    assert _run(folder, [segment_embeddings]).success


def test_ray_settings_are_checked_before_any_cluster_starts(data_home, folder):
    assert _run(folder, [raw_videos, video_segments]).success
    with pytest.raises(Exception, match="workers"):
        _run(folder, [segment_embeddings], "ray", workers=0)
    with pytest.raises(Exception, match="engine"):
        materialize([segment_embeddings], instance=DagsterInstance.ephemeral(),
                    resources={"home": DataHome(), "video_source": VideoSource(video_dir=str(folder)),
                               "run_settings": RunSettings(device="cpu")},
                    run_config={"ops": {"segment_embeddings": {"config": {"engine": "spark"}}}})


def test_ray_is_not_imported_by_the_default_path():
    import subprocess

    code = ("import sys; import seg_pipeline.definitions, seg_pipeline.features.engine; "
            "print('ray' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
