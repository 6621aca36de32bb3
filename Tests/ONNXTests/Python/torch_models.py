"""Trains two PyTorch models that are not in Rewind's zoo on a slice of Fashion-MNIST,
exports them with torch.onnx.export, and writes the test slice as an .npz.

Usage: python3 torch_models.py IDX_FOLDER OUT_FOLDER
Writes OUT_FOLDER/{mlp.onnx, cnn.onnx, cnn-folded.onnx, data.npz} (and, when onnxscript is
installed, cnn-dynamo.onnx with its weights in cnn-dynamo.onnx.data) and prints JSON
{"mlp": accuracy, "cnn": accuracy, "cnn-folded": accuracy, ["cnn-dynamo": accuracy,] "test_count": N} with the
accuracies PyTorch measures on data.npz's x_test (uint8 pixels / 255, normalised by
MEAN, STD).

- mlp: 784-512-256-10 with ReLU and dropout 0.2 (Gemm + Relu + Dropout-free inference graph)
- cnn: conv 8@3x3 + BatchNorm + ReLU, one residual block (two 3x3 convs with BatchNorm,
  identity shortcut, Add), 2x2 max-pool, linear 1568-10; exported without constant
  folding so the BatchNormalization nodes stay (running statistics as initializers);
  cnn-folded is the same model with the exporter's default folding (BN into the convs).
"""
import gzip
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn

MEAN, STD = 0.2860, 0.3530
TRAIN, TEST = 4000, 500
STEPS = {"mlp": 60, "cnn": 25}  # batches of 64 (the CNN learns enough in fewer steps and costs more per step)


def idx(folder, name):
    path = os.path.join(folder, name + ".gz")
    opener = gzip.open if os.path.exists(path) else open
    with opener(path if os.path.exists(path) else os.path.join(folder, name), "rb") as f:
        data = f.read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(784, 512), nn.Linear(512, 256), nn.Linear(256, 10)
        self.drop = nn.Dropout(0.2)

    def forward(self, x):
        x = torch.flatten(x, 1)
        x = self.drop(torch.relu(self.fc1(x)))
        x = self.drop(torch.relu(self.fc2(x)))
        return self.fc3(x)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)
        self.conv2, self.bn2 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)

    def forward(self, x):
        return torch.relu(self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x))))) + x)


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8)
        self.layer1 = Block(8)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(8 * 14 * 14, 10)

    def forward(self, x):
        x = self.pool(self.layer1(torch.relu(self.bn1(self.conv1(x)))))
        return self.fc(torch.flatten(x, 1))


def main():
    folder, out = sys.argv[1], sys.argv[2]
    torch.manual_seed(0)
    torch.set_num_threads(1)  # the test machine's cores are shared; one thread is as fast for these small models
    x_train = idx(folder, "train-images-idx3-ubyte")[:TRAIN].reshape(-1, 1, 28, 28)
    y_train = idx(folder, "train-labels-idx1-ubyte")[:TRAIN].astype(np.int64)
    x_test = idx(folder, "t10k-images-idx3-ubyte")[:TEST].reshape(-1, 1, 28, 28)
    y_test = idx(folder, "t10k-labels-idx1-ubyte")[:TEST].astype(np.int64)
    np.savez_compressed(os.path.join(out, "data.npz"), x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    normalise = lambda x: (torch.from_numpy(x.astype(np.float32)) / 255 - MEAN) / STD
    xs, ys, xt = normalise(x_train), torch.from_numpy(y_train), normalise(x_test)
    results = {"test_count": TEST}
    for name, model in [("mlp", MLP()), ("cnn", CNN())]:
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        model.train()
        for start in range(0, STEPS[name] * 64, 64):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(xs[start:start + 64]), ys[start:start + 64]).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            accuracy = (model(xt).argmax(1).numpy() == y_test).mean()
        dummy = torch.zeros(1, 1, 28, 28)
        exports = {name: dict(do_constant_folding=False)} if name == "mlp" else {
            "cnn": dict(do_constant_folding=False), "cnn-folded": dict()}
        for file, options in exports.items():
            torch.onnx.export(model, (dummy,), os.path.join(out, file + ".onnx"), dynamo=False, input_names=["input"],
                              output_names=["logits"], dynamic_axes={"input": {0: "N"}}, **options)
            results[file] = float(accuracy)
        if name == "cnn":
            # PyTorch's default exporter since 2.9 (needs onnxscript): BatchNorm folded, weights in cnn-dynamo.onnx.data.
            try:
                import onnxscript  # noqa: F401
            except ImportError:
                continue
            torch.onnx.export(model, (dummy,), os.path.join(out, "cnn-dynamo.onnx"), dynamo=True, verbose=False)
            results["cnn-dynamo"] = float(accuracy)
    print(json.dumps(results))


main()
