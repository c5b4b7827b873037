"""results.json -> results.md (the table, each figure against its target) and PNG plots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench import push_scale_report
from bench.suite import PART_LABELS

#: the targets: CPU against each rest_api variant (x less), peak RSS at the largest growth run,
#: and how much above the smallest run's peak it may be
CPU_TARGETS = {"defaults": 10, "nesting0": 8}
PEAK_MB = 450
FLAT = 1.5


def _f(x: float | None, nd: int = 2) -> str:
    if x is None:
        return "-"
    return f"{x:,.{nd}f}"


def _ok(flag: bool | None) -> str:
    return "-" if flag is None else ("met" if flag else "**missed**")


def marginal(a: dict[str, Any], b: dict[str, Any], key: str = "process_cpu_s") -> float:
    """Seconds (CPU by default: robust when other work shares the machine) per extra 100k
    people between two growth points, so the fixed cost of a run drops out."""
    return (b[key] - a[key]) / (b["people"] - a["people"]) * 1e5


def extract_peak(p: dict[str, Any]) -> float | None:
    """Peak client RSS before dlt's extract step ended (the RSS timeline counts from the
    process start; the extraction call started ``process_wall_s - work_s`` seconds in)."""
    timeline, steps = p.get("rss_timeline") or [], p.get("steps") or {}
    if not timeline or "extract" not in steps:
        return None
    end = p["process_wall_s"] - p["work_s"] + steps["extract"]
    inside = [m for t, m in timeline if t <= end]
    return max(inside) if inside else None


# -- figures ------------------------------------------------------------------------------------
def figures(res: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of the summary table: benchmark, measure, ours, baseline, ratio, target, verdict."""
    rows: list[dict[str, Any]] = []
    cpu = res.get("cpu")
    for part, what in PART_LABELS.items():
        sub = (cpu or {}).get(part)
        if not sub:
            continue
        ours = sub["ours"]
        per = 1e5 / ours["records"]
        o_proc, o_work = ours["process_cpu_s"] * per, ours["work_cpu_s"] * per
        for variant, base in (sub.get("rest_api") or {}).items():
            bper = 1e5 / base["records"]
            b_proc, b_work = base["process_cpu_s"] * bper, base["work_cpu_s"] * bper
            need = CPU_TARGETS.get(variant, 10)
            verdict = (b_proc / o_proc >= need) if part == "all" else None
            rows.append(dict(
                bench="1 Extraction CPU", measure=f"{what}: CPU s / 100k records, whole client "
                f"process (baseline: rest_api {variant})", ours=_f(o_proc), base=_f(b_proc),
                ratio=f"{b_proc / o_proc:.1f}x less", target=f">= {need}x less", ok=verdict))  # fmt: skip
            rows.append(dict(
                bench="1 Extraction CPU", measure=f"{what}: CPU s / 100k records, extraction call "
                f"only (baseline: rest_api {variant})", ours=_f(o_work), base=_f(b_work),
                ratio=f"{b_work / o_work:.1f}x less", target=f">= {need}x less",
                ok=(b_work / o_work >= need) if part == "all" else None))  # fmt: skip
    rate = res.get("rate")
    if rate:
        o = rate["ours"]
        b = rate.get("rest_api")
        rows.append(dict(
            bench="2 Rate budget", measure=f"wall / bound ({rate['pages']} pages / 10 per s = "
            f"{rate['bound_s']:.0f} s)", ours=_f(o["ratio"]), base=_f(b["ratio"]) if b else "-",
            ratio=f"{b['work_s'] / o['work_s']:.1f}x faster" if b else "-", target="<= 1.05",
            ok=o["ratio"] <= 1.05))  # fmt: skip
        rows.append(dict(
            bench="2 Rate budget", measure="429 answers", ours=str(o["rate_limited"]),
            base=str(b["rate_limited"]) if b else "-", ratio="-", target="0 (or almost)",
            ok=o["rate_limited"] <= 2))  # fmt: skip
    push = res.get("push")
    if push:
        n = push["rows"]
        loop = (push.get("loop") or {}).get("actions", {})
        for name, s in push["batched"]["syncs"].items():
            lp = loop.get(name)
            rows.append(dict(
                bench="3 Push", measure=f"{name}: requests / record ({s['requests']} for {n:,})",
                ours=_f(s["per_record"], 3), base=_f(lp["per_record"], 2) if lp else "-",
                ratio=f"{lp['per_record'] / s['per_record']:.0f}x fewer" if lp else "-",
                target="<= 0.02", ok=s["per_record"] <= 0.02))  # fmt: skip
            rows.append(dict(
                bench="3 Push", measure=f"{name}: wall s / bound (bound {s['bound_s']:.1f} s); "
                "baseline = loop extrapolated", ours=f"{s['work_s']:.1f} / {s['bound_s']:.1f} = "
                f"{s['work_s'] / s['bound_s']:.2f}",
                base=f"{lp['extrapolated_s']:,.0f} s" if lp else "-",
                ratio=f"{lp['extrapolated_s'] / s['work_s']:.0f}x faster" if lp else "-",
                target="<= 1.1", ok=s["work_s"] / s["bound_s"] <= 1.1))  # fmt: skip
    idle = (res.get("cpu") or {}).get("idle")
    if idle:
        objs = idle["default"]["objects"]
        ran = [k for k, v in objs.items() if v.get("mode") != "skip"]
        rows.append(dict(
            bench="4 Nothing to do", measure=f"extract requests, {len(ran)} objects polled "
            "(objectives on their 6 h interval)", ours=str(idle["default"]["requests"]),
            base=f"{idle['full_requests']} (first run)",
            ratio=f"{idle['full_requests'] / max(1, idle['default']['requests']):.0f}x fewer",
            target=f"~1 per object ({len(ran)}+variants)", ok=None))  # fmt: skip
        ex = idle["explicit"]
        rows.append(dict(
            bench="4 Nothing to do", measure=f"extract requests, objectives due "
            f"({idle['companies']:,} companies)", ours=str(ex["requests"]),
            base=f"{idle['full_requests']} (first run)",
            ratio=f"{idle['full_requests'] / max(1, ex['requests']):.1f}x fewer",
            target="~1 per object + 1 per company", ok=None))  # fmt: skip
    if push and push.get("idle"):
        rows.append(dict(
            bench="4 Nothing to do", measure="push requests, empty diff (3 syncs)",
            ours=str(push["idle"]["requests"]), base=f"{push['batched']['requests']} (first push)",
            ratio="-", target="0", ok=push["idle"]["requests"] == 0))  # fmt: skip
    growth = res.get("growth")
    if growth and growth["points"]:
        pts = growth["points"]
        big, small = pts[-1], pts[0]
        rows.append(dict(
            bench="5 Memory", measure=f"peak RSS extracting {big['people']:,} people (MB)",
            ours=_f(big["max_rss_mb"], 0), base="-", ratio="-", target=f"<= {PEAK_MB} MB",
            ok=big["max_rss_mb"] <= PEAK_MB))  # fmt: skip
        rows.append(dict(
            bench="5 Memory", measure=f"flat: peak RSS at {big['people']:,} vs {small['people']:,} "
            "people (MB)", ours=_f(big["max_rss_mb"], 0), base=_f(small["max_rss_mb"], 0),
            ratio=f"{big['max_rss_mb'] / small['max_rss_mb']:.2f}x for "
            f"{big['people'] / small['people']:.0f}x rows", target=f"<= {FLAT}x",
            ok=big["max_rss_mb"] / small["max_rss_mb"] <= FLAT))  # fmt: skip
        eb, es = extract_peak(big), extract_peak(small)
        if eb and es:
            rows.append(dict(
                bench="5 Memory", measure="the same during the extract step only (MB)",
                ours=_f(eb, 0), base=_f(es, 0), ratio=f"{eb / es:.2f}x", target=f"<= {FLAT}x",
                ok=eb / es <= FLAT))  # fmt: skip
        if len(pts) >= 3:
            (lo, mid, hi) = pts[-3:]
            s1 = marginal(lo, mid)
            s2 = marginal(mid, hi)
            rows.append(dict(
                bench="5 Growth", measure=f"marginal client CPU s per 100k people, "
                f"{mid['people']:,}->{hi['people']:,} vs {lo['people']:,}->{mid['people']:,}",
                ours=_f(s2), base=_f(s1), ratio=f"{s2 / s1:.2f}", target="~1 (linear)",
                ok=None))  # fmt: skip
            w1, w2 = marginal(lo, mid, "work_s"), marginal(mid, hi, "work_s")
            rows.append(dict(
                bench="5 Growth", measure="the same in extraction wall s (shared machine: noisy)",
                ours=_f(w2), base=_f(w1), ratio=f"{w2 / w1:.2f}", target="~1 (linear)",
                ok=None))  # fmt: skip
        elif len(pts) == 2:
            rows.append(dict(
                bench="5 Growth", measure=f"marginal client CPU s per 100k people, "
                f"{pts[0]['people']:,}->{pts[1]['people']:,}", ours=_f(marginal(*pts)),
                base="-", ratio="-", target="~1 (linear)", ok=None))  # fmt: skip
    rows += push_scale_report.figures(res)
    return rows


