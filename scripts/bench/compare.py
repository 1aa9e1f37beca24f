#!/usr/bin/env python3
"""Side-by-side benchmark: wattsweep (Burn) against the PyTorch reference, alternating, in one run.

For each repeat and each model it runs `wattsweep bench --json --models M` and then
`reference.py --models M` (fresh processes, one at a time, so neither shares the CPU with the
other), and prints per model the training-throughput ratio wattsweep/PyTorch with min/median/max
over the repeats, then the same for evaluation and inference (training batch size and batch 1). Run it on a quiet machine: any other load makes both sides meaningless.

    scripts/bench/compare.py --data-dir data/mnist --repeats 3 --train-limit 20000
    scripts/bench/compare.py --data-dir data/mnist --showdown     # full showdown wall time, both sides

Needs: target/release/wattsweep (cargo build --release) and a python with torch==2.9.0
(`--python`, default: the venv made by scripts/setup-libtorch.sh, else python3).
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


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


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
    p.add_argument("--showdown", action="store_true", help="time the full showdown instead")
    a = p.parse_args()
    if a.showdown:
        return showdown(a)
    limits = ["--train-limit", str(a.train_limit), "--test-limit", str(a.test_limit)]
    ratios, rows, peaks = {}, {}, []
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


if __name__ == "__main__":
    main()
