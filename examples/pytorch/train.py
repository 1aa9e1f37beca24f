#!/usr/bin/env python3
"""Train one of wattsweep's showdown models in PyTorch, as a trial of wattsweep's command backend.

The models, data normalisation, loss, evaluation batch and optimizer defaults are those of
scripts/bench/reference.py (a faithful PyTorch copy of src/models); the spiking models use
snnTorch's `Leaky` (reset by subtraction, arctan surrogate with alpha 2), as src/models/snn.rs.

It speaks wattsweep's event protocol: stdout lines `wattsweep: {json}`, flushed at once:
  {"phase": "setup"}                              at start, before loading data and building the model
  {"phase": "train"} / {"phase": "eval"}          before each epoch's training / test evaluation
  {"epoch": N, "test_accuracy": A, "train_loss": L}   after each epoch (N counts from 1, resumes included)
  {"test_accuracy": A, "train_images": I}         at the end (I: images trained by this process)
With WATTSWEEP_CHECKPOINT_DIR set it saves a checkpoint after every epoch and resumes from it.

    .venv/bin/python train.py --model snn --epochs 2 --data-dir ../../data/mnist --threads 4
"""
import argparse
import gzip
import json
import os
import sys
import time

EVAL_BATCH = 1000  # wattsweep's evaluation batch (src/train/mod.rs)
CHECKPOINT = "checkpoint.pt"


def emit(**fields):
    """One event of wattsweep's protocol: `wattsweep: ` then one JSON object, on its own line."""
    print("wattsweep: " + json.dumps(fields), flush=True)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="mlp", choices=["mlp", "cnn", "rnn", "lstm", "gru", "snn", "csnn"])
    p.add_argument("--optimizer", default="adam", choices=["adam", "sgd", "adamw", "rmsprop"])
    p.add_argument("--lr", type=float, default=0.001)
    p.add_argument("--momentum", type=float, default=0.0, help="sgd and rmsprop (PyTorch default 0)")
    p.add_argument("--weight-decay", type=float, help="default: the optimizer's own (0; adamw 0.01)")
    p.add_argument("--epochs", type=int, default=1, help="train until this epoch (resumes included)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, help="torch.set_num_threads (default: PyTorch's choice)")
    p.add_argument("--train-limit", type=int, help="use the first N training images")
    p.add_argument("--test-limit", type=int, help="use the first N test images")
    p.add_argument("--data-dir", default=os.environ.get("WATTSWEEP_DATA_DIR") or "data/mnist",
                   help="the four MNIST IDX files (default: $WATTSWEEP_DATA_DIR, else data/mnist)")
    for name, kind in (("hidden", int), ("steps", int), ("beta", float), ("threshold", float), ("alpha", float)):
        p.add_argument(f"--{name}", type=kind, help="snn/csnn setting (default: wattsweep's)")
    a = p.parse_args(argv)
    if a.epochs < 1 or a.batch_size < 1 or (a.threads is not None and a.threads < 1):
        p.error("--epochs, --batch-size and --threads must be at least 1")
    spiking = ("hidden", "steps", "beta", "threshold", "alpha")
    if a.model not in ("snn", "csnn") and any(getattr(a, k) is not None for k in spiking):
        p.error(f"--hidden/--steps/--beta/--threshold/--alpha are for snn and csnn, not {a.model}")
    if a.model == "csnn" and a.hidden is not None:
        p.error("--hidden is for snn")
    return a


if __name__ == "__main__":
    ARGS = parse_args()  # --help and bad arguments end here, before any event
    # The setup phase starts before torch is imported: loading it (about 2 s) is part of PyTorch's cost.
    emit(phase="setup")

import numpy as np  # noqa: E402
import snntorch as snn  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from snntorch import surrogate  # noqa: E402


# ---------------------------------------------------------------- data (as scripts/bench/reference.py)

def read_idx(path):
    raw = path if os.path.exists(path) else path + ".gz"
    if not os.path.exists(raw):
        sys.exit(f"train.py: no {path} (nor .gz): --data-dir or WATTSWEEP_DATA_DIR must hold the MNIST IDX files")
    data = gzip.open(raw, "rb").read() if raw.endswith(".gz") else open(raw, "rb").read()
    magic = int.from_bytes(data[0:4], "big")
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(magic & 0xFF)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * len(dims)).reshape(dims)


def load(data_dir, prefix, limit):
    """Images normalised as wattsweep does ((x/255 - 0.1307) / 0.3081, rows of 784) and int64 labels."""
    x = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte"))[:limit]
    y = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte"))[:limit]
    x = ((torch.from_numpy(x.astype(np.float32)) / 255.0 - 0.1307) / 0.3081).reshape(len(x), 784)
    return x, torch.from_numpy(y.astype(np.int64))


# ---------------------------------------------------------------- models (as scripts/bench/reference.py)

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
    """The 28 image rows as 28 time steps of 28 features; a linear read-out of the last hidden state."""

    def __init__(self, cell):
        super().__init__()
        self.rnn = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell](28, 128, batch_first=True)
        self.out = nn.Linear(128, 10)

    def forward(self, x):
        seq, _ = self.rnn(x.view(-1, 28, 28))
        return self.out(seq[:, -1, :])


