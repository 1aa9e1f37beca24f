#!/usr/bin/env python3
"""Write a tiny synthetic MNIST-shaped data set (the four IDX files) for checks and demos.

Class k is a bright horizontal bar on rows 2k+4..2k+6 plus noise, so every model can learn it in
an epoch. Not MNIST: wattsweep will warn that the files are not the official release.

    scripts/synthetic-data.py DIR [--train 600] [--test 200] [--seed 1]
"""
import argparse
import os
import random
import struct


def images_and_labels(n, rng):
    images, labels = bytearray(), bytearray()
    for i in range(n):
        k = i % 10
        labels.append(k)
        for r in range(28):
            bar = 180 if 2 * k + 4 <= r < 2 * k + 6 else 0
            images.extend(bar + rng.randrange(64) for _ in range(28))
    return bytes(images), bytes(labels)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dir")
    p.add_argument("--train", type=int, default=600)
    p.add_argument("--test", type=int, default=200)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    rng = random.Random(a.seed)
    for prefix, n in (("train", a.train), ("t10k", a.test)):
        images, labels = images_and_labels(n, rng)
        with open(os.path.join(a.dir, f"{prefix}-images-idx3-ubyte"), "wb") as f:
            f.write(struct.pack(">IIII", 0x803, n, 28, 28) + images)
        with open(os.path.join(a.dir, f"{prefix}-labels-idx1-ubyte"), "wb") as f:
            f.write(struct.pack(">II", 0x801, n) + labels)


if __name__ == "__main__":
    main()
