# A new user's PyTorch model: 784-512-256-10 MLP with dropout, trained on Fashion-MNIST, exported to ONNX.
import gzip, os, numpy as np, torch, torch.nn as nn, sys
FOLDER = os.environ.get("FASHION_MNIST", "/usr/share/datasets/fashion-mnist")  # Debian: apt-get install dataset-fashion-mnist
torch.manual_seed(0); torch.set_num_threads(1)
def idx(name):
    data = gzip.open(os.path.join(FOLDER, name + ".gz")).read(); rank = data[3]
    dims = [int.from_bytes(data[4+4*i:8+4*i], "big") for i in range(rank)]
    return np.frombuffer(data, np.uint8, offset=4+4*rank).reshape(dims)
MEAN, STD = 0.2860, 0.3530
x = (torch.from_numpy(idx("train-images-idx3-ubyte").astype(np.float32)).unsqueeze(1) / 255 - MEAN) / STD
y = torch.from_numpy(idx("train-labels-idx1-ubyte").astype(np.int64))
xt = (torch.from_numpy(idx("t10k-images-idx3-ubyte").astype(np.float32)).unsqueeze(1) / 255 - MEAN) / STD
yt = idx("t10k-labels-idx1-ubyte")
class MLP(nn.Module):
    def __init__(s):
        super().__init__(); s.fc1, s.fc2, s.fc3 = nn.Linear(784, 512), nn.Linear(512, 256), nn.Linear(256, 10); s.drop = nn.Dropout(0.2)
    def forward(s, x):
        x = torch.flatten(x, 1); x = s.drop(torch.relu(s.fc1(x))); x = s.drop(torch.relu(s.fc2(x))); return s.fc3(x)
m = MLP(); opt = torch.optim.Adam(m.parameters(), lr=1e-3)
for epoch in range(3):
    m.train(); perm = torch.randperm(60000)
    for i in range(0, 60000, 64):
        b = perm[i:i+64]; opt.zero_grad(); nn.functional.cross_entropy(m(x[b]), y[b]).backward(); opt.step()
m.eval()
with torch.no_grad(): print("PyTorch test accuracy", (m(xt).argmax(1).numpy() == yt).mean())
torch.onnx.export(m, (torch.zeros(1, 1, 28, 28),), "mlp.onnx", dynamo=False, input_names=["input"], output_names=["logits"], dynamic_axes={"input": {0: "N"}})
