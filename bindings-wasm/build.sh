#!/usr/bin/env bash
# Builds the npm package's WebAssembly module and its JS glue into bindings-wasm/pkg/, and the
# same with the in-package simulators (cargo feature `simulator`) into bindings-wasm/pkg-sim/:
#
#   bash bindings-wasm/build.sh            (from anywhere; CARGO_TARGET_DIR is honoured)
#
# pkg/ is what the package ships (package.json `files`); pkg-sim/ is not shipped: the web demo
# loads it (an import map in web-demo/index.html) and the tests of `simulator: true` run on it.
# The second build reuses the first one's dependencies and recompiles only this crate.
#
# The glue must come from wasm-bindgen-cli of exactly the version of the `wasm-bindgen` crate
# pinned in bindings-wasm/Cargo.toml; it is installed with cargo when missing or different.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here/.."
CARGO=${CARGO:-cargo}

want=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)"$/\1/p' "$here/Cargo.toml")
if [ -z "$want" ]; then
    echo "build.sh: bindings-wasm/Cargo.toml must pin wasm-bindgen as \"=x.y.z\"" >&2
    exit 1
fi
found=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$found" != "$want" ]; then
    echo "build.sh: installing wasm-bindgen-cli $want (found '${found:-none}')" >&2
    "$CARGO" install wasm-bindgen-cli --version "$want"
    found=$(wasm-bindgen --version | awk '{print $2}')
    [ "$found" = "$want" ] || { echo "build.sh: wasm-bindgen $found is not $want" >&2; exit 1; }
fi

target_dir=$("$CARGO" metadata --format-version 1 --no-deps \
    | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')

# build_into DIR [cargo arguments]: a release build of this crate, its glue into DIR.
build_into() {
    local out="$here/$1"
    shift
    # Optimised for size: the module is downloaded by browsers.
    CARGO_PROFILE_RELEASE_OPT_LEVEL=${CARGO_PROFILE_RELEASE_OPT_LEVEL:-s} \
        "$CARGO" build --release --target wasm32-unknown-unknown -p botwire-wasm "$@"
    rm -rf "$out"
    # `--target web` glue works in browsers (init fetches the module beside the glue) and in
    # Node (the package reads the bytes and calls initSync).
    wasm-bindgen --target web --remove-name-section --out-dir "$out" --out-name botwire_wasm \
        "$target_dir/wasm32-unknown-unknown/release/botwire_wasm.wasm"
    ls -l "$out"
}

build_into pkg-sim --features simulator
build_into pkg
