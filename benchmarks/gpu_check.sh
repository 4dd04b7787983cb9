#!/usr/bin/env bash
# The GPU figures of issue 13 (section 4) in a few minutes, on a machine with one CUDA GPU:
#   1. CLIP ViT-B-32 in float16 on CUDA (random init: speed does not depend on weight values),
#      images/s over a batch sweep (benchmarks/bench_clip.py);
#   2. segment_embeddings on the default demo world with ViT-B-32 on CUDA: engine local (device cuda)
#      and engine ray (a local Ray cluster, 2 actors sharing the GPU with num_gpus 0.5 each)
#      (benchmarks/bench_embeddings.py; it also prints max |local - ray|, float16 on both sides).
# Not run on a GPU yet: the session that wrote it had no GPU machine. Usage, from the repository root:
#   benchmarks/gpu_check.sh [OUT_DIR]        # ~5 min on one H200 once installed
#   SMOKE=1 benchmarks/gpu_check.sh          # the same steps on CPU, tiny world and model (checks the script)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-${OUT:-$(mktemp -d)}}
if [ "${SMOKE:-0}" = 1 ]; then
  DEVICE=cpu MODEL=seg-tiny-vit SIZE=tiny NUM_GPUS=0 CPUS=1 BATCHES="32" CHECK="import torch"
else
  DEVICE=cuda MODEL=ViT-B-32 SIZE=default NUM_GPUS=0.5 CPUS=4 BATCHES="32 64 128 256 512 1024"
  CHECK="import torch; assert torch.cuda.is_available(), 'no CUDA'; print('torch', torch.__version__, torch.cuda.get_device_name(0))"
fi
mkdir -p "$OUT"
export HF_HUB_OFFLINE=1 RAY_USAGE_STATS_ENABLED=0 PYTHONUNBUFFERED=1
if [ ! -x .venv/bin/python ]; then
  ./scripts/setup.sh
fi
source .venv/bin/activate
python -c "import ray" 2>/dev/null || python -m pip install --quiet -e ".[ray]"

{
  date -u; uptime; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true
  python -c "$CHECK"
} 2>&1 | tee "$OUT/env.txt"

echo "== 1. bench_clip: ViT-B-32 float16 on CUDA, batch sweep ==" | tee "$OUT/bench_clip.txt"
for bs in $BATCHES; do
  timeout 120 python benchmarks/bench_clip.py --models "$MODEL" --device "$DEVICE" --batch-size "$bs" --batches 20 \
    2>&1 | tee -a "$OUT/bench_clip.txt"
done

echo "== 2. segment_embeddings, default demo world, ViT-B-32 on CUDA: local vs ray ==" | tee "$OUT/bench_embeddings.txt"
timeout 420 python benchmarks/bench_embeddings.py --size "$SIZE" --model "$MODEL" --batch-size 256 --device "$DEVICE" \
  --num-gpus "$NUM_GPUS" --workers 2 --cpus-per-worker "$CPUS" --videos-per-task 16 --workdir "$OUT/world" 2>&1 \
  | sed -e '/dagster - /d' -e '/streaming_executor/d' -e '/core_worker/d' -e '/No pretrained/d' | tail -12 \
  | tee -a "$OUT/bench_embeddings.txt"
date -u | tee -a "$OUT/env.txt"
echo "results in $OUT"
