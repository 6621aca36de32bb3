"""Runs ONNX models in onnxruntime on float32 .npy inputs and prints their logits as JSON.

Usage: python3 run_onnxruntime.py MODEL.onnx INPUT.npy [MODEL.onnx INPUT.npy ...]
Prints {"MODEL.onnx": {"shape": [...], "logits": [...]}, ...} on one line. Each model is
checked with onnx.checker first (a non-conforming file fails here). One process for
all models: importing onnxruntime costs more than running the small models.
"""
import json
import sys

import numpy as np
import onnx
import onnxruntime

results = {}
options = onnxruntime.SessionOptions()
options.log_severity_level = 3  # the side tensors holding masks are unused initializers: no warning for them
for model_path, input_path in zip(sys.argv[1::2], sys.argv[2::2]):
    onnx.checker.check_model(onnx.load(model_path), full_check=True)
    session = onnxruntime.InferenceSession(model_path, options, providers=["CPUExecutionProvider"])
    (logits,) = session.run(None, {session.get_inputs()[0].name: np.load(input_path)})
    results[model_path] = {"shape": list(logits.shape), "logits": logits.astype(float).ravel().tolist()}
print(json.dumps(results))
