#!/usr/bin/env python3
"""Read a Rewind checkpoint (schema v1, docs/checkpoint-format.md) with h5py.

As a library:
    from read_checkpoint import read_checkpoint, state_dict
    ckpt = read_checkpoint("level-12.h5")      # dict of plain Python / numpy values
    sd = state_dict(ckpt)                      # {"fc1.weight": ndarray, ...}, torch-style names
    sd = state_dict(ckpt, torch=True)          # the same as torch tensors (needs PyTorch)

From the shell:
    python3 read_checkpoint.py level-12.h5                 # one line per tensor: shape, dtype, density
    python3 read_checkpoint.py level-12.h5 --json out.json # everything, values as lists (used by the tests)

CSR parameters (sparse exports) are rebuilt with scipy.sparse.csr_matrix and come
back dense in PyTorch layout, with their masks implied by the stored entries.
"""
import argparse
import json
import sys

import h5py
import numpy as np
import scipy.sparse

FORMAT = "rewind.checkpoint"
VERSION = 1


def _attr(value):
    """An HDF5 attribute as a plain Python value (str, int, float or list)."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def read_csr(group):
    """A CSR group as (dense float32 array of the original shape, uint8 mask, csr_matrix)."""
    if group.attrs.get("format") != "csr":
        raise ValueError(f"{group.name}: format is {group.attrs.get('format')!r}, expected 'csr'")
    shape = tuple(int(n) for n in group.attrs["shape"])
    rows, columns = shape[0], int(np.prod(shape[1:], dtype=np.int64))
    matrix = scipy.sparse.csr_matrix(
        (group["data"][()], group["indices"][()], group["indptr"][()]), shape=(rows, columns))
    matrix.check_format(full_check=True)
    if not matrix.has_canonical_format:
        raise ValueError(f"{group.name}: CSR indices are not sorted and unique within rows")
    mask = scipy.sparse.csr_matrix(
        (np.ones(matrix.nnz, dtype=np.uint8), matrix.indices, matrix.indptr), shape=(rows, columns))
    return (matrix.toarray().astype(np.float32).reshape(shape),
            mask.toarray().astype(np.uint8).reshape(shape), matrix)


def read_checkpoint(path):
    """Every field of a Rewind checkpoint as plain Python and numpy values."""
    with h5py.File(path, "r") as f:
        attrs = {name: _attr(value) for name, value in f.attrs.items()}
        if attrs.get("format") != FORMAT:
            raise ValueError(f"{path}: format is {attrs.get('format')!r}, expected {FORMAT!r}")
        if attrs.get("version") != VERSION:
            raise ValueError(f"{path}: version {attrs.get('version')}, this reader reads {VERSION}")
        ckpt = {"attrs": attrs, "params": {}, "masks": {}, "buffers": {}, "optimizer": None, "metrics": {},
                "csr": {}}
        ckpt["architecture"] = json.loads(attrs["architecture"])
        ckpt["normalization"] = json.loads(attrs["normalization"])
        for name, item in f["params"].items():
            if isinstance(item, h5py.Group):
                dense, mask, matrix = read_csr(item)
                ckpt["params"][name], ckpt["masks"][name] = dense, mask
                ckpt["csr"][name] = {"indices_dtype": str(item["indices"].dtype),
                                     "indptr_dtype": str(item["indptr"].dtype), "nnz": int(matrix.nnz)}
            else:
                ckpt["params"][name] = item[()]
        for group in ("masks", "buffers"):
            for name, item in f[group].items() if group in f else ():
                ckpt[group][name] = item[()]
        if "optimizer" in f:
            optimizer = f["optimizer"]
            ckpt["optimizer"] = {
                "kind": _attr(optimizer.attrs["kind"]), "step_count": _attr(optimizer.attrs["step_count"]),
                "hyperparameters": json.loads(optimizer.attrs["hyperparameters"]),
                "slots": {slot: {name: data[()] for name, data in group.items()}
                          for slot, group in optimizer.items()}}
        if "metrics" in f:
            ckpt["metrics"] = {name: _attr(value) for name, value in f["metrics"].attrs.items()}
    return ckpt


def state_dict(ckpt, torch=False):
    """Parameters and buffers by PyTorch name, as numpy arrays or (torch=True) torch tensors."""
    merged = {**ckpt["params"], **ckpt["buffers"]}
    if not torch:
        return merged
    import torch as _torch
    return {name: _torch.from_numpy(np.ascontiguousarray(value)) for name, value in merged.items()}


def _tensor_json(array):
    return {"shape": list(array.shape), "dtype": str(array.dtype), "values": array.ravel().tolist()}


def to_json(ckpt):
    """The checkpoint with every array as {"shape", "dtype", "values"}: exact for float32 and integers."""
    out = {key: ckpt[key] for key in ("attrs", "architecture", "normalization", "metrics", "csr")}
    for group in ("params", "masks", "buffers"):
        out[group] = {name: _tensor_json(value) for name, value in ckpt[group].items()}
    if ckpt["optimizer"] is not None:
        optimizer = dict(ckpt["optimizer"])
        optimizer["slots"] = {slot: {name: _tensor_json(value) for name, value in tensors.items()}
                              for slot, tensors in optimizer["slots"].items()}
        out["optimizer"] = optimizer
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--json", metavar="PATH", help="write every field, values as lists, to PATH")
    args = parser.parse_args(argv)
    ckpt = read_checkpoint(args.checkpoint)
    if args.json:
        with open(args.json, "w") as out:
            out.write(json.dumps(to_json(ckpt)))  # json.dump streams in Python; dumps uses the C encoder
        return 0
    print(f"{args.checkpoint}: {ckpt['architecture']['model']}, step {ckpt['attrs']['step']}, "
          f"epoch {ckpt['attrs']['epoch']}")
    for name, value in state_dict(ckpt).items():
        mask = ckpt["masks"].get(name)
        density = f", density {mask.mean():.4f}" if mask is not None else ""
        stored = " (csr)" if name in ckpt["csr"] else ""
        print(f"  {name}: {list(value.shape)} {value.dtype}{stored}{density}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
