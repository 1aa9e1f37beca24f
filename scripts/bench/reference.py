#!/usr/bin/env python3
"""PyTorch reference of wattsweep's models, written for the side-by-side benchmark.

Same shapes, batch size, optimizer settings (Adam lr 0.001, PyTorch defaults), loss, data
normalisation, training loop (one shuffled epoch, per-batch loss read back like wattsweep's
divergence check), evaluation batch (1000) and inference timing (the test set at the batch size, then
images one at a time) as `wattsweep bench`. The spiking models use the arctan surrogate, wattsweep's
default. Prints one JSON object per model.

    python3 reference.py --data-dir data/mnist --models mlp,cnn --train-limit 10000
"""
import argparse
import json
import os
import resource
import statistics
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    raw = path if os.path.exists(path) else path + ".gz"
    if raw.endswith(".gz"):
        import gzip
        data = gzip.open(raw, "rb").read()
    else:
        data = open(raw, "rb").read()
    magic = int.from_bytes(data[0:4], "big")
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(magic & 0xFF)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * len(dims)).reshape(dims)


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(784, 512)
        self.out = nn.Linear(512, 10)

    def forward(self, x):
        return self.out(F.relu(self.hidden(x)))


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.out = nn.Linear(1600, 10)

    def forward(self, x):
        x = x.view(-1, 1, 28, 28)
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.out(x.flatten(1))


class Recurrent(nn.Module):
    def __init__(self, cell):
        super().__init__()
        self.rnn = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell](28, 128, batch_first=True)
        self.out = nn.Linear(128, 10)

    def forward(self, x):
        seq, _ = self.rnn(x.view(-1, 28, 28))
        return self.out(seq[:, -1, :])


class Spike(torch.autograd.Function):
    """Heaviside forward, snnTorch's arctan surrogate (alpha/2) / (1 + (pi/2 alpha u)^2) backward
    (the default of snnTorch's Leaky, and wattsweep's default)."""

    @staticmethod
    def forward(ctx, u, alpha):
        ctx.save_for_backward(u)
        ctx.alpha = alpha
        return (u > 0).float()

    @staticmethod
    def backward(ctx, grad):
        (u,) = ctx.saved_tensors
        a = ctx.alpha
        return grad * (a / 2) / (1 + (torch.pi / 2 * a * u) ** 2), None


def lif(currents, beta, threshold, alpha):
    """LIF over an iterable of per-step currents; yields each step's spikes (reset detached)."""
    mem = reset = None
    for cur in currents:
        mem = cur if mem is None else beta * mem + cur - reset * threshold
        spk = Spike.apply(mem - threshold, alpha)
        reset = spk.detach()
        yield spk


class Csnn(nn.Module):
    """The hybrid CNN-SNN: conv, maxpool, LIF; conv, maxpool, LIF; linear, summed over steps."""

    def __init__(self, steps=4, beta=0.5, threshold=1.0, alpha=2.0):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.out = nn.Linear(1600, 10)
        self.steps, self.beta, self.threshold, self.alpha = steps, beta, threshold, alpha

    def forward(self, x):
        b = x.shape[0]
        cur1 = F.max_pool2d(self.conv1(x.view(-1, 1, 28, 28)), 2)
        spikes1 = torch.cat(list(lif((cur1 for _ in range(self.steps)), self.beta, self.threshold, self.alpha)))
        cur2 = F.max_pool2d(self.conv2(spikes1), 2).view(self.steps, b, 1600)
        total = sum(lif(cur2, self.beta, self.threshold, self.alpha))
        return self.out(total) + (self.steps - 1) * self.out.bias


class Snn(nn.Module):
    def __init__(self, hidden=512, steps=25, beta=0.9, threshold=1.0, alpha=2.0):
        super().__init__()
        self.inp = nn.Linear(784, hidden)
        self.readout = nn.Linear(hidden, 10)
        self.steps, self.beta, self.threshold, self.alpha = steps, beta, threshold, alpha

    def forward(self, x):
        cur = self.inp(x)
        total = torch.zeros_like(cur)
        for spk in lif((cur for _ in range(self.steps)), self.beta, self.threshold, self.alpha):
            total = total + spk
        # sum_t readout(spk_t) = W sum_t spk_t + steps * b
        return self.readout(total) + (self.steps - 1) * self.readout.bias


