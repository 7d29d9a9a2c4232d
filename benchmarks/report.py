"""Write benchmark results as a Markdown table, JSON, and (with matplotlib) a PNG."""

import json
import os
import platform

import numpy


def machine():
    """A line describing where the figures were measured."""
    config = numpy.show_config(mode="dicts") if hasattr(numpy, "show_config") else {}
    blas_info = config.get("Build Dependencies", {}).get("blas", {})
    blas = f"{blas_info.get('name', 'unknown BLAS')} {blas_info.get('version', '')}".strip()
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    pinned = ", ".join(f"{k}={os.environ[k]}" for k in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS")
                       if k in os.environ)
    return (f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, numpy {numpy.__version__} "
            f"({blas}{'; ' + pinned if pinned else ''})")


def markdown(results, quick):
    lines = [f"Measured on: {machine()}{' (quick mode)' if quick else ''}.", "",
             "Ratio: median over repetitions of (implementation time / hand-written numpy time), "
             "both measured back to back in the same run; lower is faster.", ""]
    for result in results:
        lines += [f"### {result['id']}: {result['title']}", ""]
        if result["id"] == "W4":
            lines += ["| run | file | RSS before fit | peak growth during fit | target |", "|---|---|---|---|---|"]
            for row in result["rows"]:
                lines.append(f"| {row['implementation']} | {row['file_mb']} MB | {row['baseline_mb']} MB | "
                             f"**{row['median']:.1f} MB** | < {result['target']} MB |")
        else:
            lines += [f"| implementation | median ({result['unit']}) | ratio to numpy | range of ratios | target |",
                      "|---|---|---|---|---|"]
            for row in result["rows"]:
                target = row_target(result, row["implementation"])
                target = "" if target is None else f"<= {target}"
                lines.append(f"| {row['implementation']} | {_fmt(row['median'])} | **{row['ratio']:.2f}** | "
                             f"{row['min_ratio']:.2f}-{row['max_ratio']:.2f} | {target} |")
        lines.append("")
    return "\n".join(lines)


def row_target(result, implementation):
    """The target of one row: ``result['targets'][implementation]`` where a workload gives targets per
    row (W2: the step inside ``fit`` and ``train_on_batch``), else ``result['target']`` for microkeras."""
    targets = result.get("targets", {"microkeras": result["target"]})
    return targets.get(implementation)


def _fmt(value):
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def write(results, folder, quick):
    """Write ``results.json``, ``results.md`` and, if matplotlib is installed, ``ratios.png``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps({"machine": machine(), "quick": quick, "results": results},
                                                    indent=2))
    text = markdown(results, quick)
    (folder / "results.md").write_text(text + "\n")
    plot(results, folder / "ratios.png")
    return text


def plot(results, path):
    """A bar chart of the ratios per workload; skipped without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    timed = [r for r in results if r["id"] != "W4"]
    if not timed:
        return None
    fig, axes = plt.subplots(1, len(timed), figsize=(4.2 * len(timed), 3.6), squeeze=False)
    for ax, result in zip(axes[0], timed):
        names = [row["implementation"].replace(" (hand-written)", "\n(hand-written)") for row in result["rows"]]
        ratios = [row["ratio"] for row in result["rows"]]
        colors = ["#4c72b0" if name.startswith("microkeras") else "#999999" for name in names]
        ax.barh(names, ratios, color=colors)
        ax.axvline(1.0, color="black", linewidth=0.8)
        for position, row in enumerate(result["rows"]):  # each target across its own bar
            target = row_target(result, row["implementation"])
            if target is not None:
                ax.plot([target, target], [position - 0.45, position + 0.45], color="#c44e52", linestyle="--",
                        linewidth=1.0)
        ax.set_title(f"{result['id']} ({result['unit']})", fontsize=10)
        ax.set_xlabel("time / hand-written numpy (dashed: target)")
        ax.invert_yaxis()
        ax.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
