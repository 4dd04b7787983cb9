"""The package works when installed as a wheel (not editable), away from the source tree: the SQL
statements, model configs and everything else the job reads must ship inside the package."""
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]


def _run(args, **kwargs):
    done = subprocess.run(args, capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"{args[:4]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def test_wheel_install_runs_the_tiny_job_from_another_directory(tmp_path):
    # Build from a clean copy: setuptools reuses an in-tree build/ folder, which can hold files that
    # were deleted since (a stale SQL statement would ship).
    source = tmp_path / "source"
    shutil.copytree(REPO, source, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "__pycache__", ".seg_pipeline", ".dagster_home", "screenshots"))
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
          "-w", str(dist), str(source)])
    wheel = next(dist.glob("seg_pipeline-*.whl"))

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    _run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--target", str(site), str(wheel)])
    # Dependencies (torch, dagster, ...) come from this test's environment; the package itself does
    # not: a plain path entry does not run the editable install's import hook.
    (site / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    env.update(SEG_PIPELINE_HOME=str(tmp_path / "home"), DAGSTER_HOME=str(tmp_path / "dagster_home"),
               HF_HUB_OFFLINE="1")
    (tmp_path / "dagster_home").mkdir()
    where = _run([str(python), "-c", "import seg_pipeline; print(seg_pipeline.__file__)"], cwd=elsewhere, env=env)
    assert where.stdout.strip().startswith(str(site)), where.stdout
    sql_files = list((site / "seg_pipeline" / "sql").glob("*.sql"))
    assert len(sql_files) == len(list((REPO / "sql").glob("*.sql")))

    _run([str(python), "-m", "dagster", "job", "execute", "-m", "seg_pipeline.definitions", "-j", "full_pipeline",
          "-c", str(REPO / "configs" / "demo_tiny.yaml")], cwd=elsewhere, env=env, timeout=900)
    with duckdb.connect(str(tmp_path / "home" / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM trained_models").fetchone()[0] >= 1
        assert con.execute("SELECT count(*) FROM skip_prediction_metrics").fetchone()[0] > 0