MODELS = {"mlp": Mlp, "cnn": Cnn, "rnn": lambda: Recurrent("rnn"), "lstm": lambda: Recurrent("lstm"),
          "gru": lambda: Recurrent("gru"), "snn": Snn, "csnn": Csnn}


def infer(model, test_x, batch, b1_images):
    """As wattsweep's inference phase: the test set at the batch size, then images one at a time."""
    with torch.inference_mode():
        start = time.perf_counter()
        for i in range(0, len(test_x), batch):
            model(test_x[i:i + batch]).argmax(1)
        batch_time = time.perf_counter() - start
        times = []
        for k in range(b1_images):
            one = time.perf_counter()
            j = k % len(test_x)
            model(test_x[j:j + 1]).argmax(1)
            times.append(time.perf_counter() - one)
    median = statistics.median(times)
    return {"infer_images_per_s": len(test_x) / batch_time, "infer_b1_images_per_s": 1 / median,
            "infer_b1_latency_ms": median * 1e3}


def bench(name, train_x, train_y, test_x, test_y, batch, epochs, seed, b1_images):
    torch.manual_seed(seed)
    model = MODELS[name]()
    opt = torch.optim.Adam(model.parameters(), lr=0.001)
    n = len(train_y)
    train_time = 0.0
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        model.train()
        order = torch.randperm(n, generator=gen)
        start = time.perf_counter()
        for i in range(0, n, batch):
            idx = order[i:i + batch]
            loss = F.cross_entropy(model(train_x[idx]), train_y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            if not torch.isfinite(loss).item():
                raise SystemExit(f"{name}: diverged")
        train_time += time.perf_counter() - start
        model.eval()
        start = time.perf_counter()
        correct = 0
        with torch.no_grad():
            for i in range(0, len(test_y), 1000):
                correct += (model(test_x[i:i + 1000]).argmax(1) == test_y[i:i + 1000]).sum().item()
        eval_time = time.perf_counter() - start
    return {
        "model": name, "backend": "pytorch", "batch_size": batch, "train_images": n, "test_images": len(test_y),
        "epochs": epochs, "train_images_per_s": n * epochs / train_time, "eval_images_per_s": len(test_y) / eval_time,
        "test_accuracy": correct / len(test_y), "train_time_s": train_time,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        **infer(model, test_x, batch, b1_images),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default="data/mnist")
    p.add_argument("--models", default="mlp,cnn,rnn,lstm,gru,snn,csnn")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--train-limit", type=int)
    p.add_argument("--test-limit", type=int)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--b1-images", type=int, default=1000)
    a = p.parse_args()
    d = a.data_dir
    norm = lambda x: ((torch.from_numpy(x.astype(np.float32)) / 255.0 - 0.1307) / 0.3081).reshape(len(x), 784)
    tx, ty = read_idx(f"{d}/train-images-idx3-ubyte"), read_idx(f"{d}/train-labels-idx1-ubyte")
    vx, vy = read_idx(f"{d}/t10k-images-idx3-ubyte"), read_idx(f"{d}/t10k-labels-idx1-ubyte")
    tx, ty, vx, vy = tx[:a.train_limit], ty[:a.train_limit], vx[:a.test_limit], vy[:a.test_limit]
    train_x, test_x = norm(tx), norm(vx)
    train_y, test_y = torch.from_numpy(ty.astype(np.int64)), torch.from_numpy(vy.astype(np.int64))
    for name in a.models.split(","):
        print(json.dumps(bench(name, train_x, train_y, test_x, test_y, a.batch_size, a.epochs, a.seed, a.b1_images)), flush=True)


if __name__ == "__main__":
    main()
