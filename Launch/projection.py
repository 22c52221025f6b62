#!/usr/bin/env python3
"""Projects Tandem's scaling efficiency to 8-256 nodes from quantities measured on this machine.

    python3 Launch/projection.py [Launch/results/multihost]

Inputs (from the JSON reports of Launch/multihost-measure.sh):
  c1, c0  compute per step on one rank: T_compute(b) = c0 + b*c1, from `tandem bench` at batch 32 and 16
          (b = samples per rank; c0 is the per-step fixed cost: Adam and the Winograd kernel transforms);
  alpha   per-message cost of one exchange, from the smallest messages between two simulated hosts;
  eta     the fraction of the nominal link rate TCP delivered in the rate-limited runs.
Per node: one rank per node. The message: m = 47,092 elements (the tutorial model's gradient, loss and
correct count), summed as 8-byte fixed-point integers (S = 8m bytes) and handed out as 4-byte floats
(F = 4m bytes); beta = 8 / (eta * rate).

Allreduce over N ranks (full-duplex links, each step one exchange with one partner):
  tree-doubling (recursive doubling of the sums):     log2(N) * (alpha + S*beta)
  tree-halving (halving of the sums, a reduce-scatter, then doubling of the floats, an allgather;
                what --allreduce tree uses for messages of 32 KB and more):
                                                      2*log2(N)*alpha + (N-1)/N * (S + F)*beta
  ring (typical MPI_Reduce_scatter + MPI_Allgatherv):  2*(N-1)*alpha + (N-1)/N * (S + F)*beta
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


ELEMENTS = 47_092
SUM_BYTES, FLOAT_BYTES = 8 * ELEMENTS, 4 * ELEMENTS
step32 = load("training-1rank")["step_milliseconds"]["median"] / 1000
step16 = load("training-1rank-batch16")["step_milliseconds"]["median"] / 1000
c1 = (step32 - step16) / 16
c0 = step16 - 16 * c1
small = [row["median_seconds"] for row in load("allreduce-2hosts-unlimited-tree")["rows"] if row["bytes"] <= 64]
alpha = sum(small) / len(small)
# Delivered fraction of the nominal rate: the model's allreduce between 2 hosts at 100 Mbit/s, where the
# link, not the hosts, sets the time: tree-halving, two exchanges, (S + F)/2 bytes each way in all, with
# the 1 MB eager limit Launch/cluster.sh sets (no rendezvous handshake queued behind the data).
slow = next(row for row in load("allreduce-2hosts-100mbit-tree-eager1m")["rows"] if row["bytes"] == SUM_BYTES)
eta = (SUM_BYTES + FLOAT_BYTES) / 2 * 8 / 1e8 / (slow["median_seconds"] - 2 * alpha)
eta = min(eta, 0.95)


def allreduce(kind, ranks, beta):
    if ranks == 1:
        return 0.0
    steps = math.log2(ranks)
    if kind == "tree":
        return steps * (alpha + SUM_BYTES * beta)
    volume = (ranks - 1) / ranks * (SUM_BYTES + FLOAT_BYTES) * beta
    if kind == "halving":
        return 2 * steps * alpha + volume
    return 2 * (ranks - 1) * alpha + volume


def step(samples, ranks, beta, kind):
    return c0 + samples * c1 + allreduce(kind, ranks, beta)


print(f"Measured inputs: c1 = {c1 * 1e3:.3f} ms per sample, c0 = {c0 * 1e3:.3f} ms per step "
      f"(1 rank: {step32 * 1e3:.2f} ms at batch 32, {step16 * 1e3:.2f} ms at batch 16); "
      f"alpha = {alpha * 1e6:.1f} us; eta = {eta:.2f} of the nominal rate.\n")
nodes = [8, 16, 32, 64, 128, 256]
for rate_name, rate in (("10 Gbit/s", 1e10), ("100 Gbit/s", 1e11)):
    beta = 8 / (eta * rate)
    print(f"### {rate_name} (beta = {beta * 1e9:.3f} ns/B; the allreduce between 2 nodes, tree-halving = "
          f"{allreduce('halving', 2, beta) * 1e3:.3f} ms)\n")
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
