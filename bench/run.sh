#!/usr/bin/env bash
# Runs every benchmark and writes the figures to bench/RESULTS.md.
#   BOTWIRE_BENCH_UPDATES  corpus size (default 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${BOTWIRE_BENCH_UPDATES:-10000}"
corpus="target/bench-corpus-$n"
if [ ! -f "$corpus/updates.jsonl" ]; then
  python3 bench/telegram_corpus.py -n "$n" --seed 42 --out "$corpus" --spec core/spec/telegram/api.json
fi
BOTWIRE_CORPUS="$PWD/$corpus" cargo bench -p botwire-core --bench telegram
cargo bench -p botwire-core --bench trueconf
cargo run --release -q -p botwire-core --example flood_bench -- target/flood.json
cargo run --release -q -p botwire-core --example conversation_memory | tee target/conversation_memory.txt
# The npm package beside grammY (bench/npm/): sizes, then throughput on the same corpus.
make npm-build
if [ ! -d bench/npm/node_modules ]; then
  (cd bench/npm && npm install --no-audit --no-fund --no-package-lock)
fi
node bench/npm/size.mjs target/npm_bench.json
node bench/npm/throughput.mjs "$corpus" target/npm_bench.json
# The C library: cost per update through the C ABI against the same scenario in Rust.
make c-bench BENCH_UPDATES="$n"
python3 bench/report.py --corpus "$corpus" --out bench/RESULTS.md
cat bench/RESULTS.md
