"""Speed of ``KeyTransposer`` (12 keys), old code against new, side by side in one run.

Times ``KeyTransposer()(X)``, the copies ``StateEncoder(augment=KeyTransposer())`` makes in
every fit, on chord sequences: McGill's phrases (``--mcgill``, one phrase a line, as
``real_data.py`` reads them, duplicates kept), a file of the same layout (``--phrases-file``),
or by default ``make_chord_progressions(n, random_state=0)``. Each repeat runs each checkout
in a fresh process that imports the package from it; old and new alternate, the first of
each pair swapping from one repeat to the next, so that a change of machine load falls on
both. Figures are medians. With ``--baseline`` it also checks that both write the same copies.

Usage::

    git worktree add ../wt-baseline 1730064        # a checkout of the old code
    python benchmarks/augmentation_speed.py --baseline ../wt-baseline \\
        [--mcgill ../shared/data/mcgill_seqlab.txt] [--repeats 5]
"""

import argparse
import json
import subprocess
from pathlib import Path

import numpy as np
from markov_speed import run

HERE = Path(__file__).resolve().parent.parent

CHILD = """
import hashlib, json, sys, time
sys.path.insert(0, sys.argv[1])
import sklearn_seqlab
from sklearn_seqlab.data import KeyTransposer, make_chord_progressions

assert sklearn_seqlab.__file__.startswith(sys.argv[1]), sklearn_seqlab.__file__
if sys.argv[2] == "-":
    X = make_chord_progressions(int(sys.argv[3]), random_state=0)
else:
    with open(sys.argv[2]) as f:
        X = [line.split() for line in f.read().splitlines() if line.strip()]
KeyTransposer()(X[:50])  # a warm-up, so that no first-call import is timed
start = time.perf_counter()
copies = KeyTransposer()(X)
seconds = time.perf_counter() - start
digest = hashlib.sha256(json.dumps(copies).encode()).hexdigest()
states = sum(len(seq) for seq in X)
print(json.dumps({"seconds": seconds, "digest": digest, "sequences": len(X), "states": states}))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", help="a checkout of the old code (git worktree)")
    parser.add_argument("--new", default=str(HERE), help="the new code (default: this checkout)")
    parser.add_argument("--mcgill", help="mcgill_seqlab.txt: one phrase a line")
    parser.add_argument("--phrases-file", help="any file of that layout")
    parser.add_argument("--n", type=int, default=20_000, help="synthetic sequences")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    data = args.mcgill or args.phrases_file
    data = str(Path(data).resolve()) if data else "-"  # the children run in a temporary folder
    checkouts = {"new": str(Path(args.new).resolve())}
    if args.baseline:
        checkouts = {"old": str(Path(args.baseline).resolve()), **checkouts}
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    results = {label: [] for label in checkouts}
    for repeat in range(args.repeats):
        labels = list(checkouts) if repeat % 2 == 0 else list(checkouts)[::-1]
        for label in labels:
            results[label].append(json.loads(run(CHILD, checkouts[label], data, args.n)))
            print(f"repeat {repeat + 1}/{args.repeats} {label}: {results[label][-1]}", flush=True)
    first = results["new"][0]
    print(
        f"\n{first['sequences']:,} sequences, {first['states']:,} states; "
        f"median of {args.repeats} repeats, seconds\n"
    )
    medians = {label: np.median([r["seconds"] for r in rs]) for label, rs in results.items()}
    if args.baseline:
        same = len({r["digest"] for rs in results.values() for r in rs}) == 1
        ratio = medians["old"] / medians["new"]
        print("| old | new | old / new | same copies |\n|---|---|---|---|")
        print(f"| {medians['old']:.2f} | {medians['new']:.2f} | {ratio:.1f}x | {same} |")
    else:
        print(f"| new |\n|---|\n| {medians['new']:.2f} |")
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
