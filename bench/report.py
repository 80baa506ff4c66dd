#!/usr/bin/env python3
"""Turns a results file of bench/run.py into markdown tables and a plot.

    bench/report.py bench/results/full.json            # writes full.md and full.png beside it
    bench/report.py results.json --markdown out.md --plot out.png
    bench/report.py full.json hps.json   # several files (same machine): one table
    bench/report.py challenge.json --problems mixed --markdown /tmp/mixed.md  # one family

With several files, their runs are merged (a later file's run replaces an earlier one
with the same optimizer, problem, seed, q and length), so optimizers added later can
be run on their own and reported beside the earlier ones.

Normalized score of a run at budget t (defined in README.md, "Score"):

    score = 100 * (R_t - b_t) / (R_t - f*)        (in the minimized sign)

b_t the (noise-free) value of the run's incumbent after t trials, f* the optimum or
best-known value, R_t the median best value of random search after t trials (from
problems/calibration.json). 100 = the optimum, 0 = as good as typical random search,
clipped below at -100; a problem where random search already reaches f* at budget t is
"saturated" there and left out of means and wins.

Under every score table's mean: its 95 % percentile bootstrap interval over the seeds
(bootstrap.py; README.md, "Seeds and intervals"), and the sentence saying so. Files made
with different shared starts (run.py --shared-start) are different protocols: merging
them is refused.
"""
import argparse
import json
import math
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bootstrap  # noqa: E402
import problems  # noqa: E402

SCORE_FLOOR = -100.0
QUALITY_SEEDS = 10  # the seeds a quality claim needs (README.md, "Seeds and intervals")
TIE_DECIMALS = 1  # optimizers whose medians agree at the table's precision share a win


# ---- scoring ---------------------------------------------------------------------------
class Scorer:
    """Score-0 and score-100 values of each problem, in the minimized sign."""

    def __init__(self, results, calibration):
        self.info = {}
        cal = calibration.get("problems", {})
        for name, meta in results["problems"].items():
            sign = 1.0 if meta["direction"] == "minimize" else -1.0
            entry = cal.get(name)
            optimum = meta.get("optimum")
            if entry is not None and entry.get("best_known") is not None:
                optimum = entry["best_known"] if optimum is None or meta["kind"] in (
                    "ml", "torch") else optimum
            baseline = entry["random_median"] if entry else None
            source = "calibration"
            if baseline is None:
                baseline, source = self._baseline_from_runs(results, name), "random runs"
            self.info[name] = {"sign": sign, "optimum": optimum, "baseline": baseline,
                               "baseline_source": source}

    @staticmethod
    def _baseline_from_runs(results, name):
        """Fallback when a problem is not calibrated: the median best-so-far of this
        file's random-search runs (noisier: few seeds)."""
        curves = [best_curve(r, 1.0 if results["problems"][name]["direction"] == "minimize"
                             else -1.0)
                  for r in results["runs"] if r["problem"] == name and "error" not in r
                  and r["optimizer"] in ("optuna-random", "hps-random")]
        curves = [c for c in curves if c]
        if not curves:
            return None
        sign = 1.0 if results["problems"][name]["direction"] == "minimize" else -1.0
        n = min(len(c) for c in curves)
        return [sign * statistics.median(c[t] for c in curves) for t in range(n)]

    def saturated(self, problem, t):
        """True when random search reaches f* at budget t (or t is uncalibrated)."""
        return self.score(problem, t, math.inf) is None

    def score(self, problem, t, best):
        """Score at budget t (1-based) for incumbent value `best` (minimized sign), or
        None when the problem is saturated or uncalibrated at t."""
        info = self.info[problem]
        if info["optimum"] is None or info["baseline"] is None or t > len(info["baseline"]):
            return None
        r = info["sign"] * info["baseline"][t - 1]
        f = info["sign"] * info["optimum"]
        span = r - f
        # Saturated: random search's median reaches f*; a relative threshold (say 99% of
        # the gap from one random trial) was tried and rejected: it drops functions of
        # large dynamic range (Rosenbrock, Branin) where optimizers still differ widely
        if span <= 1e-12 + 1e-9 * abs(f):
            return None
        if best is None or math.isinf(best):
            return SCORE_FLOOR
        return max(SCORE_FLOOR, 100.0 * (r - best) / span)


