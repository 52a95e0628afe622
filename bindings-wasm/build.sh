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
# The module is shrunk with binaryen's wasm-opt (Debian package `binaryen`), which must be on
# PATH; see `build_into` for how and why.
#
# The glue must come from wasm-bindgen-cli of exactly the version of the `wasm-bindgen` crate
# pinned in bindings-wasm/Cargo.toml; it is installed with cargo when missing or different.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here/.."
CARGO=${CARGO:-cargo}

if ! command -v wasm-opt >/dev/null 2>&1; then
    echo "build.sh: wasm-opt (binaryen) is required: apt-get install binaryen" >&2
    exit 1
fi

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
    # wasm-opt -Os runs on rustc's module, before wasm-bindgen: the binaryen of current
    # distributions (108 in Debian 12) rewrites the externref table wasm-bindgen adds into a
    # type Node rejects. Inlining is limited to the smallest functions: binaryen's default
    # inlining makes the module smaller raw but larger gzipped (see SIZE.md). The features come
    # from the module's target_features section. Names are dropped (to look into the module
    # with twiggy, run wasm-bindgen without --remove-name-section on rustc's module).
    local rustc_wasm="$target_dir/wasm32-unknown-unknown/release/botwire_wasm.wasm"
    local opt_wasm="$target_dir/wasm32-unknown-unknown/release/botwire_wasm.opt.wasm"
    wasm-opt -Os --one-caller-inline-max-function-size 0 --flexible-inline-max-function-size 0 \
        "$rustc_wasm" -o "$opt_wasm"
    # `--target web` glue works in browsers (init fetches the module beside the glue) and in
    # Node (the package reads the bytes and calls initSync).
    wasm-bindgen --target web --remove-name-section --out-dir "$out" --out-name botwire_wasm \
        "$opt_wasm"
    ls -l "$out"
}

build_into pkg-sim --features simulator
build_into pkg
