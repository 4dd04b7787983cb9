"""What a platform team turns on: a sensor on the data sources and declarative automation.

Both are off by default (DefaultSensorStatus.STOPPED); turn them on in the UI (Automation tab) or
with `dagster sensor start`.

* `source_files_sensor` lists the configured video folder (files with video_source.extensions,
  top level) and the interaction log (log_source.path), each file as (name, size, mtime). When
  the listing of the videos changes it requests raw_videos and everything downstream; when the
  log changes, interactions and everything downstream; both at once, one run of the union. The
  cursor keeps a digest of each listing. The demo world's sources are not watched (demo_world is
  an asset: materialise it). On its first tick the sensor takes the listing as its baseline and
  requests a run only for a source whose first asset was never materialised.
* `keep_fresh` is an automation-condition sensor over every asset downstream of the sources: each
  carries AutomationCondition.eager() | code_version_changed(), so it is brought up to date when
  an upstream asset was updated or it is missing, and rebuilt when its code version (seg_pipeline
  .code_version) changes.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Optional

from dagster import (
    AssetKey,
    AssetSelection,
    AutomationCondition,
    AutomationConditionSensorDefinition,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from seg_pipeline.resources import LogSource, VideoSource

VIDEO_ROOT, LOG_ROOT = "raw_videos", "interactions"
SOURCE_ASSETS = ("demo_world", VIDEO_ROOT, LOG_ROOT)  # started by the sensor (or by hand), not by automation
SENSOR_INTERVAL_S = 60
AUTOMATION_INTERVAL_S = 60

FRESH = AutomationCondition.eager() | AutomationCondition.code_version_changed()
affected_by_videos = AssetSelection.assets(VIDEO_ROOT).downstream()
affected_by_logs = AssetSelection.assets(LOG_ROOT).downstream()
kept_fresh = AssetSelection.all() - AssetSelection.assets(*SOURCE_ASSETS)


def listing_digest(files: list[tuple[str, int, int]]) -> str:
    """A digest of (name, size, mtime_ns) triples; "" when there are none."""
    if not files:
        return ""
    return hashlib.sha256(json.dumps(sorted(files)).encode()).hexdigest()[:16]


def video_files(video_source: VideoSource) -> Optional[list[tuple[str, int, int]]]:
    """The configured folder's video files, or None when video_source is off or the demo world."""
    if not video_source.enabled or video_source.uses_demo:
        return None
    folder = Path(os.path.expandvars(video_source.video_dir)).expanduser()
    if not folder.is_dir():
        return []
    suffixes = {e.lower() for e in video_source.extensions}
    return [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.iterdir())
            if p.is_file() and p.suffix.lower() in suffixes]


def log_files(log_source: LogSource) -> Optional[list[tuple[str, int, int]]]:
    """The configured log file (relative paths as interactions resolves them), or None for the demo log."""
    if log_source.uses_demo:
        return None
    from seg_pipeline.warehouse.logs import REPO_ROOT

    given = Path(os.path.expanduser(log_source.path))
    for candidate in ([given] if given.is_absolute() else [Path.cwd() / given, REPO_ROOT / given]):
        if candidate.is_file():
            stat = candidate.stat()
            return [(str(candidate.resolve()), stat.st_size, stat.st_mtime_ns)]
    return []


def _never_materialised(context: SensorEvaluationContext, asset: str) -> bool:
    return context.instance.get_latest_materialization_event(AssetKey(asset)) is None


@sensor(
    name="source_files_sensor",
    target=affected_by_videos | affected_by_logs,
    minimum_interval_seconds=SENSOR_INTERVAL_S,
    default_status=DefaultSensorStatus.STOPPED,
    description="New or changed files in video_source.video_dir or at log_source.path: runs raw_videos "
                "(videos) and/or interactions (log) with everything downstream. Off by default.",
)
def source_files_sensor(context: SensorEvaluationContext, video_source: VideoSource, log_source: LogSource):
    listings = {VIDEO_ROOT: video_files(video_source), LOG_ROOT: log_files(log_source)}
    watched = {root: listing_digest(files) for root, files in listings.items() if files is not None}
    if not watched:
        return SkipReason("video_source and log_source are the demo world: nothing to watch "
                          "(materialise demo_world instead)")
    previous = json.loads(context.cursor) if context.cursor else None
    if previous is None:  # first tick: baseline, unless a source's first asset never ran
        changed = [root for root, digest in watched.items() if digest and _never_materialised(context, root)]
    else:
        changed = [root for root, digest in watched.items() if digest and previous.get(root) != digest]
    cursor = json.dumps(watched, sort_keys=True)
    if not changed:
        return SensorResult(skip_reason=SkipReason(f"no new or changed source files ({', '.join(watched)})"),
                            cursor=cursor)
    selection = AssetSelection.assets(*changed).downstream()
    keys = sorted(selection.resolve(context.repository_def.asset_graph), key=lambda k: k.to_user_string()) \
        if context.repository_def is not None else [AssetKey(root) for root in changed]
    run = RunRequest(run_key=f"{'+'.join(changed)}:{':'.join(watched[r] for r in changed)}",
                     asset_selection=keys,
                     tags={"seg_pipeline/trigger": "source_files_sensor", "seg_pipeline/changed": ",".join(changed)})
    return SensorResult(run_requests=[run], cursor=cursor)


keep_fresh = AutomationConditionSensorDefinition(
    "keep_fresh",
    target=kept_fresh,
    minimum_interval_seconds=AUTOMATION_INTERVAL_S,
    default_status=DefaultSensorStatus.STOPPED,
    description="Declarative automation: rebuilds an asset when something upstream was updated, when it "
                "is missing, or when its code version changed. Off by default.",
)
