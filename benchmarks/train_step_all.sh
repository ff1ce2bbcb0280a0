#!/usr/bin/env bash
# Every train-step configuration recorded in benchmarks/RESULTS.md, one JSON line each, appended to
# benchmarks/results/train_step.jsonl.   Usage: bash benchmarks/train_step_all.sh [STEPS]
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-15}
out=benchmarks/results/train_step.jsonl
run() { python benchmarks/train_step.py --steps "$steps" "$@" | tail -n 1 | tee -a "$out"; }
for dtype in fp32 bf16; do
  for levels in 1 2 3; do run --levels $levels --dtype $dtype; done                       # default masks
  for levels in 2 3; do run --levels $levels --dtype $dtype --strategy multiblock; done  # same regions at every level
  run --levels 1 --dtype $dtype --context-scale 0.7 0.8                                  # official-like context size
done
run --levels 1 --dtype bf16 --compile
