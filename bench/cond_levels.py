"""Compares two cond_trials.py files run by run: the best value at 25 and 50 trials and,
for the named categoricals, the trial at which a level was first taken where the files
differ on it (taken from trial 10 on, past the start-up, in at least one of them).

    /usr/bin/python3 cond_levels.py before.jsonl after.jsonl --params branch,c_kind

A level shown `-` was never taken in that file's run.
"""
import argparse
import json


def load(path):
    runs = {}
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            runs[(r["problem"], r["seed"], r["optimizer"])] = r["trials"]
    return runs


def first_taken(trials, params):
    first = {}
    for i, (config, _) in enumerate(trials):
        for p in params:
            if p in config:
                first.setdefault((p, str(config[p])), i)
    return first


def best(trials, n):
    values = [v for _, v in trials[:n] if v is not None]
    return min(values) if values else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--params", required=True, help="comma-separated categoricals")
    a = ap.parse_args()
    params = a.params.split(",")
    before, after = load(a.before), load(a.after)
    for key in sorted(set(before) & set(after)):
        tb, ta = before[key], after[key]
        fb, fa = first_taken(tb, params), first_taken(ta, params)
        changed = [f"{p}={level}: {fb.get((p, level), '-')} -> {fa.get((p, level), '-')}"
                   for p, level in sorted(set(fb) | set(fa))
                   if fb.get((p, level)) != fa.get((p, level))
                   and max(fb.get((p, level), 99), fa.get((p, level), 99)) >= 10]
        print(f"{key[0]} seed {key[1]}: best at 25/50 {best(tb, 25):.4f}/{best(tb, 50):.4f}"
              f" -> {best(ta, 25):.4f}/{best(ta, 50):.4f}  {'; '.join(changed)}")


if __name__ == "__main__":
    main()
