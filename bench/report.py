#!/usr/bin/env python3
"""Writes bench/RESULTS.md from criterion's estimates (target/criterion) and the corpus stats."""
import argparse
import datetime
import json
import os
import platform
import re
import subprocess


def estimate_ns(group, name):
    path = os.path.join("target", "criterion", group, name, "new", "estimates.json")
    with open(path) as f:
        e = json.load(f)
    return e["mean"]["point_estimate"], e["mean"]["confidence_interval"]


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    rustc = subprocess.run(["rustc", "-V"], capture_output=True, text=True).stdout.strip()
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores{mem}; {platform.system()} {platform.release()}; {rustc}"


def flood_section(path):
    """The "Flood control" section from `examples/flood_bench.rs`'s JSON, if it was written."""
    if not os.path.exists(path):
        return ""
    with open(path) as f:
        fl = json.load(f)
    ratio_met = fl["ratio"] <= 1.02
    zero_429 = fl["too_many_requests"] == 0
    return f"""
## Flood control

`cargo run --release -p botwire-core --example flood_bench`: {fl['messages']:,} `sendMessage`
calls to {fl['chats']:,} chats (private chats, groups, supergroups, channels) released by
`runtime::flood` against the simulator enforcing Telegram's limits, on a virtual clock.

| figure | value |
|---|---:|
| delivered | {fl['delivered']:,} |
| virtual completion time | {fl['completion_ms'] / 1000:.3f} s |
| theoretical minimum (max of the bounds below) | {fl['minimum_ms'] / 1000:.3f} s |
| global bound | {fl['global_bound_ms'] / 1000:.3f} s |
| per-chat bound | {fl['per_chat_bound_ms'] / 1000:.3f} s |
| per-group bound | {fl['per_group_bound_ms'] / 1000:.3f} s |
| 429 answers | {fl['too_many_requests']} |
| wall-clock time of the run | {fl['wall_ms']:.1f} ms |

| target | measured | met |
|---|---:|:---:|
| completion within 2% of the theoretical minimum | {fl['ratio']:.4f}x | {'yes' if ratio_met else 'NO'} |
| zero 429 responses | {fl['too_many_requests']} | {'yes' if zero_429 else 'NO'} |
"""


def runtime_section(n):
    """The "Runtime" section: dispatch throughput and memory per idle conversation."""
    parts = []
    try:
        ns, _ = estimate_ns("runtime", "dispatch_route")
    except OSError:
        ns = None
    if ns is not None:
        rate = n / (ns * 1e-9)
        rows = []
        for name, label in [
            ("adapter_only", "adapter alone (`event_from_update`, payload freed inside)"),
            ("route_only", "router alone (events built beforehand)"),
            ("update_drop_only", "update drop (freeing a parsed `Update`)"),
        ]:
            try:
                pns, _ = estimate_ns("runtime", name)
            except OSError:
                continue
            rows.append(f"| {label} | {n / (pns * 1e-9):,.0f} | {pns / n:,.0f} |")
        parts_rows = chr(10).join(rows)
        parts.append(f"""
## Runtime (one core, native)

`dispatch_route`: every update of the corpus, already parsed, through the Telegram adapter
(`runtime::telegram::event_from_update`), the dispatcher (duplicate check, per-chat lanes,
acknowledgement watermark) and a router of seven routes (three commands, a regex, a callback
prefix, inline queries, photos) plus a catch-all; each handler completes at once.

| benchmark | updates/s | ns/update |
|---|---:|---:|
| dispatch + route | {rate:,.0f} | {ns / n:,.0f} |
{parts_rows}

The handled events' payloads are freed outside the timed section, as their parsing is outside
it too; `update drop` is what freeing one parsed update costs, for the record.

| target | measured | met |
|---|---:|:---:|
| at least 1,000,000 updates/s through dispatcher and router | {rate:,.0f} | {'yes' if rate >= 1e6 else 'NO'} |
""")
    path = os.path.join("target", "conversation_memory.txt")
    if os.path.exists(path):
        text = open(path).read()
        m = re.search(r"conversation memory: (\d+) conversations", text)
        w = re.search(r"with the in-memory storage counted: ([0-9.]+)", text)
        a = re.search(r"manager alone \(storage not counted\): ([0-9.]+)", text)
        if m and w and a:
            with_storage = float(w.group(1))
            parts.append(f"""
## Memory per idle conversation

`cargo run --release -p botwire-core --example conversation_memory`: {int(m.group(1)):,} idle
per-chat conversations with a 16-byte state each on the in-memory storage; live heap bytes
counted by a counting allocator (requested sizes), the users' state subtracted.

| figure | bytes per conversation |
|---|---:|
| manager (timers, index) | {float(a.group(1)):.1f} |
| manager + in-memory storage | {with_storage:.1f} |

| target | measured | met |
|---|---:|:---:|
| at most 256 bytes of runtime overhead per idle conversation | {with_storage:.1f} | {'yes' if with_storage <= 256 else 'NO'} |
""")
    return "".join(parts)


