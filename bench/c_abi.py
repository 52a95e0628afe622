#!/usr/bin/env python3
"""The C ABI benchmark's driver (`make c-bench`): runs the Rust side
(`bindings-c/examples/abi_bench.rs`) and the C side (`tests/c/abi_bench.c`) of the same scenario
in turns (which side goes first alternates), ROUNDS times each with RUNS runs per process, so
that a change of the machine's load falls on both sides alike; then compares the median costs
per update (CPU time of the thread) and writes the figures for bench/report.py.

    c_abi.py RUST_PROGRAM C_PROGRAM CORPUS_DIR OUT.json [--rounds N] [--runs N]
             [--callgrind SMALL_CORPUS_DIR]

With --callgrind, each side also runs once under valgrind's callgrind on the smaller corpus,
counting the instructions executed inside its run function (warm-up and one run): a measure of
the same cost that the machine's noise does not reach.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

TARGET = 1.2


def run_side(program, corpus, runs):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "side.json")
        subprocess.run([program, corpus, out, str(runs)], check=True, timeout=600)
        with open(out) as f:
            return json.load(f)


# The function each side's runs go through (callgrind counts only inside it).
RUN_FUNCTION = {"rust": "abi_bench::run", "c": "run"}


def count_instructions(name, program, corpus):
    """Instructions per update executed inside the side's run function, under callgrind."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "side.json")
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--toggle-collect={RUN_FUNCTION[name]}",
             f"--callgrind-out-file={os.path.join(tmp, 'callgrind.out')}",
             program, corpus, out, "1"],
            check=True, timeout=900, capture_output=True, text=True,
        )
        with open(out) as f:
            updates = json.load(f)["updates"]
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    refs = int(found.group(1).replace(",", "")) if found else 0
    if refs == 0:
        sys.exit(f"c_abi.py: callgrind counted nothing in {RUN_FUNCTION[name]} of {program}")
    # The warm-up run and the timed run.
    return refs / (2 * updates)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rust")
    ap.add_argument("c")
    ap.add_argument("corpus")
    ap.add_argument("out")
    ap.add_argument("--rounds", type=int, default=31)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--callgrind", metavar="SMALL_CORPUS_DIR")
    args = ap.parse_args()

    sides = {"rust": {"cpu": [], "wall": []}, "c": {"cpu": [], "wall": []}}
    pairs = []
    facts = {}
    for round_index in range(args.rounds):
        round_medians = {}
        order = [("rust", args.rust), ("c", args.c)]
        # Which side goes first alternates, so that neither always runs on a warmer machine.
        if round_index % 2:
            order.reverse()
        for name, program in order:
            data = run_side(program, args.corpus, args.runs)
            sides[name]["cpu"] += data["cpu_ns_per_update"]
            sides[name]["wall"] += data["wall_ns_per_update"]
            round_medians[name] = statistics.median(data["cpu_ns_per_update"])
            seen = (data["updates"], data["dispatched"], data["replies"])
            facts.setdefault(name, seen)
            if facts[name] != seen:
                sys.exit(f"c_abi.py: the {name} side's runs differ: {facts[name]} vs {seen}")
        pairs.append(round_medians["c"] / round_medians["rust"])
    if facts["rust"] != facts["c"]:
        sys.exit(
            "c_abi.py: the scenarios differ (updates, dispatched, replies): "
            f"Rust {facts['rust']}, C {facts['c']}"
        )
    updates, dispatched, replies = facts["rust"]

    def summary(side):
        return {
            "ns_per_update": statistics.median(side["cpu"]),
            "best": min(side["cpu"]),
            "wall_ns_per_update": statistics.median(side["wall"]),
            "samples": sorted(side["cpu"]),
            "dispatched": dispatched,
            "replies": replies,
        }

    rust, c = summary(sides["rust"]), summary(sides["c"])
    result = {
        "updates": updates,
        "rounds": args.rounds,
        "runs": args.runs,
        "target": TARGET,
        "ratio": c["ns_per_update"] / rust["ns_per_update"],
        "ratio_best": c["best"] / rust["best"],
        "ratio_wall": c["wall_ns_per_update"] / rust["wall_ns_per_update"],
        "round_ratios": pairs,
        "rust": rust,
        "c": c,
    }
    if args.callgrind:
        counts = {
            name: count_instructions(name, program, args.callgrind)
            for name, program in [("rust", args.rust), ("c", args.c)]
        }
        with open(os.path.join(args.callgrind, "stats.json")) as f:
            small = json.load(f)["updates"]
        result["instructions"] = {
            "updates": small,
            "rust": counts["rust"],
            "c": counts["c"],
            "ratio": counts["c"] / counts["rust"],
        }
    with open(args.out, "w") as f:
        json.dump(result, f)
        f.write("\n")
    for label, side in [("Rust", rust), ("C", c)]:
        print(
            f"{label + ':':5} {side['ns_per_update']:.0f} ns/update CPU "
            f"(median of {len(side['samples'])}), {side['wall_ns_per_update']:.0f} wall"
        )
    print(
        f"ratio C / Rust: {result['ratio']:.3f}x of the CPU-time medians "
        f"(target at most {TARGET}x); best runs {result['ratio_best']:.3f}x; "
        f"wall {result['ratio_wall']:.3f}x; per round "
        + ", ".join(f"{r:.2f}" for r in pairs)
    )
    if "instructions" in result:
        i = result["instructions"]
        print(
            f"instructions per update (callgrind, {i['updates']} updates): Rust {i['rust']:.0f}, "
            f"C {i['c']:.0f}, ratio {i['ratio']:.3f}x"
        )


if __name__ == "__main__":
    main()
