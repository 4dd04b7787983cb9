"""The embedding stage on a Ray cluster: Ray Data `map_batches` over a pool of encoder actors.

Why: decoding and encoding are independent per video, so one machine is the only limit of the
local path. Each actor loads the encoder once (on a GPU when Ray gives it one), decodes its batch
of videos with the same reader as the local path, and writes the same content-addressed Parquet
cache files (temp file + rename); workers never open the DuckDB file. The driver plans what is
missing (`cached_run.plan_run`), collects one status row per video, and the asset registers the
files in the warehouse. A worker that dies loses only its batch: Ray restarts the actor and
retries the batch, whose finished videos are already on disk and are skipped.

Ray is an optional extra (`pip install -e ".[ray]"`): it is imported only here, only when asked.
"""
from __future__ import annotations

import contextlib
import logging
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterator

import pyarrow as pa

from seg_pipeline.errors import ConfigError
from seg_pipeline.features.cache import cache_path, read_cached_segments, write_cached
from seg_pipeline.features.cached_run import EmbeddingRun, plan_run
from seg_pipeline.features.embed import EmbedStats, VideoJob, embed_videos
from seg_pipeline.features.encoder import EncoderSettings, ImageEncoder, load_encoder
from seg_pipeline.progress import Progress

FIELD = "segment_embeddings.config.ray"
INSTALL_HINT = 'install the extra: pip install -e ".[ray]" (or pip install "ray[data]")'
# The pool starts work only once every actor is up (so work spreads over the nodes), and fails
# clearly instead of waiting forever when the cluster cannot host that many actors.
ACTOR_START_TIMEOUT_S = 600
IN_FLIGHT_PER_ACTOR = 2  # one batch running, one queued: a dying worker loses at most these


@dataclass(frozen=True)
class RaySettings:
    """address: "local" starts a Ray cluster on this machine for the run (sized to it unless
    local_cpus is set) and stops it afterwards; "auto" joins the cluster `ray start` made here or
    $RAY_ADDRESS; "host:port" or "ray://host:port" joins that cluster."""

    address: str = "local"
    workers: int = 2  # encoder actors
    num_gpus: float = 0.0  # per actor; > 0 runs the encoder on the GPU Ray assigns (float16)
    cpus_per_worker: float = 1.0
    videos_per_task: int = 8  # videos per map_batches call (a dying worker redoes at most 2 such batches)
    local_cpus: int = 0  # CPUs of the cluster address "local" starts (0 = all of this machine's)


def import_ray():
    """The ray module, or a ConfigError saying how to install it."""
    try:
        import ray
        import ray.data  # noqa: F401  (Ray Data comes with the "data" extra of ray)
    except ImportError as exc:
        raise ConfigError("segment_embeddings.config.engine", f"engine 'ray' needs Ray Data, which is not "
                          f"installed ({exc})", INSTALL_HINT) from exc
    return ray


def check_settings(settings: RaySettings) -> None:
    """Bad values fail before any cluster starts, naming the field."""
    if settings.workers < 1:
        raise ConfigError(f"{FIELD}.workers", f"must be >= 1, got {settings.workers}", "use e.g. 2")
    if settings.num_gpus < 0 or settings.cpus_per_worker < 0:
        raise ConfigError(f"{FIELD}.num_gpus", "num_gpus and cpus_per_worker must be >= 0", "use e.g. 1 and 1")
    if settings.videos_per_task < 1:
        raise ConfigError(f"{FIELD}.videos_per_task", f"must be >= 1, got {settings.videos_per_task}", "use e.g. 8")
    if not settings.address.strip():
        raise ConfigError(f"{FIELD}.address", "is empty", "use 'local', 'auto', 'host:port' or 'ray://host:port'")