def best_curve(run, sign):
    """Best-so-far after each trial, in the minimized sign; the incumbent is the best
    observed value and it is scored by its noise-free value when the problem is noisy."""
    values = run.get("values", [])
    true = run.get("true_values", values)
    out, inc_obs, inc_true = [], math.inf, math.inf
    for v, tv in zip(values, true):
        if v is not None and sign * v < inc_obs:
            inc_obs, inc_true = sign * v, sign * tv
        out.append(inc_true)
    return out


def at_budget(curve, run, t):
    """Best-so-far after t trials; an optimizer that stopped early (exhausted grid)
    keeps its last incumbent."""
    if not curve:
        return math.inf
    if t <= len(curve):
        return curve[t - 1]
    return curve[-1] if run.get("exhausted") else None


# ---- aggregation -------------------------------------------------------------------
def label(opt, q):
    return opt if q == 1 else f"{opt} q={q}"


def collect(results, scorer):
    """{(optimizer, q): {problem: {seed: [run, ...]}}} of successful runs."""
    table = {}
    for r in results["runs"]:
        if "error" in r:
            continue
        table.setdefault((r["optimizer"], r["q"]), {}).setdefault(
            r["problem"], {}).setdefault(r["seed"], []).append(r)
    return table


def pick(runs, t):
    """The run that answers budget t: one made for exactly t trials (grid) if any,
    else the longest."""
    exact = [r for r in runs if r["trials"] == t]
    if exact:
        return exact[0]
    longer = [r for r in runs if r["trials"] >= t and not _budget_specific(r)]
    return max(longer, key=lambda r: r["trials"]) if longer else None


def _budget_specific(run):
    return bool(run.get("per_budget"))


