#!/usr/bin/env python3
"""Side-by-side benchmark: wattsweep (Burn) against the PyTorch reference, alternating, in one run.

For each repeat and each model it runs `wattsweep bench --json --models M` and then
`reference.py --models M` (fresh processes, one at a time, so neither shares the CPU with the
other), and prints per model the training-throughput ratio wattsweep/PyTorch with min/median/max
over the repeats, then the same for evaluation and inference (training batch size and batch 1). Run it on a quiet machine: any other load makes both sides meaningless.

With --ort, each repeat also runs `ort.py --models M` (the same architecture exported from PyTorch and run
on ONNX Runtime's CPU execution provider, --ort-threads intra-op threads) right after the other two, and
two more tables follow: evaluation images/s (the test set at batch 1000) and median batch-1 latency for
wattsweep, PyTorch and ONNX Runtime, with the speed ratios wattsweep÷ONNX Runtime and wattsweep÷PyTorch
(images/s over images/s, so above 1 means wattsweep is faster), min–median–max over the repeats. The
spiking models have no ONNX reference: their rows say so. The training tables are printed as without it.

    scripts/bench/compare.py --data-dir data/mnist --repeats 3 --train-limit 20000
    scripts/bench/compare.py --data-dir data/mnist --ort --models mlp,cnn,rnn,lstm,gru --repeats 3
    scripts/bench/compare.py --data-dir data/mnist --showdown     # full showdown wall time, both sides

Needs: target/release/wattsweep (cargo build --release) and a python with torch==2.9.0
(`--python`, default: the venv made by scripts/setup-libtorch.sh, else python3); for --ort also
onnxruntime and onnx in that python (`.venv-torch/bin/pip install onnxruntime onnx`).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SPIKING = ("snn", "csnn")  # no ONNX reference (see ort.py)


def run_json(cmd):
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"compare.py: exit status {done.returncode} from: {' '.join(cmd)}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def default_python():
    venv = os.path.join(ROOT, ".venv-torch", "bin", "python")
    return venv if os.path.exists(venv) else sys.executable


def showdown(a):
    """Wall time of experiments/showdown.toml in wattsweep vs the same work in PyTorch."""
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        subprocess.run([a.wattsweep, "-q", "run", os.path.join(ROOT, "experiments/showdown.toml"), "--data-dir", a.data_dir,
                        "--out", out, "--no-fetch"], check=True)
        ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = run_json([a.python, os.path.join(HERE, "reference.py"), "--data-dir", a.data_dir, "--models", "mlp,cnn,rnn,snn",
                    "--epochs", "5"])
    theirs = time.perf_counter() - t0
    print(f"showdown (4 models x 5 epochs, full MNIST): wattsweep {ours:.1f} s, PyTorch {theirs:.1f} s, "
          f"speed-up {theirs / ours:.2f}x")
    for r in ref:
        print(f"  pytorch {r['model']}: accuracy {r['test_accuracy']:.4f}, train {r['train_time_s']:.1f} s")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default="data/mnist")
    p.add_argument("--models", default="mlp,cnn,rnn,lstm,gru,snn,csnn")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--train-limit", type=int, default=20000)
    p.add_argument("--test-limit", type=int, default=10000)
    p.add_argument("--backend", default="flex")
    p.add_argument("--wattsweep", default=os.path.join(ROOT, "target/release/wattsweep"))
    p.add_argument("--python", default=default_python())
    p.add_argument("--b1-images", type=int, default=1000, help="images classified one at a time (all sides)")
    p.add_argument("--ort", action="store_true", help="also run ort.py (ONNX Runtime) and print its inference tables")
    p.add_argument("--ort-threads", type=int, default=2, help="ONNX Runtime intra-op threads (inter-op: 1)")
    p.add_argument("--showdown", action="store_true", help="time the full showdown instead")
    a = p.parse_args()
    if a.showdown:
        return showdown(a)
    limits = ["--train-limit", str(a.train_limit), "--test-limit", str(a.test_limit), "--b1-images", str(a.b1_images)]
    ratios, rows, peaks, onnx = {}, {}, [], {}
    for rep in range(a.repeats):
        for m in a.models.split(","):
            lines = run_json([a.wattsweep, "bench", "--json", "--models", m, "--backend", a.backend,
                              "--data-dir", a.data_dir] + limits)
            ours = next(x for x in lines if "model" in x)
            peaks.append(next(x for x in lines if "fma_peak_gflop_per_s" in x))
            ref = run_json([a.python, os.path.join(HERE, "reference.py"), "--models", m, "--data-dir", a.data_dir] + limits)[0]
            r = ours["train_images_per_s"] / ref["train_images_per_s"]
            ratios.setdefault(m, []).append(r)
            rows.setdefault(m, []).append((ours, ref))
            print(f"repeat {rep + 1}: {m}: wattsweep {ours['train_images_per_s']:.0f} img/s, "
                  f"pytorch {ref['train_images_per_s']:.0f} img/s, ratio {r:.2f}", file=sys.stderr, flush=True)
            if a.ort and m not in SPIKING:
                o = run_json([a.python, os.path.join(HERE, "ort.py"), "--models", m, "--data-dir", a.data_dir,
                              "--test-limit", str(a.test_limit), "--b1-images", str(a.b1_images),
                              "--threads", str(a.ort_threads)])[0]
                onnx.setdefault(m, []).append(o)
                print(f"repeat {rep + 1}: {m}: eval img/s wattsweep {ours['eval_images_per_s']:.0f}, pytorch "
                      f"{ref['eval_images_per_s']:.0f}, {o['runtime']} {o['eval_images_per_s']:.0f}",
                      file=sys.stderr, flush=True)
    # Training: wattsweep / PyTorch images per second, min–median–max over the repeats.
    print("| model | wattsweep train img/s | PyTorch train img/s | ratio min | ratio median | ratio max | "
          "wattsweep peak MiB | PyTorch peak MiB |")
    print("|---|---|---|---|---|---|---|---|")
    for m, rs in ratios.items():
        med = lambda key, i: statistics.median(x[i][key] for x in rows[m])
        print(f"| {m} | {med('train_images_per_s', 0):.0f} | {med('train_images_per_s', 1):.0f} | {min(rs):.2f} | "
              f"{statistics.median(rs):.2f} | {max(rs):.2f} | {med('peak_rss_mb', 0):.0f} | {med('peak_rss_mb', 1):.0f} |")
    # Inference: evaluation (batches of 1000), the training batch size and batch 1, each as a
    # ratio of images per second (min–median–max).
    print()
    print("| model | eval (1000) ratio | infer batch ratio | batch-1 ratio | wattsweep infer img/s | PyTorch infer img/s | "
          "wattsweep b1 latency ms | PyTorch b1 latency ms |")
    print("|---|---|---|---|---|---|---|---|")
    for m in ratios:
        def spread(key):
            rs = [o[key] / r[key] for o, r in rows[m]]
            return f"{min(rs):.2f}–{statistics.median(rs):.2f}–{max(rs):.2f}"
        med = lambda key, i: statistics.median(x[i][key] for x in rows[m])
        print(f"| {m} | {spread('eval_images_per_s')} | {spread('infer_images_per_s')} | "
              f"{spread('infer_b1_images_per_s')} | {med('infer_images_per_s', 0):.0f} | "
              f"{med('infer_images_per_s', 1):.0f} | {med('infer_b1_latency_ms', 0):.3f} | "
              f"{med('infer_b1_latency_ms', 1):.3f} |")
    # Training FLOP/s against the machine's measured fp32 FMA peak (`wattsweep bench` measures it
    # before each model; the median of those measurements is the peak used here).
    peak = statistics.median(x["fma_peak_gflop_per_s"] for x in peaks)
    print()
    print(f"fp32 FMA peak, measured by `wattsweep bench` ({peaks[0]['fma_peak_threads']} threads, "
          f"{peaks[0]['fma_peak_isa']}): median {peak:.0f} GFLOP/s over {len(peaks)} measurements")
    print()
    print("| model | wattsweep train GFLOP/s (median) | share of the FMA peak |")
    print("|---|---|---|")
    for m in ratios:
        g = [o["train_gflop_per_s"] for o, _ in rows[m] if o.get("train_gflop_per_s") is not None]
        if g:
            print(f"| {m} | {statistics.median(g):.0f} | {statistics.median(g) / peak * 100:.0f} % |")
    if a.ort:
        ort_tables(rows, onnx, a)


def ort_tables(rows, onnx, a):
    """Evaluation and batch-1 inference of wattsweep, PyTorch and ONNX Runtime. Repeat i of each side ran
    back to back, so ratios pair repeat i with repeat i; speed ratios are images/s over images/s."""
    runtime = next((o[0]["runtime"] for o in onnx.values()), "onnxruntime")

    def spread(ours, theirs, key):
        rs = [x[key] / y[key] for x, y in zip(ours, theirs)]
        return f"{min(rs):.2f}–{statistics.median(rs):.2f}–{max(rs):.2f}"

    def med(xs, key, fmt):
        return format(statistics.median(x[key] for x in xs), fmt)

    for title, key, shown, fmt in (
            ("evaluation, test set at batch 1000: images/s", "eval_images_per_s", "eval_images_per_s", ".0f"),
            ("batch 1: median latency ms", "infer_b1_images_per_s", "infer_b1_latency_ms", ".3f")):
        print()
        print(f"{title} (median of {a.repeats}); speed ratios min–median–max; {runtime}, "
              f"{a.ort_threads} intra-op threads")
        print()
        print("| model | wattsweep | PyTorch | ONNX Runtime | wattsweep÷ONNX Runtime | wattsweep÷PyTorch |")
        print("|---|---|---|---|---|---|")
        for m, pairs in rows.items():
            ours, ref = [x for x, _ in pairs], [y for _, y in pairs]
            if m in onnx:
                o = onnx[m]
                ort_cells = f"{med(o, shown, fmt)} | {spread(ours, o, key)}"
            else:
                ort_cells = "— (no ONNX reference) | —"
            print(f"| {m} | {med(ours, shown, fmt)} | {med(ref, shown, fmt)} | {ort_cells} | {spread(ours, ref, key)} |")


if __name__ == "__main__":
    main()
