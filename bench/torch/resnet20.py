"""PyTorch CPU training and inference speed of Keras's ResNet20 v1, for comparison with
`gokeras bench --model resnet20` on the same machine (bench/resnet20-side-by-side.sh).

The network follows resnet_v1 of Keras's examples/cifar10_resnet.py, as the resnet20 preset
does: conv3x3(16)-BN-ReLU; three stages of three blocks (16, 32, 64 filters), each block
conv-BN-ReLU, conv-BN, a 1x1 strided convolution without BN on the shortcut where the shape
changes, add, ReLU; 8x8 average pooling; Dense(10). Convolutions have biases, as Keras's do,
so the trainable parameter count is the preset's 273,066. Optimizer as the preset compiles
it: Adam(1e-3, eps 1e-7), cross-entropy on logits. Synthetic data, speed does not depend on
content.

Usage (Debian's python3-torch): /usr/bin/python3 bench/torch/resnet20.py [--threads 2]
    [--batch 128] [--train-batches 20] [--infer-batches 10]
Prints one JSON line.
"""
import argparse
import json
import os
import time

ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--batch", type=int, default=128)
ap.add_argument("--train-batches", type=int, default=20)
ap.add_argument("--infer-batches", type=int, default=10)
ap.add_argument("--warmup", type=int, default=3)
args = ap.parse_args()

os.environ["OMP_NUM_THREADS"] = str(args.threads)
os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)

import torch  # noqa: E402
from torch import nn  # noqa: E402

torch.set_num_threads(args.threads)
torch.manual_seed(0)


def conv_bn(cin, cout, stride=1, relu=True):
    layers = [nn.Conv2d(cin, cout, 3, stride, 1), nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01)]
    if relu:
        layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.a = conv_bn(cin, cout, stride)
        self.b = conv_bn(cout, cout, relu=False)
        self.short = nn.Conv2d(cin, cout, 1, stride) if stride != 1 or cin != cout else None

    def forward(self, x):
        y = self.b(self.a(x))
        s = x if self.short is None else self.short(x)
        return torch.relu(s + y)


def resnet20():
    layers, cin = [conv_bn(3, 16)], 16
    for stage, width in enumerate((16, 32, 64)):
        for block in range(3):
            stride = 2 if stage > 0 and block == 0 else 1
            layers.append(Block(cin, width, stride))
            cin = width
    layers += [nn.AvgPool2d(8), nn.Flatten(), nn.Linear(64, 10)]
    return nn.Sequential(*layers)


model = resnet20()
trainable = sum(p.numel() for p in model.parameters())
assert trainable == 273066, trainable

NPOOL = 4
xs = [torch.rand(args.batch, 3, 32, 32) for _ in range(NPOOL)]
ys = [torch.randint(0, 10, (args.batch,)) for _ in range(NPOOL)]
opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
loss_fn = nn.CrossEntropyLoss()


def step(i):
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(model(xs[i % NPOOL]), ys[i % NPOOL])
    loss.backward()
    opt.step()
    return loss


model.train()
for i in range(args.warmup):
    step(i)
t0 = time.perf_counter()
for i in range(args.train_batches):
    loss = step(i)
loss.item()
dt = time.perf_counter() - t0

model.eval()
with torch.no_grad():
    for i in range(args.warmup):
        model(xs[i % NPOOL])
    t1 = time.perf_counter()
    for i in range(args.infer_batches):
        out = model(xs[i % NPOOL])
    out.sum().item()
    dti = time.perf_counter() - t1

print(json.dumps({
    "framework": f"pytorch {torch.__version__}",
    "model": "resnet20",
    "threads": torch.get_num_threads(),
    "batch": args.batch,
    "trainable_params": trainable,
    "train_samples_per_s": round(args.train_batches * args.batch / dt, 1),
    "infer_samples_per_s": round(args.infer_batches * args.batch / dti, 1),
}))
