#!/usr/bin/env python3
"""Turns the JSON reports of Launch/scaling.sh into scaling.csv, scaling.md and scaling.svg."""
import json
import pathlib
import sys

directory = pathlib.Path(sys.argv[1])
cores = int(sys.argv[2])
rows = []
for mode in ("strong", "weak"):
    reports = sorted((json.loads(path.read_text()) for path in directory.glob(f"{mode}-*.json")), key=lambda r: r["ranks"])
    if not reports:
        continue
    base = reports[0]["images_per_second"]["median"] / reports[0]["ranks"]
    for report in reports:
        phases = {phase["name"]: phase["milliseconds_per_step"] for phase in report["phases"]}
        step = report["step_milliseconds"]["median"]
        rows.append({
            "mode": mode, "ranks": report["ranks"], "global_batch": report["global_batch"],
            "images_per_second": report["images_per_second"]["median"],
            "images_per_second_min": report["images_per_second"]["min"],
            "efficiency": report["images_per_second"]["median"] / (report["ranks"] * base),
            "step_ms": step,
            "compute_ms": phases["data"] + phases["forward"] + phases["backward"] + phases["gradient sum"],
            "wait_ms": phases.get("wait", 0.0), "allreduce_ms": phases["allreduce"], "optimizer_ms": phases["optimizer"],
            "oversubscribed": report["ranks"] * report["threads_per_rank"] > cores,
        })

with open(directory / "scaling.csv", "w") as csv:
    csv.write(",".join(rows[0].keys()) + "\n")
    for row in rows:
        csv.write(",".join(str(value) for value in row.values()) + "\n")

lines = ["| mode | N | global batch | images/s (median) | min | efficiency | step ms | compute | wait | allreduce | optimizer | note |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|"]
for row in rows:
    note = "OVERSUBSCRIBED (N > cores)" if row["oversubscribed"] else ""
    lines.append(f"| {row['mode']} | {row['ranks']} | {row['global_batch']} | {row['images_per_second']:.0f} | "
                 f"{row['images_per_second_min']:.0f} | {100 * row['efficiency']:.1f}% | {row['step_ms']:.2f} | "
                 f"{row['compute_ms']:.2f} | {row['wait_ms']:.3f} | {row['allreduce_ms']:.3f} | {row['optimizer_ms']:.3f} | {note} |")
(directory / "scaling.md").write_text("\n".join(lines) + "\n")
print("\n".join(lines))

# A small line chart: images/s against N, measured and ideal, per mode.
width, height, margin = 560, 360, 60
top = max(max(row["images_per_second"] for row in rows), max(row["ranks"] for row in rows) * rows[0]["images_per_second"]) * 1.1
max_ranks = max(row["ranks"] for row in rows)
def x(n): return margin + (width - 2 * margin) * (n - 1) / max(max_ranks - 1, 1)
def y(v): return height - margin - (height - 2 * margin) * v / top
colours = {"strong": "#1f77b4", "weak": "#d62728"}
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
       f'<rect width="{width}" height="{height}" fill="white"/>',
       f'<line x1="{margin}" y1="{height - margin}" x2="{width - margin}" y2="{height - margin}" stroke="black"/>',
       f'<line x1="{margin}" y1="{margin}" x2="{margin}" y2="{height - margin}" stroke="black"/>',
       f'<text x="{width / 2}" y="{height - 20}" text-anchor="middle">ranks N ({cores} cores; N &gt; {cores} is oversubscribed)</text>',
       f'<text x="15" y="{height / 2}" transform="rotate(-90 15 {height / 2})" text-anchor="middle">images/s</text>',
       f'<text x="{width / 2}" y="25" text-anchor="middle" font-weight="bold">Tandem training throughput: strong and weak scaling</text>']
for n in sorted({row["ranks"] for row in rows}):
    svg.append(f'<text x="{x(n)}" y="{height - margin + 16}" text-anchor="middle">{n}</text>')
for tick in range(0, int(top), max(500, int(top / 6 / 500) * 500)):
    svg.append(f'<text x="{margin - 6}" y="{y(tick) + 4}" text-anchor="end">{tick}</text>')
    svg.append(f'<line x1="{margin}" y1="{y(tick)}" x2="{width - margin}" y2="{y(tick)}" stroke="#eee"/>')
for index, mode in enumerate(("strong", "weak")):
    points = [row for row in rows if row["mode"] == mode]
    if not points:
        continue
    base = points[0]["images_per_second"] / points[0]["ranks"]
    ideal = " ".join(f"{x(p['ranks'])},{y(base * p['ranks'])}" for p in points)
    measured = " ".join(f"{x(p['ranks'])},{y(p['images_per_second'])}" for p in points)
    svg.append(f'<polyline points="{ideal}" fill="none" stroke="{colours[mode]}" stroke-dasharray="4 4"/>')
    svg.append(f'<polyline points="{measured}" fill="none" stroke="{colours[mode]}" stroke-width="2"/>')
    for p in points:
        svg.append(f'<circle cx="{x(p["ranks"])}" cy="{y(p["images_per_second"])}" r="4" fill="{colours[mode]}"/>')
    svg.append(f'<text x="{margin + 10}" y="{margin + 15 + 16 * index}" fill="{colours[mode]}">{mode} (dashed: ideal)</text>')
svg.append("</svg>")
(directory / "scaling.svg").write_text("\n".join(svg) + "\n")