def leaky(beta, threshold, alpha):
    """snnTorch's LIF: mem_t = beta*mem_{t-1} + I - reset_{t-1}*threshold, spk = H(mem - threshold),
    reset detached; the arctan surrogate (alpha/2) / (1 + (pi/2*alpha*u)^2) backward."""
    return snn.Leaky(beta=beta, threshold=threshold, spike_grad=surrogate.atan(alpha=alpha),
                     reset_mechanism="subtract")


class Snn(nn.Module):
    """784 -> `hidden` LIF neurons run `steps` steps on the same current, a linear read-out summed over steps
    (src/models/snn.rs: hidden 512, 25 steps, beta 0.9, threshold 1, arctan alpha 2)."""

    def __init__(self, hidden=512, steps=25, beta=0.9, threshold=1.0, alpha=2.0):
        super().__init__()
        self.inp = nn.Linear(784, hidden)
        self.lif = leaky(beta, threshold, alpha)
        self.readout = nn.Linear(hidden, 10)
        self.steps = steps

    def forward(self, x):
        cur = self.inp(x)
        mem = torch.zeros_like(cur)
        total = torch.zeros_like(cur)
        for _ in range(self.steps):
            spk, mem = self.lif(cur, mem)
            total = total + spk
        # sum_t readout(spk_t) = W sum_t spk_t + steps * b: one matmul instead of `steps`
        return self.readout(total) + (self.steps - 1) * self.readout.bias


class Csnn(nn.Module):
    """The hybrid CNN-SNN: conv, maxpool, LIF; conv, maxpool, LIF; linear, summed over steps
    (src/models/csnn.rs: 4 steps, beta 0.5, threshold 1, arctan alpha 2)."""

    def __init__(self, steps=4, beta=0.5, threshold=1.0, alpha=2.0):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.out = nn.Linear(1600, 10)
        self.lif1 = leaky(beta, threshold, alpha)
        self.lif2 = leaky(beta, threshold, alpha)
        self.steps = steps

    def forward(self, x):
        b = x.shape[0]
        cur1 = F.max_pool2d(self.conv1(x.view(-1, 1, 28, 28)), 2)
        mem = torch.zeros_like(cur1)
        spikes1 = []
        for _ in range(self.steps):
            spk, mem = self.lif1(cur1, mem)
            spikes1.append(spk)
        # the second convolution runs once over the steps stacked along the batch
        cur2 = F.max_pool2d(self.conv2(torch.cat(spikes1)), 2).view(self.steps, b, 1600)
        mem = torch.zeros_like(cur2[0])
        total = torch.zeros_like(cur2[0])
        for t in range(self.steps):
            spk, mem = self.lif2(cur2[t], mem)
            total = total + spk
        return self.out(total) + (self.steps - 1) * self.out.bias


def build_model(a):
    spiking = {k: v for k, v in (("steps", a.steps), ("beta", a.beta), ("threshold", a.threshold),
                                 ("alpha", a.alpha)) if v is not None}
    if a.model == "snn":
        return Snn(**spiking, **({"hidden": a.hidden} if a.hidden is not None else {}))
    if a.model == "csnn":
        return Csnn(**spiking)
    if a.model == "mlp":
        return Mlp()
    if a.model == "cnn":
        return Cnn()
    return Recurrent(a.model)


def build_optimizer(a, params):
    """PyTorch's defaults (as src/train/optim.rs sets them); --weight-decay unset keeps each one's default."""
    wd = {} if a.weight_decay is None else {"weight_decay": a.weight_decay}
    if a.optimizer == "adam":
        return torch.optim.Adam(params, lr=a.lr, **wd)
    if a.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=a.lr, **wd)
    if a.optimizer == "sgd":
        return torch.optim.SGD(params, lr=a.lr, momentum=a.momentum, **wd)
    return torch.optim.RMSprop(params, lr=a.lr, momentum=a.momentum, **wd)


# ---------------------------------------------------------------- checkpoints

