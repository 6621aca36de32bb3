import gzip, os, numpy as np, onnxruntime as ort, sys
FOLDER = os.environ.get("FASHION_MNIST", "/usr/share/datasets/fashion-mnist")  # Debian: apt-get install dataset-fashion-mnist
def idx(name):
    data = gzip.open(os.path.join(FOLDER, name + ".gz")).read(); rank = data[3]
    dims = [int.from_bytes(data[4+4*i:8+4*i], "big") for i in range(rank)]
    return np.frombuffer(data, np.uint8, offset=4+4*rank).reshape(dims)
x = idx("t10k-images-idx3-ubyte").astype(np.float32)[:, None] / 255   # raw pixels in [0, 1]: the export normalises
y = idx("t10k-labels-idx1-ubyte")
o = ort.SessionOptions(); o.log_severity_level = 3
s = ort.InferenceSession(sys.argv[1], o, providers=["CPUExecutionProvider"])
print(sys.argv[1], "onnxruntime test accuracy", (s.run(None, {"input": x})[0].argmax(1) == y).mean())
