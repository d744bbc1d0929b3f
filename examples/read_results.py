#!/usr/bin/python3
"""read_results.py — read a headsweep results file with h5py and pandas.

    /usr/bin/python3 examples/read_results.py RESULTS.h5 [-o tradeoff.png] [--task NAME]
                                              [--metric metric_pruned|metric_finetuned]

Loads /points into a DataFrame (fixed-length byte strings decoded, status codes
as text, heads_pruned_frac added), joins the head masks and importance scores
(/masks, /importance: one row per point and head), prints a few summaries and
draws the trade-off curve of one task — metric against the fraction of heads
pruned, one line per method (mean over seeds, band min to max), the base model
dashed — with matplotlib. Works while a sweep is still writing the file (SWMR).

Needs Debian's python3-h5py, python3-pandas and python3-matplotlib. The layout
is documented in docs/results-format.md; `headsweep query` and `headsweep plot`
do the same from the command line.
"""
import argparse
import sys

import h5py
import numpy as np
import pandas as pd

import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt  # noqa: E402

STATUS = {0: "pending", 1: "done", 2: "failed"}
ABSENT = 255  # /masks value of a head the task's model does not have


def open_results(path):
    """Opens a results file read-only; live (SWMR) when the file allows it."""
    try:
        f = h5py.File(path, "r", libver="latest", swmr=True)
    except (OSError, ValueError):
        f = h5py.File(path, "r")
    fmt = f.attrs.get("format", b"")
    if isinstance(fmt, bytes):
        fmt = fmt.decode()
    if fmt != "headsweep-results":
        f.close()
        raise SystemExit(f"{path} is not a headsweep results file (attribute format = {fmt!r})")
    return f


def table(dataset):
    """A compound dataset as a DataFrame, fixed-length strings decoded."""
    rows = dataset[...]
    df = pd.DataFrame({name: rows[name] for name in rows.dtype.names})
    for name in rows.dtype.names:
        if rows.dtype[name].kind == "S":  # fixed-length, NUL-terminated bytes
            df[name] = [b.split(b"\0", 1)[0].decode("utf-8", "replace") for b in rows[name]]
    return df


def load_points(f):
    """/points as a DataFrame: one row per grid point, `row` = its index in the file."""
    df = table(f["points"])
    df.insert(0, "row", np.arange(len(df)))
    df["status"] = df["status"].map(STATUS).fillna("unknown")
    total = df["heads_total"].where(df["heads_total"] > 0)
    df["heads_pruned_frac"] = 1.0 - df["heads_kept"] / total
    return df


def load_heads(f, points):
    """/masks and /importance in long form joined with the points: one row per
    (point, head) that exists; kept = mask 1 (kept) or 2 (kept as a constant head)."""
    masks = f["masks"][...]
    imp = f["importance"][...]
    n, L, H = masks.shape
    heads = pd.DataFrame({
        "row": np.repeat(np.arange(n), L * H),
        "layer": np.tile(np.repeat(np.arange(L), H), n),
        "head": np.tile(np.arange(H), n * L),
        "mask": masks.reshape(-1),
        "importance": imp.reshape(-1),
    })
    heads = heads[heads["mask"] != ABSENT]
    heads["kept"] = heads["mask"] != 0
    return heads.merge(points[["row", "id", "task", "method", "ratio", "seed", "status"]], on="row")


def tradeoff(points, bases, task, metric, out):
    """One trade-off figure for `task`; returns the per-(method, ratio) summary."""
    done = points[(points["task"] == task) & (points["status"] == "done")]
    if done.empty:
        raise SystemExit(f"task {task!r} has no done points")
    summary = (done.groupby(["method", "ratio"], sort=False)[metric]
               .agg(["mean", "std", "min", "max", "count"]).reset_index())
    methods = list(dict.fromkeys(points["method"]))  # sweep order: the colours of `headsweep plot`
    colours = plt.get_cmap("tab10").colors
    fig, ax = plt.subplots(figsize=(9.6, 5.4), dpi=100)
    for m in dict.fromkeys(done["method"]):
        s = summary[summary["method"] == m].sort_values("ratio")
        c = colours[methods.index(m) % len(colours)]
        ax.fill_between(s["ratio"], s["min"], s["max"], color=c, alpha=0.15, linewidth=0)
        ax.plot(s["ratio"], s["mean"], marker="o", color=c, label=m)
    base = bases[(bases["task"] == task) & (bases["status"] == "done")]["metric"]
    if len(base):
        ax.axhline(base.mean(), color="black", linestyle="--", label=f"base model ({base.mean():.4g})")
    ax.set_xlabel("fraction of heads pruned (the sweep's ratio)")
    ax.set_ylabel(f"{metric} (test split)")
    ax.set_title(f"{task}: {metric}, mean of {done['seed'].nunique()} seeds (band: min to max)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return summary


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("results")
    ap.add_argument("-o", "--output", default="tradeoff.png", help="PNG to write [tradeoff.png]")
    ap.add_argument("--task", help="task to plot [the first]")
    ap.add_argument("--metric", default="metric_pruned", choices=["metric_pruned", "metric_finetuned"])
    a = ap.parse_args()

    with open_results(a.results) as f:
        points = load_points(f)
        bases = table(f["base_jobs"])
        bases["status"] = bases["status"].map(STATUS).fillna("unknown")
        heads = load_heads(f, points)

    print(f"{a.results}: {len(points)} points "
          + ", ".join(f"{k} {v}" for k, v in points["status"].value_counts().items()))
    print(f"masks joined: {len(heads)} (point, head) rows")
    task = a.task or points["task"].iloc[0]
    if task not in set(points["task"]):
        raise SystemExit(f"no task {task!r}; tasks: {', '.join(dict.fromkeys(points['task']))}")

    summary = tradeoff(points, bases, task, a.metric, a.output)
    with pd.option_context("display.width", 120, "display.max_columns", 20):
        print(f"\n{task}: {a.metric} by method and ratio")
        print(summary.to_string(index=False))
        # how often each head survived at the largest ratio, per method
        at = heads[(heads["task"] == task) & (heads["status"] == "done")]
        at = at[at["ratio"] == at["ratio"].max()]
        surv = at.pivot_table(index=["method", "layer"], columns="head", values="kept", aggfunc="mean")
        print(f"\n{task}: fraction of seeds that kept each head at ratio {at['ratio'].max():g}")
        print(surv.round(2).to_string())
    print(f"\nwrote {a.output}")


if __name__ == "__main__":
    sys.exit(main())
