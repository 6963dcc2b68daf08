#!/usr/bin/env bash
# gokeras against PyTorch (Debian's python3-torch) on Keras's ResNet20 v1, interleaved on
# one machine: same network, batch and thread count, synthetic data. Prints each round's
# training and inference samples/s and the ratios.
# Usage (from the project root): bench/resnet20-side-by-side.sh [ROUNDS=3] [STEPS=20] [BATCH=128]
set -u
rounds=${1:-3}; steps=${2:-20}; batch=${3:-128}
/usr/bin/python3 -c 'import torch' 2>/dev/null || { echo "needs python3-torch (apt-get install python3-torch)"; exit 1; }
go build -o /tmp/gk-side ./cmd/gokeras || exit 1
lscpu | grep -m1 'Model name'
num() { grep -oE "\"$1\": *[0-9.]+" | grep -oE '[0-9.]+$'; }
for r in $(seq "$rounds"); do
  g=$(/tmp/gk-side bench --model resnet20 --batch-size "$batch" --eval-batch-size "$batch" --steps "$steps" --threads 2 --json)
  t=$(/usr/bin/python3 bench/torch/resnet20.py --threads 2 --batch "$batch" --train-batches "$steps" --infer-batches 10)
  gt=$(echo "$g" | num train_samples_per_s); tt=$(echo "$t" | num train_samples_per_s)
  gi=$(echo "$g" | num eval_samples_per_s); ti=$(echo "$t" | num infer_samples_per_s)
  awk -v r="$r" -v gt="$gt" -v tt="$tt" -v gi="$gi" -v ti="$ti" 'BEGIN{
    printf "round %s  train gokeras %6.1f  pytorch %6.1f  ratio %.2f   inference gokeras %7.1f  pytorch %7.1f  ratio %.2f\n", r, gt, tt, gt/tt, gi, ti, gi/ti}'
done
