#!/usr/bin/env python3
"""Write a Rewind checkpoint (schema v1, docs/checkpoint-format.md) with h5py from numpy arrays.

As a library (e.g. a LeNet-300-100 trained in PyTorch):
    from write_checkpoint import write_checkpoint
    params = {name: t.detach().cpu().numpy() for name, t in model.state_dict().items()}
    write_checkpoint("lenet.h5", params, architecture={"model": "lenet-300-100", "inputShape": [1, 28, 28],
                     "classes": 10, "dropout": 0.0})

From the shell (random LeNet-300-100 weights, for tests):
    python3 write_checkpoint.py out.h5 --seed 3 --input-shape 1 4 4 --classes 3 --density 0.3 [--sparse]
           [--json truth.json]     # the arrays written, in read_checkpoint.py's JSON form

Masks must be uint8 (h5py would store numpy bools as an HDF5 enum, which Rewind
rejects). Parameters are cast to float32. With sparse=True every masked parameter is
stored as a CSR group whose stored entries are exactly the mask's ones.
"""
import argparse
import json
import os
import sys

import h5py
import numpy as np

FORMAT = "rewind.checkpoint"
VERSION = 1
COMPRESS_FROM_BYTES = 64


def _compression(array, compress):
    """h5py dataset options: shuffle + deflate 6 for arrays of 64 bytes or more, as Rewind writes."""
    if compress and array.nbytes >= COMPRESS_FROM_BYTES:
        return {"chunks": array.shape, "compression": "gzip", "compression_opts": 6, "shuffle": True}
    return {}


def _narrowest_unsigned(maximum):
    return np.min_scalar_type(max(int(maximum), 0))


def _write_csr(group, name, values, mask):
    """Group `name`: attrs format="csr", shape; datasets data, indices, indptr (scipy's layout)."""
    shape = values.shape
    rows, columns = shape[0], int(np.prod(shape[1:], dtype=np.int64))
    matrix_mask = mask.reshape(rows, columns) != 0
    outside = np.count_nonzero(values.reshape(rows, columns)[~matrix_mask])
    if outside:
        raise ValueError(f"{name}: {outside} non-zero weights lie outside the mask; apply the mask first")
    row_index, column_index = np.nonzero(matrix_mask)  # row-major: rows ascending, columns ascending within
    data = values.reshape(rows, columns)[row_index, column_index].astype(np.float32)
    indptr = np.concatenate([[0], np.cumsum(matrix_mask.sum(axis=1))])
    csr = group.create_group(name)
    csr.attrs["format"] = "csr"
    csr.attrs["shape"] = np.asarray(shape, dtype=np.int64)
    csr.create_dataset("data", data=data, **_compression(data, True))
    indices = column_index.astype(_narrowest_unsigned(columns - 1))
    csr.create_dataset("indices", data=indices, **_compression(indices, True))
    indptr = indptr.astype(_narrowest_unsigned(len(data)))
    csr.create_dataset("indptr", data=indptr, **_compression(indptr, True))


