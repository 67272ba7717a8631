#!/usr/bin/env python3
"""One-core NumPy port of spikemem's surrogate-gradient training step (Schaefer et al.
2020's 700 -> 400 -> 250 current-based LIF network, float weights, SGD), for
`spikemem bench snn` to time against on the same problem.

Usage: schaefer_numpy.py DIR EPOCHS
DIR holds float32 .npy files written by the bench: input (steps x inputs), target
(steps x outputs), w0, w1, ... (effective weights, n_in x n_out) and params.json
(alpha, beta, threshold, reset, surrogate_scale, van_rossum_decay, van_rossum_tau_s,
learning_rate, scales). Prints one JSON line: {"seconds_per_epoch": .., "van_rossum": [..]}.

The port is written the way one writes NumPy: every step is a vector operation over a
layer's neurons, the projections are matrix products (BLAS, limited to one thread),
only the time loops are Python loops (as in the authors' PyTorch code).
"""
import json
import os
import sys

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import time  # noqa: E402

import numpy as np  # noqa: E402


def lif_forward(cur, p):
    steps, n = cur.shape
    syn = np.zeros(n, np.float32)
    mem = np.zeros(n, np.float32)
    spikes = np.zeros((steps, n), np.float32)
    surr = np.zeros((steps, n), np.float32)
    for t in range(steps):
        u = mem - p["threshold"]
        s = (u > 0).astype(np.float32)
        spikes[t] = s
        surr[t] = 1.0 / (p["surrogate_scale"] * np.abs(u) + 1.0) ** 2
        new_syn = p["alpha"] * syn + cur[t]
        mem = p["beta"] * mem + syn - p["reset"] * s
        syn = new_syn
    return spikes, surr


def lif_backward(grad_spikes, surr, p):
    steps, n = grad_spikes.shape
    g_mem = np.zeros(n, np.float32)
    g_syn = np.zeros(n, np.float32)
    grad_cur = np.zeros((steps, n), np.float32)
    for t in range(steps - 1, -1, -1):
        grad_cur[t] = g_syn
        syn_t = p["alpha"] * g_syn + g_mem
        g_mem = p["beta"] * g_mem + surr[t] * grad_spikes[t]
        g_syn = syn_t
    return grad_cur


def van_rossum(out, target, p):
    decay, tau = p["van_rossum_decay"], p["van_rossum_tau_s"]
    steps, n = out.shape
    fo = np.zeros(n, np.float32)
    ft = np.zeros(n, np.float32)
    diff = np.zeros((steps, n), np.float32)
    for t in range(steps):
        fo = decay * fo + out[t]
        ft = decay * ft + target[t]
        diff[t] = fo - ft
    dist = float(np.sqrt(np.sum(diff.astype(np.float64) ** 2) / tau))
    grad = np.zeros_like(diff)
    if dist > 0:
        acc = np.zeros(n, np.float32)
        k = np.float32(1.0 / (tau * dist))
        for t in range(steps - 1, -1, -1):
            acc = decay * acc + k * diff[t]
            grad[t] = acc
    return dist, grad


def epoch(x, target, ws, p):
    acts, surrs = [x], []
    for w in ws:
        s, su = lif_forward(acts[-1] @ w, p)
        acts.append(s)
        surrs.append(su)
    dist, g = van_rossum(acts[-1], target, p)
    for i in range(len(ws) - 1, -1, -1):
        gc = lif_backward(g, surrs[i], p)
        gw = acts[i].T @ gc
        if i > 0:
            g = gc @ ws[i].T
        # Master weights are effective / scale; SGD on them, clipped to +-1.
        scale = p["scales"][i]
        master = np.clip(ws[i] / scale - p["learning_rate"] * gw * scale, -1.0, 1.0)
        ws[i] = (master * scale).astype(np.float32)
    return dist


def main():
    d, epochs = sys.argv[1], int(sys.argv[2])
    with open(os.path.join(d, "params.json")) as f:
        p = json.load(f)
    x = np.load(os.path.join(d, "input.npy"))
    target = np.load(os.path.join(d, "target.npy"))
    ws = []
    while os.path.exists(os.path.join(d, f"w{len(ws)}.npy")):
        ws.append(np.load(os.path.join(d, f"w{len(ws)}.npy")))
    losses = []
    start = time.perf_counter()
    for _ in range(epochs):
        losses.append(epoch(x, target, ws, p))
    secs = (time.perf_counter() - start) / max(epochs, 1)
    print(json.dumps({"seconds_per_epoch": secs, "van_rossum": losses}))


if __name__ == "__main__":
    main()