def trueconf_section():
    """The "TrueConf" section: frames per second through the session and the bot."""
    try:
        bot_ns, _ = estimate_ns("trueconf", "bot")
        session_ns, _ = estimate_ns("trueconf", "session")
        value_ns, _ = estimate_ns("trueconf", "value_parse")
    except OSError:
        return ""
    mix_path = os.path.join("target", "trueconf_bench_mix.json")
    with open(mix_path) as f:
        mix = json.load(f)
    n = mix["frames"]
    kinds = ", ".join(f"{k} {v}" for k, v in mix["mix"].items())
    size = f" ({mix['bytes'] / n:,.0f} bytes a frame on average)" if "bytes" in mix else ""
    rows = []
    for label, ns in [
        ("bot: parse, acknowledge, typed event, shared model, dispatcher", bot_ns),
        ("session: parse, acknowledge, typed event", session_ns),
        ("`serde_json::Value` parse of each frame (for scale)", value_ns),
    ]:
        rows.append(f"| {label} | {n / (ns * 1e-9):,.0f} | {ns / n:,.0f} |")
    return f"""
## TrueConf frames (one core, native)

`cargo bench -p botwire-core --bench trueconf`: {n:,} server frames{size} over {mix['chats']}
chats, generated in the benchmark (`core/benches/trueconf.rs`) with this mix: {kinds}. Each frame is
fed to a connected state machine as the host would (`handle_ws_frame`), its outputs drained:
the acknowledgement frame, and for the bot the `Dispatch`, completed at once.

| path | frames/s | ns/frame |
|---|---:|---:|
{chr(10).join(rows)}
"""