def write_checkpoint(path, params, architecture, normalization=None, masks=None, buffers=None,
                     optimizer=None, schedule=None, step=0, epoch=0, seed=0, recipe=None, metrics=None,
                     attributes=None, sparse=False):
    """Write a schema-v1 checkpoint to `path` (atomically: temporary file, fsync, rename).

    params, masks, buffers: {dotted name: ndarray} in PyTorch layout. architecture:
    {"model", "inputShape", "classes", "dropout"}. normalization: {"mean": [...], "std": [...]}
    (identity by default). optimizer: {"kind", "step_count", "hyperparameters": {...},
    "slots": {slot: {name: ndarray}}} or None. schedule: LearningRateSchedule JSON object
    (e.g. {"constant": {"base": 0.1}}) or None.
    """
    masks, buffers = masks or {}, buffers or {}
    channels = architecture["inputShape"][0]
    normalization = normalization or {"mean": [0.0] * channels, "std": [1.0] * channels}
    temporary = f"{path}.tmp-{os.getpid()}"
    try:
        with h5py.File(temporary, "w") as f:
            f.attrs["format"] = FORMAT
            f.attrs["version"] = np.int64(VERSION)
            f.attrs["architecture"] = json.dumps(architecture, sort_keys=True)
            f.attrs["normalization"] = json.dumps(normalization, sort_keys=True)
            f.attrs["step"] = np.int64(step)
            f.attrs["epoch"] = np.int64(epoch)
            f.attrs["seed"] = np.uint64(seed)
            if recipe is not None:
                f.attrs["recipe"] = recipe
            if schedule is not None:
                f.attrs["schedule"] = json.dumps(schedule, sort_keys=True)
            for name, value in (attributes or {}).items():
                f.attrs[name] = str(value)
            group = f.create_group("params")
            for name, value in params.items():
                value = np.asarray(value, dtype=np.float32)
                if sparse and name in masks:
                    _write_csr(group, name, value, np.asarray(masks[name]))
                else:
                    group.create_dataset(name, data=value, **_compression(value, sparse))
            group = f.create_group("masks")
            for name, mask in masks.items():
                if not sparse:
                    mask = np.asarray(mask).astype(np.uint8)
                    group.create_dataset(name, data=mask, **_compression(mask, True))
            group = f.create_group("buffers")
            for name, value in buffers.items():
                group.create_dataset(name, data=np.asarray(value, dtype=np.float32))
            if optimizer is not None:
                group = f.create_group("optimizer")
                group.attrs["kind"] = optimizer["kind"]
                group.attrs["step_count"] = np.int64(optimizer["step_count"])
                group.attrs["hyperparameters"] = json.dumps(optimizer["hyperparameters"], sort_keys=True)
                for slot, tensors in optimizer["slots"].items():
                    slot_group = group.create_group(slot)
                    for name, value in tensors.items():
                        slot_group.create_dataset(name, data=np.asarray(value, dtype=np.float32))
            group = f.create_group("metrics")
            for name, value in (metrics or {}).items():
                group.attrs[name] = np.float64(value)
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def lenet_300_100(rng, input_shape=(1, 28, 28), classes=10):
    """LeNet-300-100 parameters in PyTorch layout: Glorot-normal weights, small random biases."""
    widths = [int(np.prod(input_shape)), 300, 100, classes]
    params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(widths, widths[1:]), start=1):
        std = np.sqrt(2.0 / (fan_in + fan_out))
        params[f"fc{layer}.weight"] = (rng.standard_normal((fan_out, fan_in)) * std).astype(np.float32)
        params[f"fc{layer}.bias"] = (rng.standard_normal(fan_out) * 0.01).astype(np.float32)
    return params


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--input-shape", type=int, nargs=3, default=[1, 28, 28])
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--density", type=float, default=1.0, help="fraction of weights kept by random masks")
    parser.add_argument("--sparse", action="store_true", help="store masked weights as CSR")
    parser.add_argument("--json", metavar="PATH", help="also write the arrays written as JSON (for tests)")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    params = lenet_300_100(rng, args.input_shape, args.classes)
    masks = {}
    if args.density < 1:
        for name in ("fc1.weight", "fc2.weight", "fc3.weight"):
            masks[name] = (rng.random(params[name].shape) < args.density).astype(np.uint8)
            params[name] = np.where(masks[name] == 1, params[name], np.float32(0))  # +0.0, as pruning leaves them
    architecture = {"model": "lenet-300-100", "inputShape": list(args.input_shape), "classes": args.classes,
                    "dropout": 0.0}
    optimizer = {"kind": "sgd", "step_count": 7,
                 "hyperparameters": {"momentum": 0.9, "nesterov": 0, "weight_decay": 0.0001},
                 "slots": {"momentum": {name: (rng.standard_normal(value.shape) * 0.001).astype(np.float32)
                                        for name, value in params.items()}}}
    fields = dict(architecture=architecture, normalization={"mean": [0.5] * args.input_shape[0],
                                                            "std": [0.25] * args.input_shape[0]},
                  masks=masks, optimizer=optimizer, schedule={"constant": {"base": 0.05}}, step=7, epoch=1,
                  seed=args.seed, recipe="name: from-python\n", metrics={"test_accuracy": 0.5},
                  attributes={"role": "python"})
    write_checkpoint(args.out, params, sparse=args.sparse, **fields)
    if args.json:
        from read_checkpoint import to_json
        truth = {"attrs": {"step": 7, "epoch": 1, "seed": args.seed, "recipe": fields["recipe"], "role": "python"},
                 "architecture": architecture, "normalization": fields["normalization"],
                 "metrics": fields["metrics"], "csr": {}, "params": params, "masks": masks, "buffers": {},
                 "optimizer": optimizer}
        with open(args.json, "w") as out:
            out.write(json.dumps(to_json(truth)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