@contextlib.contextmanager
def ray_session(settings: RaySettings, log: Callable[[str], None]) -> Iterator[dict]:
    """Connected to the cluster the settings name for the block; yields facts about the cluster.

    A session this call opened is closed afterwards (address "local": the cluster stops too);
    one the caller already holds (ray.init done before) is left as it was.
    """
    ray = import_ray()
    started = time.perf_counter()
    owned = not ray.is_initialized()
    if owned:
        kwargs = {"logging_level": logging.WARNING, "log_to_driver": True}
        if settings.address == "local":
            kwargs.update(num_cpus=settings.local_cpus or None, include_dashboard=False)
        try:
            ray.init(address=settings.address, **kwargs)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ConfigError(f"{FIELD}.address", f"could not reach a Ray cluster at {settings.address!r}: "
                              f"{str(exc)[:300]}", "start one (ray start --head) or use address 'local'") from exc
    resources = ray.cluster_resources()
    facts = {"engine": "ray", "ray_address": settings.address, "ray_nodes": len([n for n in ray.nodes() if n["Alive"]]),
             "ray_cluster_cpus": resources.get("CPU", 0), "ray_cluster_gpus": resources.get("GPU", 0),
             "ray_connect_seconds": round(time.perf_counter() - started, 3)}
    log(f"Ray cluster at {settings.address!r}: {facts['ray_nodes']} nodes, {facts['ray_cluster_cpus']:g} CPUs, "
        f"{facts['ray_cluster_gpus']:g} GPUs")
    try:
        yield facts
    finally:
        if owned:
            ray.shutdown()


class EmbedWorker:
    """One Ray Data actor: the encoder loaded once, then one status row per video of each batch."""

    def __init__(self, encoder: dict, fingerprint: str, cache_dir: str, key: str, frames_per_segment: int,
                 batch_size: int, use_cache: bool):
        import ray

        started = time.perf_counter()
        self.encoder = load_encoder(EncoderSettings(**encoder))
        if self.encoder.fingerprint != fingerprint:
            # Another checkpoint file on this node than on the driver: its vectors must not be mixed in.
            raise RuntimeError(f"encoder on node {ray.get_runtime_context().get_node_id()} has fingerprint "
                               f"{self.encoder.fingerprint[:12]}, the driver's is {fingerprint[:12]}: "
                               "every node must see the same weights file")
        self.load_s = time.perf_counter() - started
        self.node_id = ray.get_runtime_context().get_node_id()
        self.pid = os.getpid()
        self.cache_dir, self.key, self.k = Path(cache_dir), key, frames_per_segment
        self.batch_size, self.use_cache = batch_size, use_cache

    def __call__(self, batch: pa.Table) -> pa.Table:
        enc, stats = self.encoder, EmbedStats()
        jobs = [VideoJob(r["video_id"], r["path"], r["decoder"], r["content_hash"], r["frame_indices"])
                for r in batch.to_pylist()]
        paths = {job.content_hash: cache_path(self.cache_dir, self.key, job.content_hash) for job in jobs}
        # A retried batch (its worker died) finds its finished videos on disk and skips them.
        done = {j.content_hash for j in jobs
                if self.use_cache and read_cached_segments(paths[j.content_hash]) == len(j.frame_indices)}
        rows = {"content_hash": [], "ok": [], "error": []}
        for result in embed_videos([j for j in jobs if j.content_hash not in done], enc.prepare,
                                   enc.encode_prepared, enc.dim, self.batch_size, stats):
            ok = result.embeddings is not None
            if ok:
                write_cached(paths[result.job.content_hash], result.job.content_hash, result.embeddings,
                             enc.model_name, enc.weights_id, enc.fingerprint, self.k)
            rows["content_hash"].append(result.job.content_hash)
            rows["ok"].append(ok)
            rows["error"].append(result.error or "")
        for content_hash in sorted(done):
            rows["content_hash"].append(content_hash)
            rows["ok"].append(True)
            rows["error"].append("")
        n = len(rows["ok"])
        # The batch's totals ride on its first row (zeros on the others), so sums over rows are totals.
        first = lambda value: [value] + [0] * (n - 1) if n else []  # noqa: E731
        load_s, self.load_s = self.load_s, 0.0  # reported once per actor
        return pa.table({**rows, "node_id": [self.node_id] * n, "pid": [self.pid] * n,
                         "videos": first(stats.videos), "segments": first(stats.segments),
                         "frames": first(stats.frames), "decode_s": first(stats.decode_s),
                         "encode_s": first(stats.encode_s), "load_s": first(load_s)})


def embed_on_ray(encoder: ImageEncoder, encoder_settings: EncoderSettings, videos: list[dict], segments: list[dict],
                 cache_dir: Path, use_cache: bool, settings: RaySettings,
                 log: Callable[[str], None] = lambda message: None) -> EmbeddingRun:
    """Embed every video missing from the cache on a Ray cluster; same EmbeddingRun as the local path.

    encoder: the driver's copy (for the cache key and fingerprint only); encoder_settings: what each
    actor loads (its device comes from num_gpus, not from the driver's device).
    """
    check_settings(settings)
    ray = import_ray()
    run = plan_run(encoder, videos, segments, cache_dir, use_cache, log)
    started = time.perf_counter()
    with ray_session(settings, log) as facts:
        run.engine = facts
        if run.to_embed:
            _run_dataset(ray, run, encoder, encoder_settings, use_cache, settings, log)
    run.seconds = time.perf_counter() - started
    return run