def npm_section(path):
    """The "npm package" section from bench/npm/size.mjs and bench/npm/throughput.mjs's JSON."""
    if not os.path.exists(path):
        return ""
    with open(path) as f:
        data = json.load(f)
    kb = lambda n: f"{n / 1024:,.1f} KB"
    change = lambda a, b: f"{(a - b) / a * 100:.1f}% smaller" if b <= a else f"{(b - a) / a * 100:.1f}% larger"
    parts = ["""
## npm package
"""]
    size = data.get("size")
    if size:
        rows = [f"| `{f['file']}` | {kb(f['bytes'])} | {kb(f['gzip'])} |" for f in size["files"]]
        total = size["total"]
        target = size["target_gzip_bytes"]
        opt = size.get("wasm_opt", {})
        if "bytes" in opt:
            wasm = size["wasm"]
            opt_line = (
                "The build already runs `wasm-opt -Os` with inlining limited to the smallest "
                "functions (see `bindings-wasm/SIZE.md`). "
                f"`wasm-opt -Oz` ({opt['version']}) once more on the shipped module, for information: "
                f"{kb(wasm['bytes'])} to {kb(opt['bytes'])} raw ({change(wasm['bytes'], opt['bytes'])}), "
                f"{kb(wasm['gzip'])} to {kb(opt['gzip'])} gzipped ({change(wasm['gzip'], opt['gzip'])})."
            )
        elif opt.get("available"):
            opt_line = f"`wasm-opt -Oz` failed: {opt.get('error', 'unknown error')}."
        else:
            opt_line = "`wasm-opt` (binaryen) was not on PATH; its saving is not measured."
        met = total["gzip"] <= target
        code = size.get("code")
        code_row = (
            f"| the module and the JavaScript alone (what a runtime loads), gzipped (for information) | {kb(code['gzip'])} | |\n"
            if code
            else ""
        )
        parts.append(f"""
`node bench/npm/size.mjs`: every file the package's `files` list ships (and package.json), raw
and gzipped with node:zlib at level 9 (`{size['package']}`).

| file | raw | gzip |
|---|---:|---:|
{chr(10).join(rows)}
| **everything shipped** | **{kb(total['bytes'])}** | **{kb(total['gzip'])}** |

{opt_line}

| target | measured | met |
|---|---:|:---:|
| at most {kb(target)} gzipped for everything shipped | {kb(total['gzip'])} | {'yes' if met else 'NO'} |
{code_row}| the WebAssembly module alone, gzipped (for information) | {kb(size['wasm']['gzip'])} | |
""")
    tp = data.get("throughput")
    if tp:
        rows = []
        for key, c in tp["contenders"].items():
            rows.append(
                f"| {c['label']} | {c['updates_per_s']:,.0f} | {1e6 / c['updates_per_s']:,.1f} | {c['ratio_vs_grammy']:.2f}x | {c['handled']:,} |"
            )
        public = tp["contenders"]["botwire_handle_update"]["ratio_vs_grammy"]
        floor = tp["contenders"].get("botwire_no_handlers")
        floor_line = (
            "\nThe last two rows are floors, for information: the same calls with no handler\n"
            "registered. botwire's engine alone (reading each update, the duplicate check, routing\n"
            f"and acknowledgement, no JavaScript handler called) takes {1e6 / floor['updates_per_s']:,.1f} µs an update,\n"
            f"{floor['ratio_vs_grammy']:.2f}x the rate of grammY's whole path with its handlers.\n"
            if floor
            else ""
        )
        parts.append(f"""
`node bench/npm/throughput.mjs` ({tp['node']}, grammY {tp['grammy']}): the {tp['updates']:,} updates of the
corpus, each from its JSON text to a JS handler that awaits its outgoing call (`/start`
replies, callback queries are answered, text messages and channel posts are echoed); a run
ends when every handler has settled. Outgoing calls are swallowed: grammY's by an API
transformer answering `{{ ok: true, result: true }}` (no request built); botwire's by
`options.transport` answering from memory (the runtime builds each request in WebAssembly and
reads each answer). Both are fed
one update at a time, awaiting each: grammY with `bot.handleUpdate(JSON.parse(text))`, botwire
with `bot.handleUpdate(text)` (`intake: 'none'`, `botInfo` given: no polling, no `getMe`), and,
for reference, botwire through `bot.webhookHandler()` with a fetch `Request` per update.
Each timed run in a fresh Node process of its own, after {tp.get('warmup_runs', 1)} warm-up runs in that process,
the processes alternating between the paths; median of {tp['runs']} timed runs.

| path | updates/s | µs/update | vs grammY | handlers run |
|---|---:|---:|---:|---:|
{chr(10).join(rows)}
{floor_line}
| target | measured | met |
|---|---:|:---:|
| `bot.handleUpdate` at least as fast as grammY (ratio of updates/s) | {public:.2f}x | {'yes' if public >= 1 else 'NO'} |
""")
    return "".join(parts)


