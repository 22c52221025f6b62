#!/usr/bin/env python3
"""Projects Tandem's scaling efficiency to 8-256 nodes from quantities measured on this machine.

    python3 Launch/projection.py [Launch/results/multihost]

Inputs (from the JSON reports of Launch/multihost-measure.sh):
  c1, c0  compute per step on one rank: T_compute(b) = c0 + b*c1, from `tandem bench` at batch 32 and 16
          (b = samples per rank; c0 is the per-step fixed cost: Adam and the Winograd kernel transforms);
  alpha   per-message cost of one exchange, from the smallest messages between two simulated hosts;
  eta     the fraction of the nominal link rate TCP delivered in the rate-limited runs.
Per node: one rank per node, n = 376,736 bytes (the tutorial model's 47,092 fixed-point sums: gradient,
loss and correct count, 8 bytes each); beta = 8 / (eta * rate).

Allreduce of n bytes over N ranks (full-duplex links, each step one exchange with one partner):
  tree-doubling (recursive doubling):                log2(N) * (alpha + n*beta)
  tree-halving (Rabenseifner's halving then doubling; what --allreduce tree uses from 4 ranks on):  2*log2(N)*alpha + 2*(N-1)/N * n*beta
  ring (typical MPI_Allreduce for large messages):  2*(N-1)*alpha + 2*(N-1)/N * n*beta
Step time T(N, b) = c0 + b*c1 + A(N). Strong scaling (global batch B fixed, b = B/N):
efficiency = T(1, B) / (N * T(N, B/N)). Weak scaling (b fixed): efficiency = T(1, b) / T(N, b).
"""
import json
import math
import os
import sys

directory = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "results", "multihost-exact-sums")


def load(name):
    with open(os.path.join(directory, name + ".json")) as file:
        return json.load(file)


GRADIENT_BYTES = 47_092 * 8
step32 = load("training-1rank")["step_milliseconds"]["median"] / 1000
step16 = load("training-1rank-batch16")["step_milliseconds"]["median"] / 1000
c1 = (step32 - step16) / 16
c0 = step16 - 16 * c1
small = [row["median_seconds"] for row in load("allreduce-2hosts-unlimited-tree")["rows"] if row["bytes"] <= 64]
alpha = sum(small) / len(small)
# Delivered fraction of the nominal rate: the gradient allreduce (one exchange of n bytes each way)
# at 100 Mbit/s, where the link, not the hosts, sets the time.
slow = next(row for row in load("allreduce-2hosts-100mbit-tree")["rows"] if row["bytes"] == GRADIENT_BYTES)
eta = GRADIENT_BYTES * 8 / 1e8 / (slow["median_seconds"] - alpha)
eta = min(eta, 0.95)


def allreduce(kind, ranks, beta):
    if ranks == 1:
        return 0.0
    steps = math.log2(ranks)
    volume = GRADIENT_BYTES * beta
    if kind == "tree":
        return steps * (alpha + volume)
    if kind == "halving":
        return 2 * steps * alpha + 2 * (ranks - 1) / ranks * volume
    return 2 * (ranks - 1) * alpha + 2 * (ranks - 1) / ranks * volume


def step(samples, ranks, beta, kind):
    return c0 + samples * c1 + allreduce(kind, ranks, beta)


print(f"Measured inputs: c1 = {c1 * 1e3:.3f} ms per sample, c0 = {c0 * 1e3:.3f} ms per step "
      f"(1 rank: {step32 * 1e3:.2f} ms at batch 32, {step16 * 1e3:.2f} ms at batch 16); "
      f"alpha = {alpha * 1e6:.1f} us; eta = {eta:.2f} of the nominal rate.\n")
nodes = [8, 16, 32, 64, 128, 256]
for rate_name, rate in (("10 Gbit/s", 1e10), ("100 Gbit/s", 1e11)):
    beta = 8 / (eta * rate)
    print(f"### {rate_name} (beta = {beta * 1e9:.3f} ns/B; one exchange of the gradient = "
          f"{(alpha + GRADIENT_BYTES * beta) * 1e3:.3f} ms)\n")
    print("| mode | per-rank batch | " + " | ".join(f"N={n}" for n in nodes) + " |")
    print("|---|---|" + "---|" * len(nodes))
    for label, kind in (("tree-doubling", "tree"), ("tree-halving", "halving"), ("ring", "ring")):
        for global_batch in (256, 1024):
            cells = []
            for n in nodes:
                if global_batch % n:
                    cells.append("–")
                    continue
                efficiency = step(global_batch, 1, beta, kind) / (n * step(global_batch // n, n, beta, kind))
                cells.append(f"{100 * efficiency:.0f}%")
            print(f"| strong, global {global_batch}, {label} | {global_batch}/N | " + " | ".join(cells) + " |")
        for samples in (16, 32):
            cells = [f"{100 * step(samples, 1, beta, kind) / step(samples, n, beta, kind):.0f}%" for n in nodes]
            print(f"| weak, {label} | {samples} | " + " | ".join(cells) + " |")
    print()
