"""The `demo_world` asset, materialised by Dagster in a temporary instance on a real data root."""
from __future__ import annotations

import pytest
from dagster import DagsterInstance, materialize

from seg_pipeline.assets.demo.world import demo_world, demo_world_files_consistent
from seg_pipeline.resources import DataHome, LogSource, MlflowTracking, VideoSource

SMALL = {"size": "tiny", "n_videos": 4, "n_users": 3, "views_per_user": 5}


def run(home, video_dir="demo", log_path="demo", **config):
    resources = {
        "home": DataHome(root=str(home.root)),
        "video_source": VideoSource(video_dir=video_dir),
        "log_source": LogSource(path=log_path),
        "tracking": MlflowTracking(root=str(home.root)),
    }
    result = materialize(
        [demo_world, demo_world_files_consistent],
        resources=resources,
        run_config={"ops": {"demo_world": {"config": {**SMALL, **config}}}},
        instance=DagsterInstance.ephemeral(),
    )
    assert result.success
    (materialization,) = result.asset_materializations_for_node("demo_world")
    checks = result.get_asset_check_evaluations()
    assert [c.passed for c in checks] == [True]
    return {k: v.value for k, v in materialization.metadata.items()}


def test_materialises_then_reuses_then_regenerates(data_home):
    first = run(data_home)
    assert first["action"] == "written"
    assert first["videos"] == 4 and first["users"] == 3
    assert first["injected_bad_videos"] == 5 and first["injected_bad_log_rows"] == 5
    assert 0.0 <= first["full_watch_share"] <= 1.0
    assert (data_home.demo_videos_dir / "v00003.mp4").is_file()

    again = run(data_home)
    assert again["action"].startswith("reused") and again["fingerprint"] == first["fingerprint"]

    changed = run(data_home, seed=1)
    assert changed["action"] == "written" and changed["fingerprint"] != first["fingerprint"]


def test_does_nothing_when_the_run_does_not_use_the_demo(data_home, tmp_path):
    meta = run(data_home, video_dir="none", log_path=str(tmp_path / "real_log.csv"))
    assert meta["demo_used"] is False
    assert not data_home.demo_dir.exists()


def test_bad_config_fails_naming_the_field(data_home):
    with pytest.raises(Exception, match="ops.demo_world.config.size"):
        run(data_home, size="enormous")