def c_abi_section(path):
    """The "C library" section from `make c-bench`'s JSON (tests/c/abi_bench.c and
    bindings-c/examples/abi_bench.rs), if it was written."""
    if not os.path.exists(path):
        return ""
    with open(path) as f:
        data = json.load(f)
    rust, c = data["rust"], data["c"]
    ratio = data["ratio"]
    target = data.get("target", 1.2)
    rows = []
    for label, side in [
        ("Rust: `TelegramBot` of botwire-core", rust),
        ("C: `libbotwire.a` in pull mode (`tests/c/abi_bench.c`)", c),
    ]:
        ns = side["ns_per_update"]
        wall = side.get("wall_ns_per_update", ns)
        rows.append(
            f"| {label} | {1e9 / ns:,.0f} | {ns:,.0f} | {wall:,.0f} | {side['replies']:,} |"
        )
    instructions = counted = ""
    if "instructions" in data:
        counted = (
            " The last row counts the instructions each side executes (valgrind's callgrind, one"
            " process per side), which the machine's load cannot change."
        )
        i = data["instructions"]
        instructions = (
            f"| instructions per update inside the run function, callgrind on a "
            f"{i['updates']:,}-update corpus: Rust {i['rust']:,.0f}, C {i['c']:,.0f} "
            f"(noise-free; for information) | {i['ratio']:.2f}x | |\n"
        )
    return f"""
## C library

`make c-bench`: the same scenario driven from Rust (`bindings-c/examples/abi_bench.rs`) and from
C through the C ABI (`tests/c/abi_bench.c`, release builds of both): a polling bot on a virtual
clock, each `getUpdates` answered from memory with the next batch of the corpus (its
{data['updates']:,} updates), each event dispatched to a handler that replies to text messages
with their text and completes, each `sendMessage` answered from memory. Flood budgets are open
(no send waits). Each run is timed from the bot's creation to its release in CPU time of the
thread, so that the time the machine gives to other processes does not count. The two sides
run in turns (`bench/c_abi.py`): {data['rounds']} rounds, each a Rust process and a C process
(which goes first alternates) of {data['runs']} runs after a warm-up run; figures are medians of
all runs of a side. The machine's noise shows in the ratios of single rounds below.{counted}

| path | updates/s (CPU) | ns/update (CPU) | ns/update (wall) | replies |
|---|---:|---:|---:|---:|
{chr(10).join(rows)}

| target | measured | met |
|---|---:|:---:|
| cost per update through the C boundary at most {target:.1f}x the Rust one (medians) | {ratio:.2f}x | {'yes' if ratio <= target else 'NO'} |
| the same ratio for the best run of each side (for information) | {data.get('ratio_best', ratio):.2f}x | |
| the ratio of the wall-time medians (for information) | {data.get('ratio_wall', ratio):.2f}x | |
{instructions}
Ratio of the two sides' medians in each round: {', '.join(f'{r:.2f}x' for r in data.get('round_ratios', []))}.
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    with open(os.path.join(args.corpus, "stats.json")) as f:
        stats = json.load(f)
    n = stats["updates"]
    rows = []
    rate = {}
    for name, label in [
        ("value_parse", "`serde_json::Value` parse (baseline)"),
        ("typed_parse", "typed parse (`Update`)"),
        ("glance", "glance (headline, no full parse)"),
        ("typed_event", "typed parse + shared event (`Update`, `event_from_update`)"),
        ("json_event", "update kept as JSON + shared event (`JsonUpdate`, `event_from_json`; the npm package's path)"),
        ("request_build", "request building (`sendMessage` + inline keyboard, to HTTP bytes)"),
        ("client_intake", "intake: getUpdates bodies through the polling state machine"),
    ]:
        ns, ci = estimate_ns("telegram", name)
        rate[name] = n / (ns * 1e-9)
        rows.append(f"| {label} | {rate[name]:,.0f} | {ns / n:,.0f} |")
    typed_vs_value = rate["value_parse"] / rate["typed_parse"]
    glance_vs_typed = rate["glance"] / rate["typed_parse"]
    json_vs_typed = rate["json_event"] / rate["typed_event"]
    today = datetime.date.today().isoformat()
    out = f"""# Benchmark results

Written by `bench/run.sh` (criterion, release build with LTO); do not edit by hand.

- Date: {today}
- Machine: {machine()}
- Corpus: `bench/telegram_corpus.py -n {n} --seed 42`: {n:,} updates, {stats['bytes']:,} bytes
  (mean {stats['mean_bytes']} bytes); kinds: {', '.join(f"{k} {v}" for k, v in stats['kinds'].items())}

## Telegram codec (one core, native)

Each figure processes the whole corpus, one update at a time, from JSON bytes.

| benchmark | updates/s | ns/update |
|---|---:|---:|
{chr(10).join(rows)}

Ratios (measured in the same run):

| target | measured | met |
|---|---:|:---:|
| typed parse within 1.3x of `serde_json::Value` (time ratio typed / Value) | {typed_vs_value:.2f}x | {'yes' if typed_vs_value <= 1.3 else 'NO'} |
| glance at least 3x faster than a typed parse | {glance_vs_typed:.2f}x | {'yes' if glance_vs_typed >= 3 else 'NO'} |
| update to event kept as JSON vs typed (speed-up, for information) | {json_vs_typed:.2f}x | |
"""
    out += flood_section(os.path.join("target", "flood.json"))
    out += runtime_section(n)
    out += trueconf_section()
    out += npm_section(os.path.join("target", "npm_bench.json"))
    out += c_abi_section(os.path.join("target", "c_abi_bench.json"))
    with open(args.out, "w") as f:
        f.write(out)


if __name__ == "__main__":
    main()
