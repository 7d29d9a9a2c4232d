"""``python -m benchmarks [--quick] [--only W1,W3] [--peers] [--out DIR]``.

Runs the workloads, prints a Markdown table and writes ``results.md``,
``results.json`` and (with matplotlib) ``ratios.png`` into ``--out``.
Nothing here asserts on time: the figures are for reading.
"""

import argparse
import pathlib
import time

from benchmarks import report
from benchmarks.workloads import WORKLOADS


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, few repetitions (under a minute)")
    parser.add_argument("--only", default=",".join(WORKLOADS), help="comma-separated workloads (default: all)")
    parser.add_argument("--peers", action="store_true",
                        help="also time PyTorch, scikit-learn and Keras where installed")
    parser.add_argument("--out", default="benchmarks/results", help="folder for the result files")
    args = parser.parse_args(argv)
    chosen = [name.strip().upper() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s) {unknown}; choose from {list(WORKLOADS)}")
    results = []
    for name in chosen:
        start = time.perf_counter()
        results.append(WORKLOADS[name](args.quick, args.peers))
        print(f"{name} done in {time.perf_counter() - start:.1f} s", flush=True)
    print(report.write(results, pathlib.Path(args.out), args.quick))


if __name__ == "__main__":
    main()
