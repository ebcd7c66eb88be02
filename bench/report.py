#!/usr/bin/env python3
"""Compares the BENCH lines of Linux and of this system (bench/README.md).

Each log is a console capture holding `BENCH <case> ticks=.. ns=.. iters=..`
lines. The icount runs give instructions (ticks), the wall runs give ns. A
missing or empty system log gives an "n/a" column. Writes results.csv,
results.json and ratios.svg to --out and prints the table.
"""
import argparse
import csv
import json
import os
import re
import sys

LINE = re.compile(r"(?:^|\s)(BENCH|MACH) (\S+)((?: \S+=\S+)*)\s*(FAILED .*)?$")
FIELD = re.compile(r"(\w+)=(\S+)")


def parse(path):
    """{case: {ticks, ns, iters, mbps} or {failed: text}}, MACH figures, done."""
    cases, mach, done, load = {}, {}, False, None
    if not path or not os.path.exists(path):
        return None
    with open(path, errors="replace") as f:
        for raw in f:
            line = raw.replace("\r", "").rstrip("\n")
            h = re.match(r"HOST busy ([0-9.]+) cpus (\d+)", line)
            if h:
                load = (float(h.group(1)), int(h.group(2)))
                continue
            if line.strip().endswith("BENCH-DONE"):
                done = True
                continue
            m = LINE.search(line)
            if not m:
                continue
            kind, name, fields, failed = m.groups()
            vals = {k: float(v.rstrip("%")) for k, v in FIELD.findall(fields or "")
                    if re.fullmatch(r"-?[0-9.]+(e-?[0-9]+)?%?", v)}
            if kind == "MACH":
                mach[name] = vals
            elif failed:
                cases[name] = {"failed": failed[len("FAILED "):]}
            else:
                cases[name] = vals
    if not cases and not mach:
        return None
    return {"cases": cases, "mach": mach, "done": done, "load": load}


def merge_wall(runs):
    """Several wall-time runs: per case, the one with the least ns (host
    load only ever adds time). Also the spread: the largest (max-min)/min."""
    runs = [r for r in runs if r]
    if not runs:
        return None, None
    merged = {"cases": {}, "mach": {}, "done": all(r["done"] for r in runs),
              "load": max((r["load"] for r in runs if r.get("load")), default=None)}
    spread = 0.0
    for r in runs:
        merged["mach"].update(r["mach"])
        for c, v in r["cases"].items():
            old = merged["cases"].get(c)
            if old is None or "ns" not in old or ("ns" in v and v["ns"] < old["ns"]):
                merged["cases"][c] = v
    for c in merged["cases"]:
        ns = [r["cases"][c]["ns"] for r in runs if "ns" in r["cases"].get(c, {})]
        if len(ns) > 1 and min(ns) > 0:
            spread = max(spread, (max(ns) - min(ns)) / min(ns))
    return merged, (spread if len(runs) > 1 else None)


def value(run, case, key):
    if not run:
        return None
    return run["cases"].get(case, {}).get(key)


def cell(run, case, key):
    if not run:
        return "n/a"
    c = run["cases"].get(case)
    if c is None:
        return "missing"
    if "failed" in c:
        return "FAIL " + c["failed"].split()[0]
    v = c.get(key)
    return "n/a" if v is None else f"{v:,.0f}" if v >= 100 else f"{v:.1f}"


def ratio(a, b):
    return b / a if a and b is not None and a > 0 else None


def fmt_ratio(r):
    return "n/a" if r is None else f"{r:.2f}x"


def repeat_check(a, b):
    """Largest relative difference of the instruction figures of two runs."""
    worst, worst_case = 0.0, None
    for case, va in a["cases"].items():
        x, y = va.get("ticks"), b["cases"].get(case, {}).get("ticks")
        if x is None or y is None or min(x, y) <= 0:
            continue
        d = abs(x - y) / min(x, y)
        if d >= worst:
            worst, worst_case = d, case
    return worst, worst_case


