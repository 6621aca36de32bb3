#!/usr/bin/env bash
# A PyTorch user's path, end to end (docs/onnx.md): train in PyTorch, export to ONNX, import,
# prune to 90% sparsity with LR rewinding, export the pruned model to ONNX, run it in onnxruntime.
# Needs: pip install torch onnx onnxruntime; Fashion-MNIST (apt-get install dataset-fashion-mnist);
# a release build (swift build -c release). Run: bash docs/onnx-example/run.sh (about 5 minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")"
REWIND="${REWIND:-../../.build/release/rewind}"
python3 train_mlp.py                                                   # prints PyTorch's test accuracy, writes mlp.onnx
mkdir -p run/dense
"$REWIND" import mlp.onnx --out run/dense/model.h5 --normalization 0.2860,0.3530
"$REWIND" eval --from run/dense/model.h5
"$REWIND" prune --from run/dense/model.h5 --recipe recipe.yaml --to 0.9 --strategy lr-rewind --fraction 0.5 --out run/pruned.h5
"$REWIND" eval --from run/pruned.h5
"$REWIND" export --onnx --from run/pruned.h5 --out run/pruned.onnx
python3 ort_accuracy.py run/pruned.onnx
