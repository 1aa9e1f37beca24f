#!/usr/bin/env python3
"""ONNX Runtime reference for wattsweep's inference: the models of reference.py exported to ONNX and run
on ONNX Runtime's CPU execution provider, timed the way `wattsweep bench` and reference.py time inference.

This is what a user deploying one of these models on a CPU would run. For each model it builds the
PyTorch module from reference.py (mlp, cnn, rnn, lstm, gru), exports it with torch.onnx.export (the
TorchScript exporter, opset 17, batch axis dynamic), opens it in an onnxruntime InferenceSession
(CPUExecutionProvider, intra_op_num_threads = --threads, inter_op_num_threads = 1, sequential execution,
graph optimisation level ORT_ENABLE_ALL) and prints one JSON object per model with the keys that
reference.py and `wattsweep bench --json` use for inference:

    eval_images_per_s      the test set (10 000 images, or --test-limit) at batch 1000, argmax included
    infer_images_per_s     the test set at --batch-size (the training batch size, 64)
    infer_b1_latency_ms    median over --b1-images images classified one at a time, after a warm-up
    infer_b1_images_per_s  1 / that median

plus `runtime` ("onnxruntime <version>"), `threads`, `opset` and `max_abs_diff_vs_torch` (ONNX Runtime's
logits against PyTorch's on the first evaluation batch: the export is checked, not trusted). A warm-up
batch runs before the timed evaluation (wattsweep and reference.py have just trained, so their first
evaluation batch is warm too), and a few single images before the batch-1 timing.

Weights are untrained (PyTorch's initialisation after torch.manual_seed(--seed)): this measures speed,
which does not depend on the weights' values for these dense models; accuracy is not reported.
The spiking models (snn, csnn) have no ONNX reference (their time loop of thresholds and resets is not
an ONNX Runtime fast path, and comparing against a naive export would say nothing): they are skipped
with a note on stderr.

Test images are read from the real MNIST IDX files in --data-dir, with reference.py's reader and
normalisation.

    scripts/bench/ort.py --data-dir data/mnist --models mlp,cnn,rnn,lstm,gru --threads 2

Needs, in the same python: torch (2.9.0, see scripts/setup-libtorch.sh), numpy, onnx and onnxruntime:

    .venv-torch/bin/pip install onnxruntime onnx
"""
import argparse
import importlib
import json
import os
import statistics
import sys
import tempfile
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = 17
SPIKING = ("snn", "csnn")


def require(name):
    """Import a package, or exit with a message saying which one is missing and how to install it."""
    try:
        return importlib.import_module(name)
    except ImportError as e:
        pip = os.path.join(os.path.dirname(sys.executable), "pip")
        how = ("scripts/setup-libtorch.sh (it makes .venv-torch with torch 2.9.0), then run this script with "
               ".venv-torch/bin/python" if name == "torch" else
               f"{pip} install {'onnxruntime onnx' if name in ('onnx', 'onnxruntime') else name}")
        sys.exit(f"ort.py: the Python package '{name}' is missing from {sys.executable} ({e}).\nInstall it: {how}")


np = require("numpy")
torch = require("torch")
onnx = require("onnx")
ort = require("onnxruntime")
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
import reference  # noqa: E402  (reference.py beside this file: the same model classes and IDX reader)


def export(model, path):
    """Exports `model` (input: a batch of flattened 784-pixel images) to ONNX with a dynamic batch axis."""
    example = torch.zeros(2, 784)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and RNN batch-size notes
        torch.onnx.export(model, (example,), path, dynamo=False, opset_version=OPSET, input_names=["x"],
                          output_names=["logits"], dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}})
    onnx.checker.check_model(onnx.load(path))


def session(path, threads):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    return ort.InferenceSession(path, sess_options=so, providers=["CPUExecutionProvider"])


def over(sess, test_x, batch):
    """Seconds to classify the test set at `batch` images per run, argmax included."""
    start = time.perf_counter()
    for i in range(0, len(test_x), batch):
        sess.run(None, {"x": test_x[i:i + batch]})[0].argmax(1)
    return time.perf_counter() - start


def bench(name, test_x, batch, b1_images, threads, seed, tmp):
    torch.manual_seed(seed)
    model = reference.MODELS[name]().eval()
    path = os.path.join(tmp, f"{name}.onnx")
    export(model, path)
    sess = session(path, threads)
    first = test_x[:1000]
    ours = sess.run(None, {"x": first})[0]  # also the warm-up batch
    with torch.inference_mode():
        theirs = model(torch.from_numpy(first)).numpy()
    eval_time = over(sess, test_x, 1000)
    batch_time = over(sess, test_x, batch)
    for k in range(min(20, len(test_x))):  # warm-up of the batch-1 path
        sess.run(None, {"x": test_x[k:k + 1]})[0].argmax(1)
    times = []
    for k in range(b1_images):
        j = k % len(test_x)
        one = time.perf_counter()
        sess.run(None, {"x": test_x[j:j + 1]})[0].argmax(1)
        times.append(time.perf_counter() - one)
    median = statistics.median(times)
    return {
        "model": name, "backend": "onnxruntime", "runtime": f"onnxruntime {ort.__version__}",
        "provider": sess.get_providers()[0], "threads": threads, "opset": OPSET, "torch": torch.__version__,
        "weights": f"untrained (seed {seed})", "batch_size": batch, "test_images": len(test_x),
        "eval_images_per_s": len(test_x) / eval_time, "infer_images_per_s": len(test_x) / batch_time,
        "infer_b1_images_per_s": 1 / median, "infer_b1_latency_ms": median * 1e3, "b1_images": b1_images,
        "max_abs_diff_vs_torch": float(np.abs(ours - theirs).max()),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default="data/mnist")
    p.add_argument("--models", default="mlp,cnn,rnn,lstm,gru")
    p.add_argument("--batch-size", type=int, default=64, help="batch of the infer_images_per_s figure")
    p.add_argument("--test-limit", type=int)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--b1-images", type=int, default=1000)
    p.add_argument("--threads", type=int, default=2, help="ONNX Runtime intra-op threads (inter-op: 1)")
    a = p.parse_args()
    names = a.models.split(",")
    unknown = [m for m in names if m not in reference.MODELS]
    if unknown:
        sys.exit(f"ort.py: unknown model(s) {','.join(unknown)}; known: {','.join(reference.MODELS)}")
    if a.b1_images < 1:
        sys.exit("ort.py: --b1-images must be at least 1")
    vx = reference.read_idx(f"{a.data_dir}/t10k-images-idx3-ubyte")[:a.test_limit]
    test_x = np.ascontiguousarray(((vx.astype(np.float32) / 255.0 - 0.1307) / 0.3081).reshape(len(vx), 784))
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            if name in SPIKING:
                print(f"ort.py: {name}: skipped, the spiking models have no ONNX reference", file=sys.stderr, flush=True)
                continue
            print(json.dumps(bench(name, test_x, a.batch_size, a.b1_images, a.threads, a.seed, tmp)), flush=True)


if __name__ == "__main__":
    main()