def svg_chart(rows, path):
    """Bars of this-system/Linux ratios per case, instructions and wall time."""
    w_case, left, top, height = 46, 60, 40, 300
    width = left + w_case * max(len(rows), 1) + 20
    ratios = [r for row in rows for r in (row["instr_ratio"], row["ns_ratio"]) if r]
    ymax = max([2.5] + [r * 1.1 for r in ratios])
    y = lambda v: top + height - v / ymax * height
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{top + height + 150}" '
           f'font-family="sans-serif" font-size="11">',
           f'<text x="{left}" y="20" font-size="14">this system / Linux, per case '
           f'(blue: guest instructions, orange: wall time)</text>',
           f'<line x1="{left}" y1="{top + height}" x2="{width - 10}" y2="{top + height}" stroke="black"/>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + height}" stroke="black"/>']
    for v in range(0, int(ymax) + 1, max(1, int(ymax) // 8)):
        out.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v}</text>')
    for level, colour in ((1.0, "green"), (2.0, "red")):
        out.append(f'<line x1="{left}" y1="{y(level):.1f}" x2="{width - 10}" y2="{y(level):.1f}" '
                   f'stroke="{colour}" stroke-dasharray="4,3"/>')
        out.append(f'<text x="{width - 12}" y="{y(level) - 3:.1f}" text-anchor="end" '
                   f'fill="{colour}">{level:.1f}</text>')
    if not ratios:
        out.append(f'<text x="{left + 10}" y="{top + 30}" fill="gray">no figures for this '
                   f'system yet (n/a)</text>')
    for i, row in enumerate(rows):
        x0 = left + i * w_case + 6
        for j, (key, colour) in enumerate((("instr_ratio", "#4878d0"), ("ns_ratio", "#ee854a"))):
            r = row[key]
            if r:
                out.append(f'<rect x="{x0 + j * 17}" y="{y(r):.1f}" width="16" '
                           f'height="{top + height - y(r):.1f}" fill="{colour}">'
                           f'<title>{row["case"]}: {r:.2f}</title></rect>')
        tx = x0 + 17
        out.append(f'<text x="{tx}" y="{top + height + 12}" text-anchor="end" '
                   f'transform="rotate(-60 {tx} {top + height + 12})">{row["case"]}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--linux-icount", required=True)
    ap.add_argument("--linux-icount-repeat", help="a second icount run: repeatability check")
    ap.add_argument("--linux-wall", action="append", default=[], help="repeatable")
    ap.add_argument("--system-icount")
    ap.add_argument("--system-icount-repeat", help="a second icount run of this system: repeatability check")
    ap.add_argument("--system-wall", action="append", default=[], help="repeatable")
    ap.add_argument("--out", required=True)
    ap.add_argument("--max-drift", type=float, default=1.0, help="percent (default 1)")
    a = ap.parse_args()

    li, si = parse(a.linux_icount), parse(a.system_icount)
    lw, lw_spread = merge_wall([parse(p) for p in a.linux_wall])
    sw, sw_spread = merge_wall([parse(p) for p in a.system_wall])
    if not li:
        sys.exit(f"report: no BENCH lines in {a.linux_icount}")
    for name, run, path in (("Linux icount", li, a.linux_icount), ("Linux wall", lw, a.linux_wall),
                            ("system icount", si, a.system_icount), ("system wall", sw, a.system_wall)):
        path = " ".join(path) if isinstance(path, list) else path
        if run and not run["done"]:
            print(f"warning: {name} run ({path}) did not reach BENCH-DONE")

    cases = list(li["cases"])
    for run in (lw, si, sw):
        for c in (run or {"cases": {}})["cases"]:
            if c not in cases:
                cases.append(c)

    rows = []
    for c in cases:
        rows.append({
            "case": c,
            "linux_instr": value(li, c, "ticks"), "system_instr": value(si, c, "ticks"),
            "instr_ratio": ratio(value(li, c, "ticks"), value(si, c, "ticks")),
            "linux_ns": value(lw, c, "ns"), "system_ns": value(sw, c, "ns"),
            "ns_ratio": ratio(value(lw, c, "ns"), value(sw, c, "ns")),
            "linux_mbps": value(lw, c, "mbps"), "system_mbps": value(sw, c, "mbps"),
            "linux_failed": (li["cases"].get(c) or {}).get("failed"),
            "system_failed": ((si or {"cases": {}})["cases"].get(c) or {}).get("failed"),
        })

    head = ("case", "Linux instr", "system instr", "ratio", "Linux ns", "system ns", "ratio")
    table = [head]
    for row in rows:
        c = row["case"]
        table.append((c, cell(li, c, "ticks"), cell(si, c, "ticks"), fmt_ratio(row["instr_ratio"]),
                      cell(lw, c, "ns"), cell(sw, c, "ns"), fmt_ratio(row["ns_ratio"])))
    widths = [max(len(r[i]) for r in table) for i in range(len(head))]
    print("System-call cost per operation: guest instructions (icount run), wall ns (TCG run)")
    for k, r in enumerate(table):
        print("  ".join(v.ljust(widths[i]) if i == 0 else v.rjust(widths[i]) for i, v in enumerate(r)))
        if k == 0:
            print("  ".join("-" * w for w in widths))
    for row in rows:
        if row["linux_mbps"] or row["system_mbps"]:
            s = f"{row['system_mbps']:.0f}" if row["system_mbps"] else "n/a"
            lm = f"{row['linux_mbps']:.0f}" if row["linux_mbps"] else "n/a"
            print(f"{row['case']}: Linux {lm} MB/s, this system {s} MB/s (wall)")

    for name, run in (("Linux", li), ("this system", si)):
        spreads = [(v["spread"], c) for c, v in (run or {"cases": {}})["cases"].items() if "spread" in v]
        if spreads:
            worst = max(spreads)
            print(f"{name} icount run: repetitions within a case differ by at most "
                  f"{worst[0]:.2f}% ({worst[1]}); the median is reported")
    for name, spread in (("Linux", lw_spread), ("this system", sw_spread)):
        if spread is not None:
            print(f"{name} wall time: {len(a.linux_wall if name == 'Linux' else a.system_wall)} runs, "
                  f"least ns per case kept; largest spread {spread * 100:.1f}%")
    for name, run in (("Linux", lw), ("this system", sw)):
        # QEMU needs one CPU: others keeping the rest busy slow it down.
        if run and run.get("load") and run["load"][0] >= 100 * (run["load"][1] - 1) / run["load"][1]:
            print(f"warning: other programs kept {run['load'][0]:g}% of {run['load'][1]} cpus busy "
                  f"just before {name}'s wall runs: wall figures may be inflated")

    print("\nMach-level figures (this system):")
    mach = {}
    for run in (si, sw):
        for k, v in (run or {"mach": {}})["mach"].items():
            mach.setdefault(k, {}).update(v)
    if mach:
        for k, v in mach.items():
            print(f"  {k}: " + " ".join(f"{f}={x:g}" for f, x in v.items()))
    else:
        print("  none reported (the system's output has no MACH lines)")

    repeat = None
    checks = [("Linux", li, a.linux_icount_repeat)]
    if si and a.system_icount_repeat:
        checks.append(("this system", si, a.system_icount_repeat))
    for who, first, path in checks:
        if not path:
            continue
        again = parse(path)
        if not again:
            sys.exit(f"report: no BENCH lines in {path}")
        worst, case = repeat_check(first, again)
        ok = worst * 100 <= a.max_drift
        r = {"max_rel_diff": worst, "case": case, "target": a.max_drift / 100, "ok": ok}
        repeat = r if repeat is None else {**r, "ok": r["ok"] and repeat["ok"], "linux": repeat}
        print(f"\nRepeatability (two {who} icount runs): max relative difference "
              f"{worst * 100:.3f}% ({case}); target <= {a.max_drift:g}%: {'OK' if ok else 'EXCEEDED'}")

    os.makedirs(a.out, exist_ok=True)
    keys = ["case", "linux_instr", "system_instr", "instr_ratio", "linux_ns", "system_ns",
            "ns_ratio", "linux_mbps", "system_mbps", "linux_failed", "system_failed"]
    with open(os.path.join(a.out, "results.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(keys)
        for row in rows:
            w.writerow(["" if row[k] is None else row[k] for k in keys])
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump({"cases": rows, "mach": mach, "repeat": repeat,
                   "wall_spread": {"linux": lw_spread, "system": sw_spread},
                   "system_present": bool(si or sw)}, f, indent=1)
    svg_chart(rows, os.path.join(a.out, "ratios.svg"))
    print(f"\nwrote {a.out}/results.csv, results.json, ratios.svg")
    return 0 if repeat is None or repeat["ok"] else 3


if __name__ == "__main__":
    sys.exit(main())
