"""Screenshots of the Dagster and MLflow UIs after a tiny run, taken in a real (headless) browser.

    python scripts/screenshots.py [--home DIR] [--skip-run] [--out screenshots/]

1. runs `configs/demo_tiny.yaml` into a data root (unless --skip-run), with the MLflow and Dagster
   UI addresses of step 2 in the environment, so the links in the metadata point at them;
2. starts `dagster dev` and `mlflow ui` on 127.0.0.1 (free ports unless given);
3. captures the asset catalog, an asset's page (Columns section), the MLflow run page of the
   `both` model and its registered model with headless Chromium (Debian: `apt-get install
   chromium`), one fresh profile per shot;
4. stops every server it started (their whole process groups).
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status < 500:
                    return
        except OSError:
            time.sleep(1)
    raise TimeoutError(f"{url} did not answer within {seconds:.0f} s")


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    """A server in its own process group (so stopping it stops its children too)."""
    return subprocess.Popen(command, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
                            start_new_session=True, cwd=env["SEG_PIPELINE_HOME"])


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


def shoot(chromium: str, url: str, path: Path, size: str = "1600,1100", wait_ms: int = 20000) -> Path:
    """One page, rendered for `wait_ms` of virtual time, saved as PNG."""
    with tempfile.TemporaryDirectory(prefix="chromium_profile_") as profile:
        subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={size}",
                        f"--virtual-time-budget={wait_ms}", f"--screenshot={path}", url],
                       check=True, timeout=180, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"{path.name}: {url}")
    return path


def run_pipeline(env: dict, config: Path) -> None:
    subprocess.run([sys.executable, "-m", "dagster", "job", "execute", "-m", "seg_pipeline.definitions",
                    "-j", "full_pipeline", "-c", str(config)], env=env, check=True, cwd=env["SEG_PIPELINE_HOME"])


def mlflow_pages(home: Path, tracking_env: dict) -> dict[str, str]:
    """The run page of the `both` model's latest training run and its registered model page."""
    os.environ.update(tracking_env)
    from mlflow import MlflowClient

    from seg_pipeline.resources import MlflowTracking

    tracking = MlflowTracking(root=str(home), ui_url=tracking_env["SEG_PIPELINE_MLFLOW_UI_URL"])
    client = MlflowClient(tracking_uri=tracking.tracking_uri)
    experiment = client.get_experiment_by_name(tracking.experiment)
    runs = client.search_runs([experiment.experiment_id], "tags.stage = 'segment_interest_model'",
                              order_by=["attributes.start_time DESC"])
    run = next((r for r in runs if r.data.tags.get("modality") == "both"), runs[0])
    name = f"segment_interest_{run.data.tags['modality']}"
    champion = client.get_model_version_by_alias(name, "champion")
    report = client.search_runs([experiment.experiment_id], "tags.stage = 'skip_prediction_report'",
                                order_by=["attributes.start_time DESC"])[0]
    report_page = tracking.run_url(experiment.experiment_id, report.info.run_id).replace(
        "?", "/artifacts/report/skip_prediction_report.html?")
    return {"mlflow_run": tracking.run_url(experiment.experiment_id, run.info.run_id),
            "mlflow_experiment": tracking.experiment_url(experiment.experiment_id),
            "mlflow_model": tracking.model_url(name, str(champion.version)),
            "mlflow_report_html": report_page,
            "mlflow_report_md": report_page.replace(".html?", ".md?")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, default=None, help="data root (default: a new temporary folder)")
    parser.add_argument("--config", type=Path, default=REPO / "configs" / "demo_tiny.yaml")
    parser.add_argument("--skip-run", action="store_true", help="reuse the runs already in --home")
    parser.add_argument("--out", type=Path, default=Path("screenshots"))
    parser.add_argument("--dagster-port", type=int, default=0)
    parser.add_argument("--mlflow-port", type=int, default=0)
    parser.add_argument("--asset", default="skip_labels", help="asset whose page (Columns) is captured")
    args = parser.parse_args()

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        parser.error("no chromium on PATH: apt-get update && apt-get install -y chromium")
    home = (args.home or Path(tempfile.mkdtemp(prefix="seg_screens_"))).resolve()
    (home / "dagster").mkdir(parents=True, exist_ok=True)
    instance_yaml = home / "dagster" / "dagster.yaml"
    if not instance_yaml.is_file() or not instance_yaml.read_text().strip():
        # No first-visit "join the community" dialog over the pages, no telemetry.
        instance_yaml.write_text("nux:\n  enabled: false\ntelemetry:\n  enabled: false\n")
    args.out.mkdir(parents=True, exist_ok=True)
    dagster_port, mlflow_port = args.dagster_port or free_port(), args.mlflow_port or free_port()
    dagster_url, mlflow_url = f"http://127.0.0.1:{dagster_port}", f"http://127.0.0.1:{mlflow_port}"
    tracking_env = {"SEG_PIPELINE_HOME": str(home), "DAGSTER_HOME": str(home / "dagster"), "HF_HUB_OFFLINE": "1",
                    "SEG_PIPELINE_MLFLOW_UI_URL": mlflow_url, "SEG_PIPELINE_DAGSTER_UI_URL": dagster_url}
    env = {**os.environ, **tracking_env}
    if not args.skip_run:
        run_pipeline(env, args.config.resolve())

    bin_dir = Path(sys.executable).parent
    servers = []
    try:
        store = f"sqlite:///{home / 'mlflow' / 'mlflow.db'}"
        servers.append(start([str(bin_dir / "mlflow"), "ui", "--backend-store-uri", store, "--host", "127.0.0.1",
                              "--port", str(mlflow_port)], env, args.out / "mlflow_ui.log"))
        servers.append(start([str(bin_dir / "dagster"), "dev", "-m", "seg_pipeline.definitions", "-h", "127.0.0.1",
                              "-p", str(dagster_port)], env, args.out / "dagster_dev.log"))
        wait_for(f"{mlflow_url}/health")
        wait_for(f"{dagster_url}/server_info")
        pages = {"dagster_catalog": f"{dagster_url}/assets",
                 "dagster_asset_columns": f"{dagster_url}/assets/{args.asset}",
                 "dagster_runs": f"{dagster_url}/runs", **mlflow_pages(home, tracking_env)}
        for name, url in pages.items():
            size = "1600,2400" if name == "dagster_asset_columns" else "1600,1100"
            shoot(chromium, url, args.out / f"{name}.png", size)
    finally:
        for server in servers:
            stop(server)
    print(f"screenshots in {args.out}; data root {home}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