def _run_dataset(ray, run: EmbeddingRun, encoder: ImageEncoder, encoder_settings: EncoderSettings, use_cache: bool,
                 settings: RaySettings, log: Callable[[str], None]) -> None:
    items = [{"video_id": j.video_id, "path": j.path, "decoder": j.decoder, "content_hash": j.content_hash,
              "frame_indices": [list(map(int, f)) for f in j.frame_indices]} for j in run.to_embed]
    worker_kwargs = {"encoder": asdict(encoder_settings) | {"device": "cuda" if settings.num_gpus > 0 else "cpu"},
                     "fingerprint": encoder.fingerprint, "cache_dir": str(run.cache_dir), "key": run.key,
                     "frames_per_segment": run.frames_per_segment, "batch_size": encoder_settings.batch_size,
                     "use_cache": use_cache}
    if settings.address.startswith("ray://"):
        # Ray Data cannot drive a pipeline from a Ray Client process: one task inside the cluster
        # drives it and returns the status rows (small: one per video) at the end.
        rows = ray.get(ray.remote(num_cpus=0)(_collect_rows).remote(items, worker_kwargs, settings))
    else:
        rows = _status_rows(ray, items, worker_kwargs, settings)
    jobs = {job.content_hash: job for job in run.to_embed}
    nodes, pids, load_s, seen, first_s = set(), set(), 0.0, 0, 0.0
    started = time.perf_counter()
    progress = Progress(len(run.to_embed), "embedding on Ray", log, unit="videos")
    for row in rows:
        seen += 1
        progress.update(1)
        first_s = first_s or row["since_start_s"]
        nodes.add(row["node_id"])
        pids.add(row["pid"])
        run.stats.videos += row["videos"]
        run.stats.segments += row["segments"]
        run.stats.frames += row["frames"]
        run.stats.decode_s += row["decode_s"]
        run.stats.encode_s += row["encode_s"]
        load_s += row["load_s"]
        if row["ok"]:
            run.done_hashes.add(row["content_hash"])
        else:
            run.stats.failed += 1
            run.reject(jobs[row["content_hash"]], row["error"])
    progress.close()
    run.engine.update({"ray_workers": settings.workers, "ray_nodes_used": len(nodes), "ray_worker_processes": len(pids),
                       "ray_encoder_load_seconds": round(load_s, 3), "ray_num_gpus_per_worker": settings.num_gpus,
                       # Actor processes starting (Python, torch, the encoder) + one batch: Ray's fixed cost.
                       "ray_first_result_seconds": round(first_s, 3),
                       "ray_dataset_seconds": round(time.perf_counter() - started, 3)})


def _status_rows(ray, items: list[dict], worker_kwargs: dict, settings: RaySettings) -> Iterator[dict]:
    """Run the dataset; yield one status row per video as batches finish (since_start_s added)."""
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.wait_for_min_actors_s = ACTOR_START_TIMEOUT_S
    # At least one block per worker (else the pool idles), each at most videos_per_task videos.
    n_blocks = min(len(items), max(settings.workers, -(-len(items) // settings.videos_per_task)))
    dataset = ray.data.from_items(items, override_num_blocks=n_blocks).map_batches(
        EmbedWorker, fn_constructor_kwargs=worker_kwargs, batch_size=settings.videos_per_task, batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=min(settings.workers, len(items)),  # no idle encoders
                                           max_tasks_in_flight_per_actor=IN_FLIGHT_PER_ACTOR),
        num_cpus=settings.cpus_per_worker, num_gpus=settings.num_gpus or None,
    )
    started = time.perf_counter()
    for batch in dataset.iter_batches(batch_size=None, batch_format="pyarrow"):
        since = time.perf_counter() - started
        for row in batch.to_pylist():
            yield row | {"since_start_s": since}


def _collect_rows(items: list[dict], worker_kwargs: dict, settings: RaySettings) -> list[dict]:
    """The Ray Client case: runs as a task inside the cluster."""
    import ray

    return list(_status_rows(ray, items, worker_kwargs, settings))
