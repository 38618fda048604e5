"""Fit and score speed of the count models, old code against new, side by side in one run.

Times ``MarkovClassifier`` and ``VariableOrderMarkovClassifier`` (their defaults) fitting
and scoring ``make_chord_progressions(n, random_state=0)``: ``fit(X)`` then ``score(X)``,
``y=None``. Each repeat runs every model in a fresh process per checkout, importing the
package from that checkout; old and new alternate, the first of each pair swapping from one
repeat to the next, so that a change of machine load falls on both. Figures are medians.

With ``--mcgill`` and ``--helpdesk`` it also checks that both checkouts predict the same
probabilities on real data: McGill phrases (deduplicated, ``KFold(7, shuffle=True,
random_state=42)`` as in ``real_data.py``, every fold) and the Helpdesk log (cases in file
order, the first 2/3 fitted, every test prefix of 2 or more events predicted).

Usage::

    git worktree add ../wt-baseline 020b1bd        # a checkout of the old code
    python benchmarks/markov_speed.py --baseline ../wt-baseline \\
        [--n 50000] [--repeats 5] \\
        [--mcgill ../shared/data/mcgill_seqlab.txt --helpdesk ../shared/data/helpdesk.csv]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent.parent
MODELS = ("MarkovClassifier", "VariableOrderMarkovClassifier")

TIME_CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
import sklearn_seqlab
from sklearn_seqlab.datasets import make_chord_progressions

assert sklearn_seqlab.__file__.startswith(sys.argv[1]), sklearn_seqlab.__file__
X = make_chord_progressions(int(sys.argv[2]), random_state=0)
for name in sys.argv[3:]:  # a warm-up, so that no first-call import is timed
    getattr(sklearn_seqlab, name)().fit(X[:50]).score(X[:50])
out = {}
for name in sys.argv[3:]:
    model = getattr(sklearn_seqlab, name)()
    start = time.perf_counter()
    model.fit(X)
    middle = time.perf_counter()
    model.score(X)
    out[name] = {"fit": middle - start, "score": time.perf_counter() - middle}
print(json.dumps(out))
"""

PROBA_CHILD = """
import sys
sys.path.insert(0, sys.argv[1])
import numpy as np
import pandas as pd
from sklearn.model_selection import KFold
import sklearn_seqlab

assert sklearn_seqlab.__file__.startswith(sys.argv[1]), sklearn_seqlab.__file__
mcgill, helpdesk, out = sys.argv[2:5]
splits = []
if mcgill != "-":  # as real_data.py reads it: one phrase a line, chords split on spaces
    with open(mcgill) as f:
        lines = f.read().splitlines()
    phrases = [line.split() for line in dict.fromkeys(lines) if line.strip()]
    for train, test in KFold(7, shuffle=True, random_state=42).split(phrases):
        train = [phrases[i] for i in train if len(phrases[i]) >= 2]
        test = [phrases[i] for i in test if len(phrases[i]) > 2]
        splits.append((f"mcgill", train, test))
if helpdesk != "-":
    log = pd.read_csv(helpdesk)
    cases = [g["ActivityID"].tolist() for _, g in log.groupby("CaseID", sort=False)]
    cut = int(round(len(cases) * 2 / 3))
    test = [case[: k + 1] for case in cases[cut:] for k in range(2, len(case))]
    splits.append(("helpdesk", [c for c in cases[:cut] if len(c) >= 2], test))
arrays = {}
for name in ("MarkovClassifier", "VariableOrderMarkovClassifier"):
    for i, (data, train, test) in enumerate(splits):
        model = getattr(sklearn_seqlab, name)().fit(train)
        key = f"{name}/{data}/{i}"
        arrays[key + "/proba"] = model.predict_proba([seq[:-1] for seq in test])
        arrays[key + "/classes"] = np.asarray(model.classes_).astype(str)
        arrays[key + "/score"] = np.array([model.score(test)])
np.savez(out, **arrays)
"""


def run(code, *args):
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONHASHSEED="0")
    done = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tempfile.gettempdir(),  # so that no checkout is imported from the working directory
    )
    if done.returncode:
        sys.exit(f"child failed:\n{done.stderr}")
    return done.stdout


def time_both(checkouts, n, repeats):
    """{label: {model: {step: [seconds per repeat]}}}, old and new alternating."""
    times = {label: {m: {"fit": [], "score": []} for m in MODELS} for label in checkouts}
    labels = list(checkouts)
    for repeat in range(repeats):
        order = labels if repeat % 2 == 0 else labels[::-1]
        for label in order:
            result = json.loads(run(TIME_CHILD, checkouts[label], n, *MODELS))
            for model, steps in result.items():
                for step, seconds in steps.items():
                    times[label][model][step].append(seconds)
            print(f"repeat {repeat + 1}/{repeats} {label}: {json.dumps(result)}", flush=True)
    return times


def table(times, n, repeats):
    old = "old" in times
    lines = [
        f"{n:,} sequences, median of {repeats} repeats, seconds",
        "",
        "| model | step | old | new | old / new |" if old else "| model | step | new |",
        "|---|---|---|---|---|" if old else "|---|---|---|",
    ]
    for model in MODELS:
        for step in ("fit", "score", "fit + score"):
            steps = ("fit", "score") if step == "fit + score" else (step,)
            new = np.median(np.sum([times["new"][model][s] for s in steps], axis=0))
            if not old:
                lines.append(f"| {model} | {step} | {new:.2f} |")
                continue
            before = np.median(np.sum([times["old"][model][s] for s in steps], axis=0))
            lines.append(f"| {model} | {step} | {before:.2f} | {new:.2f} | {before / new:.2f}x |")
    return "\n".join(lines)


def compare_proba(checkouts, mcgill, helpdesk):
    """Fit both checkouts on the real data; report whether their predictions are identical."""
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for label, path in checkouts.items():
            files[label] = os.path.join(tmp, f"{label}.npz")
            run(PROBA_CHILD, path, mcgill or "-", helpdesk or "-", files[label])
        old, new = np.load(files["old"]), np.load(files["new"])
        assert sorted(old.files) == sorted(new.files)
        lines = [
            "| model | data | splits | rows | identical | max abs diff |",
            "|---|---|---|---|---|---|",
        ]
        for model in MODELS:
            for data in ("mcgill", "helpdesk"):
                keys = [k for k in old.files if k.startswith(f"{model}/{data}/")]
                if not keys:
                    continue
                probas = [k for k in keys if k.endswith("/proba")]
                same = all(np.array_equal(old[k], new[k]) for k in keys)
                diff = max(float(np.abs(old[k] - new[k]).max()) for k in probas)
                rows = sum(len(old[k]) for k in probas)
                lines.append(f"| {model} | {data} | {len(probas)} | {rows:,} | {same} | {diff:g} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", help="a checkout of the old code (git worktree)")
    parser.add_argument("--new", default=str(HERE), help="the new code (default: this checkout)")
    parser.add_argument("--n", type=int, default=50_000, help="number of sequences")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--mcgill", help="mcgill_seqlab.txt, to compare predictions")
    parser.add_argument("--helpdesk", help="helpdesk.csv, to compare predictions")
    args = parser.parse_args()
    checkouts = {"new": str(Path(args.new).resolve())}
    if args.baseline:
        checkouts = {"old": str(Path(args.baseline).resolve()), **checkouts}
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    print(table(time_both(checkouts, args.n, args.repeats), args.n, args.repeats))
    if args.baseline and (args.mcgill or args.helpdesk):
        print()
        print(compare_proba(checkouts, args.mcgill, args.helpdesk))
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
