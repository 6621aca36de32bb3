"""Writes the .npz archives NPZDatasetTests reads into the folder given as argument.

good-compressed.npz  np.savez_compressed, x uint8 [6, 1, 2, 3] = arange, y int64 [0 1 2 0 1 4], test = first 2
good-stored.npz      np.savez, x float32 [4, 5] = arange / 10, y int32 [1 0 1 0]
missing-key.npz      no x_test
float64.npz          x_train float64
negative-label.npz   y_train holds -1
count-mismatch.npz   x_train 3 rows, y_train 2 labels
fortran.npz          x_train in Fortran order
truncated.npz        good-stored.npz cut in half
"""
import os
import sys

import numpy as np

out = sys.argv[1]
x = np.arange(36, dtype=np.uint8).reshape(6, 1, 2, 3)
y = np.array([0, 1, 2, 0, 1, 4], dtype=np.int64)
np.savez_compressed(os.path.join(out, "good-compressed.npz"), x_train=x, y_train=y, x_test=x[:2], y_test=y[:2])
xf = (np.arange(20, dtype=np.float32) / 10).reshape(4, 5)
yf = np.array([1, 0, 1, 0], dtype=np.int32)
np.savez(os.path.join(out, "good-stored.npz"), x_train=xf, y_train=yf, x_test=xf, y_test=yf)
np.savez(os.path.join(out, "missing-key.npz"), x_train=xf, y_train=yf, y_test=yf)
np.savez(os.path.join(out, "float64.npz"), x_train=xf.astype(np.float64), y_train=yf, x_test=xf, y_test=yf)
np.savez(os.path.join(out, "negative-label.npz"), x_train=xf, y_train=np.array([1, -1, 0, 0]), x_test=xf, y_test=yf)
np.savez(os.path.join(out, "count-mismatch.npz"), x_train=xf[:3], y_train=yf[:2], x_test=xf, y_test=yf)
np.savez(os.path.join(out, "fortran.npz"), x_train=np.asfortranarray(xf), y_train=yf, x_test=xf, y_test=yf)
data = open(os.path.join(out, "good-stored.npz"), "rb").read()
open(os.path.join(out, "truncated.npz"), "wb").write(data[: len(data) // 2])
print('{"written": 8}')
