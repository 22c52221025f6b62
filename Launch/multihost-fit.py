#!/usr/bin/env python3
"""Fits the allreduce cost model to Launch/multihost-measure.sh's results and checks it against training.

    python3 Launch/multihost-fit.py Launch/results/multihost > Launch/results/multihost/summary.md

For each allreduce run: T(n) = alpha + beta * bytes, ordinary least squares over the sizes >= 4 KB (median
times), alpha also read off the smallest sizes alone. Then, for 2 hosts x 1 rank at each rate: the
predicted training step (a compute step time + T(the model's message)) against the measured one: 376,736
bytes, the tutorial model's 47,092 fixed-point sums (gradient, loss, correct count) at 8 bytes each;
results of an earlier build that sent the 47,090-float gradient (188,360 bytes) are read as such.
Standard library only.
"""
import json
import os
import sys

FIT_FROM_BYTES = 4096
SMALL_BYTES = 64          # "alpha from the smallest sizes": the mean over messages of at most this
RATES = [("unlimited", None), ("1gbit", 1e9), ("100mbit", 1e8)]
# What tbf counts per full TCP segment on the veth (Ethernet 14 + IP 20 + TCP 20 + timestamps 12 +
# 1,448 payload = 1,514 bytes for 1,448 bytes of data): the best payload rate is 1448/1514 of the rate.
WIRE_PER_PAYLOAD = 1514 / 1448

directory = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "results", "multihost")


def element_size():
    """Bytes per allreduce element in these results: 8 (fixed-point sums) or 4 (an earlier build's floats)."""
    for name in sorted(os.listdir(directory)):
        if name.startswith("allreduce-") and name.endswith(".json"):
            row = json.load(open(os.path.join(directory, name)))["rows"][0]
            return row["bytes"] // row.get("elements", row.get("floats", 1))
    return 8


ELEMENT_BYTES = element_size()
GRADIENT_ELEMENTS = 47_092 if ELEMENT_BYTES == 8 else 47_090
GRADIENT_BYTES = GRADIENT_ELEMENTS * ELEMENT_BYTES