def seed_results(table, scorer, t, problem_names):
    """{label: {problem: {seed: (score or None, raw best value)}}} at budget t, for the
    seeds whose run reaches t."""
    out = {}
    for (opt, q), by_problem in sorted(table.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        lab = label(opt, q)
        for pname in problem_names:
            for seed, runs in sorted(by_problem.get(pname, {}).items()):
                run = pick(runs, t)
                if run is None:
                    continue
                sign = scorer.info[pname]["sign"]
                b = at_budget(best_curve(run, sign), run, t)
                if b is None:
                    continue
                raw = sign * b if math.isfinite(b) else math.inf
                out.setdefault(lab, {}).setdefault(pname, {})[seed] = (
                    scorer.score(pname, t, b), raw)
    return out


def median_scores(table, scorer, t, problem_names):
    """{label: {problem: median score or None}} at budget t, plus median raw values."""
    scores, raw = {}, {}
    for lab, by_problem in seed_results(table, scorer, t, problem_names).items():
        for pname, by_seed in by_problem.items():
            per_seed = [s for s, _ in by_seed.values()]
            per_seed_raw = [r for _, r in by_seed.values()]
            scores.setdefault(lab, {})[pname] = (None if any(s is None for s in per_seed)
                                                 else statistics.median(per_seed))
            raw.setdefault(lab, {})[pname] = (statistics.median(per_seed_raw), len(per_seed_raw))
    return scores, raw


def score_curve(table, scorer, opt, q, problem_names, t_max):
    """Mean over (unsaturated) problems of the median score over seeds, t = 1..t_max."""
    by_problem = table.get((opt, q), {})
    out = []
    curves = {}
    for pname in problem_names:
        sign = scorer.info[pname]["sign"]
        for seed, runs in by_problem.get(pname, {}).items():
            run = max(runs, key=lambda r: r["trials"])
            curves.setdefault(pname, []).append((best_curve(run, sign), run))
    for t in range(1, t_max + 1):
        means = []
        for pname, items in curves.items():
            per_seed = []
            for curve, run in items:
                b = at_budget(curve, run, t)
                if b is not None:
                    per_seed.append(scorer.score(pname, t, b))
            if per_seed and all(s is not None for s in per_seed):
                means.append(statistics.median(per_seed))
        out.append(statistics.mean(means) if means else None)
    return out


# ---- rendering ---------------------------------------------------------------------
def fmt(x, digits=1):
    return "—" if x is None else f"{x:.{digits}f}"


def mean_intervals(seed_res, problem_names, labels, level=bootstrap.LEVEL):
    """{label: ((low, high) or None, number of seeds resampled)}: the percentile
    bootstrap interval of the table's mean score (the mean over the scored problems of
    the median over seeds), the seeds every one of those problems has resampled with
    replacement (bootstrap.py)."""
    out = {}
    for lab in labels:
        by_problem = seed_res.get(lab, {})
        scored = [p for p in problem_names if p in by_problem
                  and all(s is not None for s, _ in by_problem[p].values())]
        seeds = sorted(set.intersection(*(set(by_problem[p]) for p in scored))) if scored else []

        def mean_of_medians(draw, by_problem=by_problem, scored=scored):
            return statistics.mean(statistics.median(by_problem[p][s][0] for s in draw)
                                   for p in scored)

        out[lab] = (bootstrap.interval(seeds, mean_of_medians, level=level), len(seeds))
    return out


def interval_note(intervals):
    """The sentence under every score table that says how its interval was made."""
    # an optimizer with no scored problem here has no interval and no say in the count
    counts = sorted({n for _, n in intervals.values() if n}) or [0]
    seeds = str(counts[0]) if counts[0] == counts[-1] else f"{counts[0]}-{counts[-1]}"
    plural = "" if seeds == "1" else "s"
    note = (f"Interval: {100 * bootstrap.LEVEL:.0f} % percentile bootstrap of the mean over "
            f"problems of the median score over seeds: the {seeds} seed{plural} every problem has "
            f"resampled with replacement {bootstrap.RESAMPLES} times (one draw for all "
            f"problems and optimizers, random.Random({bootstrap.RNG_SEED}), so the same "
            "results give the same interval).")
    if counts[0] < QUALITY_SEEDS:
        note += (f" Fewer than {QUALITY_SEEDS} seeds: a check, not a quality claim "
                 "(README.md, \"Seeds and intervals\").")
    return note


def _interval_cell(interval):
    return "" if interval is None else f"[{fmt(interval[0])}, {fmt(interval[1])}]"


def table_heading(budget, q, shared_start):
    """"## 50 trials", with the batch size and rounds in parallel mode and the shared
    start when there is one (the results differ in protocol, so the heading says it)."""
    text = f"## {budget} trials"
    if q > 1:
        rounds = math.ceil(budget / q)
        text += f", q = {q} asks per batch ({rounds} round{'' if rounds == 1 else 's'})"
    if shared_start:
        text += f", shared start of {shared_start}"
    return text


def score_table(scores, problem_names, labels, intervals=None):
    lines = ["| problem | " + " | ".join(labels) + " |",
             "|---|" + "---:|" * len(labels)]
    wins = {lab: 0 for lab in labels}
    means = {lab: [] for lab in labels}
    for pname in problem_names:
        row = [scores.get(lab, {}).get(pname) for lab in labels]
        present = [s for s in row if s is not None]
        top = round(max(present), TIE_DECIMALS) if present else None
        cells = []
        for lab, s in zip(labels, row):
            if s is None:
                cells.append("sat." if pname in scores.get(lab, {}) else "")
                continue
            means[lab].append(s)
            if round(s, TIE_DECIMALS) == top:
                wins[lab] += 1
                cells.append(f"**{fmt(s)}**")
            else:
                cells.append(fmt(s))
        lines.append(f"| {pname} | " + " | ".join(cells) + " |")
    lines.append("| **mean** | " + " | ".join(
        f"{fmt(statistics.mean(means[lab]))}" if means[lab] else "" for lab in labels) + " |")
    if intervals is not None:
        lines.append(f"| {100 * bootstrap.LEVEL:.0f} % interval of the mean | " + " | ".join(
            _interval_cell(intervals.get(lab, (None, 0))[0]) for lab in labels) + " |")
    lines.append("| wins | " + " | ".join(str(wins[lab]) for lab in labels) + " |")
    return lines, {lab: (statistics.mean(means[lab]) if means[lab] else None) for lab in labels}


def raw_table(raw, problem_names, labels, scorer):
    lines = ["| problem | optimum | " + " | ".join(labels) + " |",
             "|---|---:|" + "---:|" * len(labels)]
    for pname in problem_names:
        opt = scorer.info[pname]["optimum"]
        cells = []
        for lab in labels:
            v = raw.get(lab, {}).get(pname)
            cells.append("" if v is None else f"{v[0]:.5g}")
        lines.append(f"| {pname} | {'' if opt is None else f'{opt:.6g}'} | " + " | ".join(cells) + " |")
    return lines


def overhead_section(results):
    rows = {}
    for r in results.get("overhead", []):
        if "error" in r:
            continue
        rows.setdefault(r["optimizer"], {})[r["trials"]] = r
    if not rows:
        return []
    sizes = sorted({n for v in rows.values() for n in v})
    import optimizers
    lines = ["| optimizer | " + " | ".join(f"ms/trial, {n} trials" for n in sizes)
             + f" | ms/trial, last 10% of {sizes[-1]} | Optuna counterpart / this |",
             "|---|" + "---:|" * (len(sizes) + 2)]
    for opt in sorted(rows):
        cells = [fmt(rows[opt][n]["ms_per_trial"], 3) if n in rows[opt] else ""
                 for n in sizes]
        last = rows[opt].get(sizes[-1])
        tail = fmt(last["tail_ms_per_trial"], 3) if last else ""
        ratio = ""
        try:
            counterpart = optimizers.get(opt).counterpart
        except KeyError:
            counterpart = None
        if counterpart in rows and last and sizes[-1] in rows[counterpart]:
            ratio = f"{rows[counterpart][sizes[-1]]['ms_per_trial'] / last['ms_per_trial']:.1f}x"
        lines.append(f"| {opt} | " + " | ".join(cells) + f" | {tail} | {ratio} |")
    return lines


def run_cost_section(table, budgets):
    """Median optimizer time per trial inside the benchmark runs (real objectives)."""
    lines = ["| optimizer | " + " | ".join(f"ms/trial at {b}" for b in budgets) + " |",
             "|---|" + "---:|" * len(budgets)]
    for (opt, q) in sorted(table, key=lambda k: (k[1], k[0])):
        cells = []
        for b in budgets:
            vals = [r["overhead_s_at"][str(b)] / b * 1e3
                    for by_seed in table[(opt, q)].values() for runs in by_seed.values()
                    for r in runs if str(b) in r.get("overhead_s_at", {})]
            cells.append(fmt(statistics.median(vals), 2) if vals else "")
        lines.append(f"| {label(opt, q)} | " + " | ".join(cells) + " |")
    return lines


def plot(results, table, scorer, problem_names, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    budgets = results["settings"]["budgets"]
    t_max = max(budgets)
    # one fixed problem set for the whole curve (those still informative at the largest
    # budget), so that the curve does not jump where a problem saturates
    problem_names = [p for p in problem_names if not scorer.saturated(p, t_max)]
    qs = sorted({q for (_, q) in table})
    all_opts = sorted({o for (o, _) in table})
    cmap = plt.cm.tab10 if len(all_opts) <= 10 else plt.cm.tab20
    colors = {o: cmap(i % cmap.N) for i, o in enumerate(all_opts)}
    fig, axes = plt.subplots(1, len(qs), figsize=(6.5 * len(qs) + 2.5, 5), squeeze=False)
    lowest = 0.0
    for ax, q in zip(axes[0], qs):
        for opt in sorted(o for (o, qq) in table if qq == q):
            # hpsearch solid, Optuna dashed: the comparison the benchmark exists for
            style = "-" if opt.startswith("hps") else "--"
            runs = [r for by_seed in table[(opt, q)].values() for rs in by_seed.values() for r in rs]
            if runs and all(_budget_specific(r) for r in runs):
                pts = []
                for b in budgets:
                    sc, _ = median_scores({(opt, q): table[(opt, q)]}, scorer, b, problem_names)
                    vals = [v for v in sc.get(label(opt, q), {}).values() if v is not None]
                    if vals:
                        pts.append((b, statistics.mean(vals)))
                if pts:
                    ax.plot(*zip(*pts), "o" + style, color=colors[opt],
                            label=opt + " (one grid per budget)")
                    lowest = min(lowest, min(y for _, y in pts))
                continue
            curve = score_curve(table, scorer, opt, q, problem_names, t_max)
            xs = [t + 1 for t, v in enumerate(curve) if v is not None]
            ys = [v for v in curve if v is not None]
            # the first trials are a coin toss for every optimizer; start at 5
            shown = [(x, y) for x, y in zip(xs, ys) if x >= min(5, t_max)]
            if shown:
                ax.plot(*zip(*shown), style, color=colors[opt], label=opt, linewidth=1.6)
                lowest = min(lowest, min(y for _, y in shown))
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.axhline(100, color="grey", linewidth=0.8, linestyle=":")
        for b in budgets:
            ax.axvline(b, color="lightgrey", linewidth=0.6)
        ax.set_xlabel("trials")
        ax.set_ylabel("mean normalized score (100 = optimum, 0 = random search)")
        n_here = len({p for (o, qq), by_p in table.items() if qq == q for p in by_p
                      if p in problem_names})
        ax.set_title(f"{n_here} problems (not saturated at {t_max}), "
                     + ("sequential (q = 1)" if q == 1 else f"q = {q} asks per batch"))
        ax.set_xlim(1, t_max)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    for ax in axes[0]:
        ax.set_ylim(max(-100.0, lowest - 5.0), 100.0)
    shared_start = results["settings"].get("shared_start", 0)
    fig.suptitle(f"bench {results['name']}: {results['date']}, seeds "
                 f"{results['settings']['seeds']}"
                 + (f", shared start of {shared_start}" if shared_start else "")
                 + "; median over seeds, mean over problems", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def build(results, calibration):
    scorer = Scorer(results, calibration)
    table = collect(results, scorer)
    problem_names = list(results["problems"])
    budgets = results["settings"]["budgets"]
    qs = sorted({q for (_, q) in table})
    out = [f"# Benchmark {results['name']}", ""]
    m = results["machine"]
    v = results["versions"]
    out.append(f"{results['date']}, {m.get('cpu_model', m.get('processor', ''))} "
               f"({m['cpus']} cores), Python {m['python']}; optuna {v.get('optuna')}, "
               f"hpsearch {v.get('hpsearch') or 'not available'}; seeds "
               f"{results['settings']['seeds']}; run time {results['wall_s'] / 60:.1f} min "
               f"with {results['settings']['jobs']} jobs.")
    out.append("")
    out.append("Cells: median over seeds of the normalized score (100 = optimum or best "
               "known, 0 = median random search at the same budget, floor -100; see "
               "README.md). Bold: best on the problem (ties share the win). "
               "`sat.`: random search's median already reaches the best-known value "
               "at this budget, so the problem is left out of the mean and the wins.")
    skipped = results["settings"].get("skipped_optimizers") or {}
    if skipped:
        out.append("")
        out.append("Not run: " + "; ".join(f"{k} ({w})" for k, w in skipped.items()) + ".")
    errors = [r for r in results["runs"] + results.get("overhead", []) if "error" in r]
    if errors:
        out.append("")
        out.append(f"**{len(errors)} runs failed** (excluded): " + ", ".join(
            sorted({f"{r['optimizer']}/{r.get('problem', 'overhead')}" for r in errors})))
    shared_start = results["settings"].get("shared_start", 0)
    if shared_start:
        out += ["", f"Shared start: every optimizer's first {shared_start} trials on a "
                "(problem, seed) are the same configurations, drawn at random from the "
                "space; they count against the budget (README.md, \"Shared start\")."]
    summary = {}
    above = []
    for q in qs:
        labels = [label(o, qq) for (o, qq) in sorted(table, key=lambda k: k[0]) if qq == q]
        for b in budgets:
            scores, raw = median_scores(table, scorer, b, problem_names)
            out += ["", table_heading(b, q, shared_start), ""]
            shown = [p for p in problem_names if any(p in scores.get(lab, {}) for lab in labels)]
            intervals = mean_intervals(seed_results(table, scorer, b, shown), shown, labels)
            lines, means = score_table(scores, shown, labels, intervals)
            out += lines + ["", interval_note(intervals)]
            for lab, mean in means.items():
                summary.setdefault(lab, {})[b] = mean
            for lab in labels:
                for pname, s in scores.get(lab, {}).items():
                    if s is not None and s > 100.05:
                        above.append(f"{lab} on {pname} at {b} ({s:.1f})")
    if above:
        out += ["", "Scores above 100 (a run beat the stored best-known value; fold it in "
                "with `bench/calibrate.py --from-results`): " + "; ".join(above) + "."]
    out += ["", "## Median best value found (objective units)", ""]
    for q in qs:
        labels = [label(o, qq) for (o, qq) in sorted(table, key=lambda k: k[0]) if qq == q]
        for b in budgets:
            _, raw = median_scores(table, scorer, b, problem_names)
            out += [f"{b} trials" + ("" if q == 1 else f", q = {q}") + ":", ""]
            out += raw_table(raw, problem_names, labels, scorer) + [""]
    oh = overhead_section(results)
    if oh:
        out += ["## Optimizer overhead (instant objective, 5-D mixed space)", "",
                "ask + suggest + tell, in milliseconds per trial averaged over a study of "
                "that many trials (one process, in memory).", ""] + oh
    out += ["", "## Optimizer time inside the runs (ask + tell, median over runs)", ""]
    out += run_cost_section(table, budgets)
    return "\n".join(out) + "\n", table, scorer, problem_names, summary


def _load(path):
    with open(path) as f:
        return json.load(f)


def merge(files):
    """One results dict from several (see the module docstring)."""
    starts = {f["settings"].get("shared_start", 0) for f in files}
    if len(starts) > 1:
        raise ValueError("cannot merge results of different protocols: shared starts "
                         + ", ".join(f"{f['name']}: {f['settings'].get('shared_start', 0)}"
                                     for f in files))
    if len(files) == 1:
        return files[0]
    out = dict(files[0])
    out["name"] = "+".join(f["name"] for f in files)
    out["date"] = ", ".join(sorted({f["date"] for f in files}))
    out["wall_s"] = sum(f["wall_s"] for f in files)
    out["problems"] = {}
    runs, overhead = {}, {}
    settings = dict(files[0]["settings"])
    versions = dict(files[0]["versions"])
    for f in files:
        for name, meta in f["problems"].items():
            out["problems"].setdefault(name, meta)
        for r in f["runs"]:
            runs[(r["optimizer"], r["problem"], r["seed"], r["q"], r["trials"])] = r
        for r in f.get("overhead", []):
            overhead[(r["optimizer"], r["trials"])] = r
        for key, value in f["versions"].items():
            versions[key] = versions.get(key) or value
        settings["seeds"] = sorted(set(settings["seeds"]) | set(f["settings"]["seeds"]))
        skipped = dict(settings.get("skipped_optimizers") or {})
        for opt in f["settings"]["optimizers"]:
            skipped.pop(opt, None)
        settings["skipped_optimizers"] = skipped
    out["runs"] = list(runs.values())
    out["overhead"] = list(overhead.values())
    out["settings"] = settings
    out["versions"] = versions
    return out


def only_problems(results, spec):
    """`results` restricted to the problems `spec` names (comma-separated names or suites,
    as run.py's --problems), so that a family gets its own mean and interval."""
    keep = []
    for part in spec.split(","):
        try:
            keep.extend(problems.names(part))
        except KeyError:
            keep.append(part)
    out = dict(results)
    out["problems"] = {k: v for k, v in results["problems"].items() if k in keep}
    if not out["problems"]:
        raise ValueError(f"no problem of {spec!r} in the results")
    out["runs"] = [r for r in results["runs"] if r.get("problem") in out["problems"]]
    out["name"] = f"{results['name']} ({spec})"
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+")
    parser.add_argument("--markdown", help="markdown output (default: beside the results)")
    parser.add_argument("--plot", help="PNG output (default: beside the results)")
    parser.add_argument("--calibration", default=problems.CALIBRATION_FILE)
    parser.add_argument("--quiet", action="store_true", help="do not print the markdown")
    parser.add_argument("--problems", help="only these problems: comma-separated names or "
                        "suites (synthetic, mixed, ml, torch, conditional, "
                        "conditional_heldout, conditional_heldout2, conditional_heldout3, "
                        "synthetic_heldout, ml_heldout, torch_heldout)")
    args = parser.parse_args(argv)
    try:
        results = merge([_load(p) for p in args.results])
        if args.problems:
            results = only_problems(results, args.problems)
    except ValueError as e:
        parser.error(str(e))
    calibration = {}
    if os.path.exists(args.calibration):
        with open(args.calibration) as f:
            calibration = json.load(f)
    text, table, scorer, problem_names, _ = build(results, calibration)
    stem = os.path.splitext(args.results[0])[0]
    if len(args.results) > 1:
        stem += "+" + "+".join(os.path.splitext(os.path.basename(p))[0]
                               for p in args.results[1:])
    md_path = args.markdown or stem + ".md"
    png_path = args.plot or stem + ".png"
    with open(md_path, "w") as f:
        f.write(text)
    plot(results, table, scorer, problem_names, png_path)
    if not args.quiet:
        sys.stdout.write(text)
    print(f"report.py: wrote {md_path} and {png_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