def markdown(res: dict[str, Any]) -> str:
    meta = res["meta"]
    out = [
        "# custify-sync benchmarks",
        "",
        f"`{meta['command']}` on {meta['machine']}, {meta['date']}, code {meta.get('code', '?')}; "
        f"{meta['total_s'] / 60:.1f} min{' (QUICK mode: smaller data, not the issue sizes)' if meta['quick'] else ''}.",
        "",
        "| benchmark | measure | ours | baseline | ratio | target | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in figures(res):
        out.append(f"| {r['bench']} | {r['measure']} | {r['ours']} | {r['base']} | {r['ratio']} "
                   f"| {r['target']} | {_ok(r['ok'])} |")  # fmt: skip
    loads = [v for v in _walk(res, "loadavg")]
    if loads:
        out += ["", f"1-minute load average at the end of the client runs: {min(loads):.1f} to "
                f"{max(loads):.1f} on {meta['machine'].split(',')[1].strip()} (other work on the "
                "machine stretches wall times; CPU seconds are per process and hold)."]  # fmt: skip
    out += ["", *details(res)]
    return "\n".join(out) + "\n"


def _walk(obj: Any, key: str) -> list[float]:
    found: list[float] = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == key and isinstance(v, int | float):
                found.append(float(v))
            else:
                found += _walk(v, key)
    elif isinstance(obj, list):
        for v in obj:
            found += _walk(v, key)
    return found


def details(res: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    cpu = res.get("cpu")
    if cpu:
        c = cpu["sandbox"]["counts"]
        lines += ["## 1. Extraction CPU", "",
                  f"Dataset (sandbox scale {cpu['sandbox']['scale']:g}): {sum(c.values()):,} records "
                  f"({', '.join(f'{k} {v:,}' for k, v in c.items())}).", "",
                  "| objects | source | records | requests | process CPU s | user/sys | extraction-call CPU s | wall s | peak RSS MB | dlt steps (s) | sandbox CPU s |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
        for part in PART_LABELS:
            sub = cpu.get(part)
            if not sub:
                continue
            entries = [("custify-sync", sub["ours"])] + [
                (f"rest_api {k}", v) for k, v in (sub.get("rest_api") or {}).items()]  # fmt: skip
            for name, e in entries:
                steps = ", ".join(
                    f"{k} {v:.1f}" for k, v in (e.get("steps") or {}).items() if k != "run"
                )
                lines.append(f"| {part} | {name} | {e['records']:,} | {e['requests']:,} "
                             f"| {e['process_cpu_s']:.2f} | {e['user_s']:.2f}/{e['sys_s']:.2f} "
                             f"| {e['work_cpu_s']:.2f} | {e['work_s']:.1f} | {e['max_rss_mb']:.0f} "
                             f"| {steps} | {e.get('sandbox_cpu_s', 0):.1f} |")  # fmt: skip
        for k, v in ((cpu.get("all") or {}).get("rest_api") or {}).items():
            lines.append(f"\nrest_api {k} ({PART_LABELS['all']}): {v['child_rows']:,} rows in child tables "
                         "besides the parent records.")  # fmt: skip
        lines += _cpu_notes(cpu)
        lines.append("")
    idle = (cpu or {}).get("idle")
    if idle:
        lines += ["## 4. Nothing to do (extract)", "",
                  "| run | requests | per object |", "|---|---|---|"]  # fmt: skip
        for key in ("default", "explicit"):
            per = ", ".join(f"{k} {v['requests']}" for k, v in idle[key]["objects"].items())
            lines.append(f"| {key} | {idle[key]['requests']} | {per} |")
        lines.append("")
    rate = res.get("rate")
    if rate:
        lines += ["## 2. Rate-budget use", "",
                  f"Sizes {rate['sizes']}; {rate['pages']} pages at the maximum page size; bound "
                  f"{rate['bound_s']:.0f} s; the server's fixed windows alone allow the last page "
                  f"to start at {rate['windows_s']:.0f} s.", "",
                  "| source | requests | 429s | most in any 10 s | last request at s | run wall s | wall / bound |",
                  "|---|---|---|---|---|---|---|"]  # fmt: skip
        for key in ("ours", "rest_api"):
            e = rate.get(key)
            if e:
                lines.append(f"| {key} | {e['requests']} | {e['rate_limited']} | {e['max_in_window']} "
                             f"| {e['requests_span_s']:.1f} | {e['work_s']:.1f} | {e['ratio']:.2f} |")  # fmt: skip
        lines.append("")
    push = res.get("push")
    if push:
        b = push["batched"]
        lines += ["## 3. Push", "",
                  f"{push['rows']:,} rows per sync; sandbox check: {push['check']}.", "",
                  "| sync | requests | per record | wall s | bound s | wall / bound | confirmed |",
                  "|---|---|---|---|---|---|---|"]  # fmt: skip
        for name, s in b["syncs"].items():
            lines.append(f"| {name} | {s['requests']} | {s['per_record']:.3f} | {s['work_s']:.1f} "
                         f"| {s['bound_s']:.1f} | {s['work_s'] / s['bound_s']:.2f} | {s['confirmed']:,} |")  # fmt: skip
        lines.append(f"\nRequests by path: {b['paths']}; 429s: {b['rate_limited']}; most in any "
                     f"10 s: {b['max_in_window']}.")  # fmt: skip
        loop = push.get("loop")
        if loop:
            lines += ["", f"Per-row loop, measured on {loop['rows']} rows per action and "
                      f"extrapolated to {push['rows']:,} (requests and seconds scale per row):", "",
                      "| action | requests | s per row | extrapolated requests | extrapolated s |",
                      "|---|---|---|---|---|"]  # fmt: skip
            for name, a in loop["actions"].items():
                lines.append(f"| {name} | {a['requests']} | {a['s_per_record']:.3f} "
                             f"| {a['extrapolated_requests']:,.0f} | {a['extrapolated_s']:,.0f} |")  # fmt: skip
        lines.append("")
    growth = res.get("growth")
    if growth:
        lines += ["## 5. Memory and growth", "",
                  "| people | requests | extraction wall s | wall s per 100k | process CPU s | peak RSS MB | dlt steps (s) | sandbox CPU s | sandbox generation s |",
                  "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
        for p in growth["points"]:
            steps = ", ".join(f"{k} {v:.1f}" for k, v in (p.get("steps") or {}).items())
            lines.append(f"| {p['people']:,} | {p['requests']} | {p['work_s']:.1f} "
                         f"| {p['work_s'] / p['people'] * 1e5:.2f} | {p['process_cpu_s']:.1f} "
                         f"| {p['max_rss_mb']:.0f} (extract step {extract_peak(p) or 0:.0f}) | {steps} | {p.get('sandbox_cpu_s', 0):.1f} "
                         f"| {p['sandbox_generate_s']:.1f} |")  # fmt: skip
        lines.append("")
    lines += push_scale_report.details(res)
    return lines


def _cpu_notes(cpu: dict[str, Any]) -> list[str]:
    """Per part: each source's rounds (when repeated) and our process's CPU by thread."""
    lines: list[str] = []
    for part, what in PART_LABELS.items():
        sub = cpu.get(part) or {}
        sources = [("custify-sync", sub.get("ours") or {})]
        sources += [(f"rest_api {k}", v) for k, v in (sub.get("rest_api") or {}).items()]
        rounds = [
            (n, e["rounds_cpu_s"]) for n, e in sources if len(e.get("rounds_cpu_s") or ()) > 1
        ]
        if rounds:  # the table shows each source's median run
            listed = "; ".join(f"{n} {', '.join(f'{c:.2f}' for c in cs)}" for n, cs in rounds)
            lines.append(f"\n{what}: {len(rounds[0][1])} alternating rounds, process CPU s in run "
                         f"order: {listed}. The table shows each source's median run.")  # fmt: skip
        threads = sources[0][1].get("thread_cpu_s")
        if threads:  # bench/thread_cpu.py: the kernel's per-thread clocks, not samples
            shares = ", ".join(f"{k} {v:.2f}" for k, v in threads.items() if v >= 0.01)
            lines.append(f"\ncustify-sync CPU s by thread ({what}): {shares}.")
    return lines


# -- plots --------------------------------------------------------------------------------------
def plots(res: dict[str, Any], outdir: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made: list[Path] = []

    def save(fig: Any, name: str) -> None:
        path = outdir / name
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
        made.append(path)

    cpu = res.get("cpu")
    parts = [p for p in ("all", "people") if (cpu or {}).get(p, {}).get("rest_api")]
    if parts:
        fig, axes = plt.subplots(1, len(parts), figsize=(6 * len(parts), 4), squeeze=False)
        for ax, part in zip(axes[0], parts, strict=True):
            sub = cpu[part]
            entries = [("custify-sync", sub["ours"])] + [
                (f"rest_api\n{k}", v) for k, v in sub["rest_api"].items()]  # fmt: skip
            xs = range(len(entries))
            proc = [e["process_cpu_s"] * 1e5 / e["records"] for _, e in entries]
            work = [e["work_cpu_s"] * 1e5 / e["records"] for _, e in entries]
            ax.bar([x - 0.2 for x in xs], proc, 0.4, label="whole client process")
            ax.bar([x + 0.2 for x in xs], work, 0.4, label="extraction call only")
            for x, v in zip(xs, proc, strict=True):
                ax.text(x - 0.2, v, f"{v:.1f}", ha="center", va="bottom", fontsize=8)
            ax.set_xticks(list(xs), [n for n, _ in entries])
            ax.set_ylabel("CPU seconds per 100,000 records")
            ax.set_title(f"1. Extraction CPU, {PART_LABELS[part]} ({sub['ours']['records']:,} "
                         "records)")  # fmt: skip
            ax.legend(fontsize=8)
        save(fig, "cpu_per_record.png")
    rate = res.get("rate")
    if rate:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        for i, ax in enumerate(axes):
            for key, label, color in (("ours", "custify-sync", "C0"),
                                      ("rest_api", "dlt rest_api", "C1")):  # fmt: skip
                e = rate.get(key)
                if not e or (i == 1 and key != "ours"):
                    continue
                ok = [t for t, status in e["times"] if status != 429]
                ax.plot(ok, range(1, len(ok) + 1), color=color, label=f"{label} requests")
                ax.axvline(e["work_s"], color=color, ls=":", lw=1,
                           label=f"{label} run ends ({e['work_s']:.0f} s)")  # fmt: skip
                bad = [t for t, status in e["times"] if status == 429]
                if bad:
                    ax.plot(bad, [0] * len(bad), "rx", label=f"{label}: 429 ({len(bad)})")
            ax.plot([0, rate["bound_s"]], [0, rate["pages"]], "k--", lw=1,
                    label=f"bound: {rate['pages']} pages at 10 / s")  # fmt: skip
            ax.set_xlabel("seconds since the first request")
            ax.set_ylabel("requests answered (cumulative)")
            ax.legend(fontsize=7, loc="lower right")
        axes[0].set_title(f"2. Rate budget: {rate['pages']} pages, 100 / 10 s, "
                          f"{rate['latency_ms']:.0f} ms latency")  # fmt: skip
        axes[1].set_title("custify-sync against the bound (zoom)")
        axes[1].set_xlim(0, rate["bound_s"] * 1.15)
        save(fig, "rate_budget.png")
    push = res.get("push")
    if push:
        syncs = push["batched"]["syncs"]
        loop = (push.get("loop") or {}).get("actions", {})
        names = list(syncs)
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
        xs = range(len(names))
        a1.bar(
            [x - 0.2 for x in xs],
            [syncs[n]["per_record"] for n in names],
            0.4,
            label="custify-sync",
        )
        if loop:
            a1.bar(
                [x + 0.2 for x in xs],
                [loop[n]["per_record"] for n in names],
                0.4,
                label="per-row loop",
            )
        a1.axhline(0.02, color="k", ls="--", lw=1, label="target 0.02")
        a1.set_yscale("log")
        a1.set_xticks(list(xs), names)
        a1.set_ylabel("requests per record")
        a1.legend(fontsize=8)
        a1.set_title(f"3. Push {push['rows']:,} rows: requests")
        a2.bar(
            [x - 0.27 for x in xs],
            [syncs[n]["work_s"] for n in names],
            0.27,
            label="custify-sync wall",
        )
        a2.bar(
            list(xs),
            [syncs[n]["bound_s"] for n in names],
            0.27,
            label="bound (requests / 10 per s)",
        )
        if loop:
            a2.bar([x + 0.27 for x in xs], [loop[n]["extrapolated_s"] for n in names], 0.27,
                   label="per-row loop (extrapolated)")  # fmt: skip
        a2.set_yscale("log")
        a2.set_xticks(list(xs), names)
        a2.set_ylabel("seconds")
        a2.legend(fontsize=8)
        a2.set_title("wall time")
        save(fig, "push.png")
    growth = res.get("growth")
    if growth and growth["points"]:
        pts = growth["points"]
        ns = [p["people"] for p in pts]
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
        a1.plot(ns, [p["work_s"] for p in pts], "o-", label="extraction wall s")
        a1.plot(ns, [p["process_cpu_s"] for p in pts], "s-", label="client process CPU s")
        if len(pts) >= 2:
            import numpy as np

            slope, icpt = np.polyfit(ns, [p["work_s"] for p in pts], 1)
            a1.plot([0, ns[-1]], [icpt, icpt + slope * ns[-1]], "k:", lw=1,
                    label=f"least squares: {icpt:.1f} s + {slope * 1e5:.2f} s per 100k")  # fmt: skip
        a1.set_xlabel("people")
        a1.set_ylabel("seconds")
        a1.set_title("5. Extraction time vs rows")
        a1.legend(fontsize=8)
        for p in pts:
            tl = p.get("rss_timeline") or []
            a2.plot([t for t, _ in tl], [m for _, m in tl], label=f"{p['people']:,} people "
                    f"(peak {p['max_rss_mb']:.0f} MB)")  # fmt: skip
        a2.axhline(PEAK_MB, color="r", ls="--", lw=1, label=f"{PEAK_MB} MB target")
        a2.set_xlabel("seconds since the client process started")
        a2.set_ylabel("client RSS (MB)")
        a2.set_title("client memory over the run")
        a2.legend(fontsize=8)
        save(fig, "growth_memory.png")
    push_scale_report.plots(res, outdir, save)
    return made
