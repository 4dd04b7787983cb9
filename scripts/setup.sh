#!/usr/bin/env bash
# Install seg_pipeline and its test tools into ./.venv (pip only: uv/poetry do not see the
# machine's local package cache that holds torch 2.14.1 / torchvision 0.29.1).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[dev]"
mkdir -p .dagster_home
echo "Installed. Activate with: source .venv/bin/activate && export DAGSTER_HOME=\$PWD"
