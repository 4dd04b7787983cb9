"""deploy/ is checked where it can be without a cluster: every file parses, the Ray run config is valid
for full_pipeline, and the RayCluster, the run config and the shared data path agree."""
from pathlib import Path

import pytest
import yaml
from dagster import validate_run_config

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"


def _load(path):
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def _merge(base, over):
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def test_ray_deploy_files_parse():
    files = sorted(DEPLOY.rglob("*.yaml"))
    assert {f.relative_to(DEPLOY).as_posix() for f in files} >= {
        "dagster/dagster.yaml", "dagster/workspace.yaml", "run_config_ray.yaml", "k8s/raycluster.yaml",
        "k8s/data-pvc.yaml", "k8s/mlflow.yaml", "k8s/dagster.yaml"}
    for f in files:
        assert _load(f), f


def test_ray_deploy_run_config_is_valid_for_full_pipeline():
    from seg_pipeline.definitions import defs

    run_config = _merge(_load(REPO / "configs" / "demo_tiny.yaml")[0], _load(DEPLOY / "run_config_ray.yaml")[0])
    assert run_config["ops"]["segment_embeddings"]["config"]["engine"] == "ray"
    validate_run_config(defs.resolve_job_def("full_pipeline"), run_config)


def test_ray_deploy_cluster_matches_the_run_config_and_the_data_root():
    (cluster,) = _load(DEPLOY / "k8s" / "raycluster.yaml")
    ray_config = _load(DEPLOY / "run_config_ray.yaml")[0]
    settings = ray_config["ops"]["segment_embeddings"]["config"]["ray"]
    (gpu,) = [g for g in cluster["spec"]["workerGroupSpecs"] if g["groupName"] == "gpu"]
    container = gpu["template"]["spec"]["containers"][0]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == settings["num_gpus"]
    assert gpu["rayStartParams"]["num-gpus"] == str(settings["num_gpus"])
    assert gpu["replicas"] == settings["workers"]
    assert float(gpu["rayStartParams"]["num-cpus"]) >= settings["cpus_per_worker"]
    assert settings["address"].startswith("ray://seg-ray-head-svc.") and settings["address"].endswith(":10001")
    ray = pytest.importorskip("ray")
    assert cluster["spec"]["rayVersion"] == ray.__version__  # the version the Ray tests ran with
    # One data path everywhere: cache files and video paths written by one pod are read by another.
    root = ray_config["resources"]["home"]["config"]["root"]
    mounts = [m["mountPath"] for doc in (_load(DEPLOY / "k8s" / "raycluster.yaml") + _load(DEPLOY / "k8s" / "dagster.yaml"))
              for m in _mounts(doc) if m["name"] == "data"]
    assert len(mounts) >= 3 and all(root.startswith(m + "/") for m in mounts)


def _mounts(doc):
    found = []

    def walk(node):
        if isinstance(node, dict):
            found.extend(node.get("volumeMounts") or [])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    return found