def load(name):
    path = os.path.join(directory, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as file:
        return json.load(file)


def least_squares(points):
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    sxy = sum((x - mx) * (y - my) for x, y in points)
    beta = sxy / sxx
    return my - beta * mx, beta


class Fit:
    def __init__(self, report, key="median_seconds"):
        self.rows = report["rows"]
        self.ranks = report["ranks"]
        self.hosts = len(set(report["hosts"]))
        points = [(r["bytes"], r[key]) for r in self.rows if r["bytes"] >= FIT_FROM_BYTES]
        self.alpha, self.beta = least_squares(points)            # seconds, seconds per byte
        small = [r[key] for r in self.rows if r["bytes"] <= SMALL_BYTES]
        self.alpha_small = sum(small) / len(small) if small else float("nan")
        self.measured = {r["bytes"]: r[key] for r in self.rows}

    def __call__(self, nbytes):
        return self.alpha + self.beta * nbytes

    @property
    def bandwidth(self):       # bytes per second, each way
        return 1 / self.beta if self.beta > 0 else float("inf")


def us(seconds):
    return f"{seconds * 1e6:,.1f}"


def ms(seconds):
    return f"{seconds * 1e3:,.2f}"


def phase(report, name):
    for p in report.get("phases", []):
        if p["name"] == name:
            return p["milliseconds_per_step"]
    return 0.0


out = []
emit = out.append
emit("# Tandem across simulated hosts: what the network costs\n")
emit("Produced by `Launch/multihost-measure.sh` (measurements) and `Launch/multihost-fit.py` (this file) "
     "from the JSON files next to it. Hosts are network namespaces on one 2-core VM, joined by a Linux "
     "bridge in its own namespace (`Launch/multihost.sh`); rate limits are `tc tbf` on each host's veth "
     "egress. All the ranks share the same 2 cores and memory: only the network is simulated.\n")

notes = os.path.join(directory, "notes.md")
if os.path.exists(notes):      # hand-written findings about this run, kept apart so that this file can be regenerated
    with open(notes) as file:
        emit(file.read().rstrip() + "\n")

# ---- allreduce tables ----------------------------------------------------------------------------
allreduce_runs = [
    ("allreduce-1host-2ranks-tree", "1 host × 2 ranks (shared memory), tree", None),
    ("allreduce-1host-2ranks-mpi", "1 host × 2 ranks (shared memory), MPI_Allreduce", None),
    ("allreduce-2hosts-unlimited-tree", "2 hosts × 1 rank, no limit, tree", None),
    ("allreduce-2hosts-unlimited-mpi", "2 hosts × 1 rank, no limit, MPI_Allreduce", None),
    ("allreduce-2hosts-1gbit-tree", "2 hosts × 1 rank, 1gbit, tree", 1e9),
    ("allreduce-2hosts-1gbit-mpi", "2 hosts × 1 rank, 1gbit, MPI_Allreduce", 1e9),
    ("allreduce-2hosts-100mbit-tree", "2 hosts × 1 rank, 100mbit, tree", 1e8),
    ("allreduce-2hosts-100mbit-mpi", "2 hosts × 1 rank, 100mbit, MPI_Allreduce", 1e8),
    ("allreduce-2hosts-unlimited-tree-eager1m", "2 hosts × 1 rank, no limit, tree, eager limit 1 MB", None),
    ("allreduce-2hosts-1gbit-tree-eager1m", "2 hosts × 1 rank, 1gbit, tree, eager limit 1 MB", 1e9),
    ("allreduce-2hosts-100mbit-tree-eager1m", "2 hosts × 1 rank, 100mbit, tree, eager limit 1 MB", 1e8),
    ("allreduce-4hosts-1gbit-oversubscribed-tree", "4 hosts × 1 rank, 1gbit, tree (OVERSUBSCRIBED: 4 ranks on 2 cores)", 1e9),
]
reports = {name: load(name) for name, _, _ in allreduce_runs}
fits = {name: Fit(r) for name, r in reports.items() if r}
fits_min = {name: Fit(r, "minimum_seconds") for name, r in reports.items() if r}

emit("## Allreduce time per call (median of repeats, rank 0's clock)\n")
present = [(n, label) for n, label, _ in allreduce_runs if reports[n]]
short = {n: n.replace("allreduce-", "").replace("-oversubscribed", " (oversub.)").replace("-eager1m", "-eager") for n, _ in present}
if present:
    sizes = sorted({r["bytes"] for n, _ in present for r in reports[n]["rows"]})
    emit("Times in µs. " + "; ".join(f"`{short[n]}`: {label}" for n, label in present) + ".\n")
    emit("| elements | bytes | " + " | ".join(short[n] for n, _ in present) + " |")
    emit("|---:|---:|" + "---:|" * len(present))
    for b in sizes:
        cells = [us(fits[n].measured[b]) if b in fits[n].measured else "" for n, _ in present]
        mark = " **(gradient)**" if b == GRADIENT_BYTES else ""
        emit(f"| {b // ELEMENT_BYTES:,}{mark} | {b:,} | " + " | ".join(cells) + " |")
    emit("")

# ---- fit ---------------------------------------------------------------------------------------------
emit(f"## Cost model T(n) = α + β·bytes\n")
emit(f"Ordinary least squares over the sizes ≥ {FIT_FROM_BYTES:,} bytes (median times); α (small) is the mean "
     f"time of the messages ≤ {SMALL_BYTES} bytes alone. With 2 ranks the tree allreduce is one MPI_Sendrecv "
     f"of n bytes each way (plus the sum), so 1/β is the payload bandwidth each way. \"Best TCP payload "
     f"rate\" = nominal × 1448/1514 (headers of a full segment, as tbf counts them).\n")
emit("| run | α fit (µs) | α small (µs) | β (ns/byte) | implied bandwidth | nominal | best TCP payload rate | implied / nominal | T(message) fit (ms) | measured (ms) | fit of min times: α (µs), β (ns/byte), bandwidth |")
emit("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for name, label, nominal in allreduce_runs:
    f = fits.get(name)
    if not f:
        continue
    bw = f.bandwidth
    nominal_text = f"{nominal / 1e6:,.0f} Mbit/s" if nominal else "—"
    best = f"{nominal / WIRE_PER_PAYLOAD / 1e6:,.1f} Mbit/s" if nominal else "—"
    ratio = f"{bw * 8 / nominal:.1%}" if nominal else "—"
    measured = f.measured.get(GRADIENT_BYTES)
    emit(f"| {short[name]} | {us(f.alpha)} | {us(f.alpha_small)} | {f.beta * 1e9:.3f} | {bw * 8 / 1e6:,.1f} Mbit/s "
         f"({bw / 1e6:,.1f} MB/s) | {nominal_text} | {best} | {ratio} | {ms(f(GRADIENT_BYTES))} | "
         f"{ms(measured) if measured else ''} | {us(fits_min[name].alpha)}, {fits_min[name].beta * 1e9:.3f}, "
         f"{fits_min[name].bandwidth * 8 / 1e6:,.1f} Mbit/s |")
emit("")

# Residuals of the 2-host tree fits, to show where the line holds.
emit("### Fit vs measured, 2 hosts tree (relative error of the fit)\n")
tree2 = [(f"allreduce-2hosts-{label}-tree", label) for label, _ in RATES if fits.get(f"allreduce-2hosts-{label}-tree")]
if tree2:
    emit("| bytes | " + " | ".join(f"{label}: measured / fit µs (err)" for _, label in tree2) + " |")
    emit("|---:|" + "---:|" * len(tree2))
    for b in sorted(fits[tree2[0][0]].measured):
        cells = []
        for n, _ in tree2:
            m, p = fits[n].measured.get(b), fits[n](b)
            cells.append(f"{us(m)} / {us(p)} ({(p - m) / m:+.0%})" if m else "")
        emit(f"| {b:,} | " + " | ".join(cells) + " |")
    emit("")

one = load("allreduce-2hosts-unlimited-tree-one-invocation")
if one and fits.get("allreduce-2hosts-unlimited-tree"):
    per_size = fits["allreduce-2hosts-unlimited-tree"].measured
    emit("### Why one invocation per size\n")
    emit("`tandem bench allreduce` refills its whole buffer, sized for the largest message asked for, before "
         "every timed call, inside the timing (CollectiveBenchmark.run: `buffer.fill(with: 0)`). With the sizes "
         "up to 262,144 floats in one invocation that adds a 1 MB fill to every call. The tables above use one "
         "invocation per size (the fill is then the message itself). 2 hosts, no limit, tree, µs:\n")
    emit("| bytes | one invocation per size | all sizes in one invocation | difference |")
    emit("|---:|---:|---:|---:|")
    for row in one["rows"]:
        b = row["bytes"]
        if b in per_size and (b <= 4096 or b == GRADIENT_BYTES):
            emit(f"| {b:,} | {us(per_size[b])} | {us(row['median_seconds'])} | {us(row['median_seconds'] - per_size[b])} |")
    emit("")

# ---- training ----------------------------------------------------------------------------------------
training_runs = [
    ("training-1rank", "1 rank alone, batch 32"),
    ("training-1rank-batch16", "1 rank alone, batch 16 (one rank's share of the 2-rank runs)"),
    ("training-1rank-after", "1 rank alone, batch 32, again at the end (drift check)"),
    ("training-1host-2ranks", "1 host × 2 ranks (shared memory)"),
    ("training-2hosts-unlimited", "2 hosts × 1 rank, no limit"),
    ("training-2hosts-1gbit", "2 hosts × 1 rank, 1gbit"),
    ("training-2hosts-100mbit", "2 hosts × 1 rank, 100mbit"),
    ("training-2hosts-unlimited-eager1m", "2 hosts × 1 rank, no limit, eager limit 1 MB"),
    ("training-2hosts-1gbit-eager1m", "2 hosts × 1 rank, 1gbit, eager limit 1 MB"),
    ("training-2hosts-100mbit-eager1m", "2 hosts × 1 rank, 100mbit, eager limit 1 MB"),
    ("training-4hosts-1gbit-oversubscribed", "4 hosts × 1 rank, 1gbit (OVERSUBSCRIBED: 4 ranks on 2 cores)"),
]
training = {name: load(name) for name, _ in training_runs}
emit("## Training throughput (`tandem bench`, synthetic data, global batch 32 unless noted, tree allreduce)\n")
emit("Median of the repeats; phases in ms per step (averages over all the timed steps of all ranks); "
     "compute = step − wait − allreduce.\n")
emit("| run | images/s min / median / max | step ms (median) | forward | backward | gradient sum | optimizer | wait | allreduce | compute |")
emit("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for name, label in training_runs:
    r = training[name]
    if not r:
        continue
    ips, step = r["images_per_second"], r["step_milliseconds"]["median"]
    wait, allreduce = phase(r, "wait"), phase(r, "allreduce")
    emit(f"| {label} | {ips['min']:,.0f} / {ips['median']:,.0f} / {ips['max']:,.0f} | {step:.2f} | "
         f"{phase(r, 'forward'):.2f} | {phase(r, 'backward'):.2f} | {phase(r, 'gradient sum'):.2f} | "
         f"{phase(r, 'optimizer'):.2f} | {wait:.2f} | {allreduce:.2f} | {step - wait - allreduce:.2f} |")
emit("")

# ---- check ------------------------------------------------------------------------------------------
emit("## Check: predicted vs measured 2-host step time\n")
one = training.get("training-1rank")
half = training.get("training-1rank-batch16")
if one:
    c32 = one["step_milliseconds"]["median"]
    c16 = half["step_milliseconds"]["median"] if half else None
    emit(f"T({GRADIENT_BYTES:,} B) from each rate's 2-host tree fit. Compute references: (A) the 1-rank step at the global "
         f"batch 32, as asked: {c32:.2f} ms; (B) the 1-rank step at batch 16, the work one of 2 ranks actually "
         f"does per step (data parallel: each rank takes half the global batch)"
         + (f": {c16:.2f} ms" if c16 else " (not measured)") + ".\n")
    emit("T is taken three ways: the least-squares fit of the median times (as specified), the same fit of the "
         "minimum times (less sensitive to the slow outliers of the large sizes), and the measured median at "
         f"{GRADIENT_ELEMENTS:,} elements itself.\n")
    emit("| rate | T fit median / fit min / measured (ms) | allreduce phase in training (ms) | wait (ms) | measured step (ms) | predicted A = 1-rank(32) + T fit median (err) | predicted B = 1-rank(16) + T fit median (err) | B with T fit min (err) | B with T measured (err) | images/s measured / predicted B (fit median) |")
    emit("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, suffix in [(l, s) for s in ("", "-eager1m") for l, _ in RATES]:
        name = f"allreduce-2hosts-{label}-tree{suffix}"
        f, fm = fits.get(name), fits_min.get(name)
        r = training.get(f"training-2hosts-{label}{suffix}")
        label = label + (" (eager 1 MB)" if suffix else "")
        if not (f and r):
            continue
        t = f(GRADIENT_BYTES) * 1e3
        t_min = fm(GRADIENT_BYTES) * 1e3
        t_measured = f.measured.get(GRADIENT_BYTES, float("nan")) * 1e3
        step = r["step_milliseconds"]["median"]

        def cell(value):
            return f"{value:.2f} ({(value - step) / step:+.1%})"

        b = lambda t_: cell(c16 + t_) if c16 else ""
        ips = f"{r['images_per_second']['median']:,.0f} / {32e3 / (c16 + t):,.0f}" if c16 else ""
        emit(f"| {label} | {t:.3f} / {t_min:.3f} / {t_measured:.3f} | {phase(r, 'allreduce'):.3f} | {phase(r, 'wait'):.3f} | "
             f"{step:.2f} | {cell(c32 + t)} | {b(t)} | {b(t_min)} | {b(t_measured)} | {ips} |")
    emit("")

commands = os.path.join(directory, "commands.md")
if os.path.exists(commands):
    emit("## Exact commands\n")
    emit("Everything below is what `Launch/multihost-measure.sh` ran (then `python3 Launch/multihost-fit.py "
         "Launch/results/multihost > Launch/results/multihost/summary.md`). "
         "Setup and teardown: `Launch/multihost.sh up 2`, `Launch/multihost.sh rate 1gbit` (or `100mbit`, "
         "`none`), `Launch/multihost.sh down`. The full mpirun line that `multihost.sh run` executes in "
         "tandem-h0 is at the top of each 2/4-host run's `.txt` log. In order:\n")
    with open(commands) as file:
        lines = file.read().splitlines()
    out.extend(line for line in lines if not line.startswith("# "))
    emit("")

print("\n".join(out))