def identity(a):
    """What a checkpoint must agree on to be continued: everything that shapes training but --epochs."""
    return {k: getattr(a, k) for k in ("model", "optimizer", "lr", "momentum", "weight_decay", "batch_size",
                                       "seed", "train_limit", "hidden", "steps", "beta", "threshold", "alpha")}


def save_checkpoint(directory, a, epoch, model, opt):
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, CHECKPOINT)
    tmp = f"{path}.tmp{os.getpid()}"
    state = {"epoch": epoch, "identity": identity(a), "model": model.state_dict(),
             "optimizer": opt.state_dict(), "torch_rng": torch.get_rng_state()}
    with open(tmp, "wb") as f:
        torch.save(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)  # atomic: a crash leaves the previous checkpoint whole


def load_checkpoint(directory, a, model, opt):
    """The epochs a checkpoint in `directory` covers (0 without one), its state loaded into model and opt."""
    path = os.path.join(directory, CHECKPOINT)
    if not os.path.exists(path):
        return 0
    state = torch.load(path, weights_only=True)
    if state["identity"] != identity(a):
        sys.exit(f"train.py: {path} is of another configuration: {state['identity']}, not {identity(a)}")
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["optimizer"])
    torch.set_rng_state(state["torch_rng"])
    return state["epoch"]


# ---------------------------------------------------------------- training

def epoch_order(n, seed, epoch):
    """Epoch `epoch`'s shuffle depends only on the seed and the epoch, so a resumed run trains on exactly
    the batches a run that never stopped would have (as wattsweep's epoch_order)."""
    return torch.from_numpy(np.random.default_rng([seed, epoch]).permutation(n))


def train_epoch(model, opt, x, y, batch, seed, epoch):
    """One shuffled epoch; the mean batch loss. Stops the process on a non-finite loss, as wattsweep does."""
    model.train()
    order = epoch_order(len(y), seed, epoch)
    loss_sum, batches = 0.0, 0
    for b, i in enumerate(range(0, len(y), batch)):
        idx = order[i:i + batch]
        loss = F.cross_entropy(model(x[idx]), y[idx])
        value = loss.item()
        if not np.isfinite(value):
            # Tell wattsweep it diverged (json.dumps writes NaN/Infinity bare, which it reads).
            print("wattsweep: " + json.dumps({"train_loss": value}), flush=True)
            sys.exit(f"train.py: diverged at epoch {epoch}, batch {b + 1} (loss {value})")
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss_sum += value
        batches += 1
    return loss_sum / max(batches, 1)


def evaluate(model, x, y):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(y), EVAL_BATCH):
            correct += (model(x[i:i + EVAL_BATCH]).argmax(1) == y[i:i + EVAL_BATCH]).sum().item()
    return correct / max(len(y), 1)


def main(a):
    if a.threads is not None:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    train_x, train_y = load(a.data_dir, "train", a.train_limit)
    test_x, test_y = load(a.data_dir, "t10k", a.test_limit)
    model = build_model(a)
    opt = build_optimizer(a, model.parameters())
    ckpt_dir = os.environ.get("WATTSWEEP_CHECKPOINT_DIR") or None
    done = load_checkpoint(ckpt_dir, a, model, opt) if ckpt_dir else 0
    if done:
        print(f"Resumed from {os.path.join(ckpt_dir, CHECKPOINT)} after epoch {done}", flush=True)

    trained, accuracy = 0, None
    for epoch in range(done + 1, a.epochs + 1):
        emit(phase="train")
        started = time.perf_counter()
        loss = train_epoch(model, opt, train_x, train_y, a.batch_size, a.seed, epoch)
        trained += len(train_y)
        train_s = time.perf_counter() - started
        emit(phase="eval")
        accuracy = evaluate(model, test_x, test_y)
        if ckpt_dir:
            save_checkpoint(ckpt_dir, a, epoch, model, opt)
        print(f"Epoch {epoch}: Test Accuracy: {100 * accuracy:.2f}% (train loss {loss:.4f}, {train_s:.1f} s)",
              flush=True)
        emit(epoch=epoch, test_accuracy=accuracy, train_loss=loss)
    if accuracy is None:  # the checkpoint already covers --epochs: evaluate it and report
        if done > a.epochs:
            print(f"train.py: the checkpoint is at epoch {done}, past --epochs {a.epochs}", file=sys.stderr)
        emit(phase="eval")
        accuracy = evaluate(model, test_x, test_y)
        print(f"Epoch {done}: Test Accuracy: {100 * accuracy:.2f}% (from the checkpoint)", flush=True)
    emit(test_accuracy=accuracy, train_images=trained)


if __name__ == "__main__":
    main(ARGS)
