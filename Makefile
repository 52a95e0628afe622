# botwire developer commands.
#
#   make demo       the example bot against the embedded simulator (no token needed)
#   make test       every check CI runs (CI calls it through .ci/run, which installs the tools)
#   make help       the full list
#
# Each check of `make test` is also a target of its own (`make clippy`, `make c-smoke`, ...).

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

CARGO ?= cargo
CBINDGEN ?= cbindgen
# Pinned tools: .ci/run installs exactly these (it reads them with `make tool-versions`).
CBINDGEN_VERSION ?= 0.29.2
CARGO_FUZZ_VERSION ?= 0.13.2
# The same version as the `wasm-bindgen` crate pinned in bindings-wasm/Cargo.toml.
WASM_BINDGEN_VERSION ?= 0.2.130
WASM_TARGET := wasm32-unknown-unknown
SIM_PORT ?= 8081

# Cargo's output directory, wherever CARGO_TARGET_DIR or a cargo config puts it. Evaluated
# only by the targets that need it.
TARGET_DIR = $(shell $(CARGO) metadata --format-version 1 --no-deps \
	| sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')

# The C smoke test runs under AddressSanitizer and UndefinedBehaviorSanitizer; any report
# fails it. The Rust static library needs these system libraries on Linux.
C_FLAGS := -std=c11 -Wall -Wextra -Wpedantic -Werror -g -O1 \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
C_LIBS := -lpthread -ldl -lm -lrt -lutil

heading = @printf '\n==> %s\n' $(1)

include tests/c/rules.mk

.PHONY: help test fmt-check clippy doc codegen-check test-rust wasm header-check c-smoke \
	c-test c-valgrind c-examples c-bench fuzz-build demo coverage bench header codegen sim \
	tool-versions cbindgen-version

help:
	@echo "make demo        build the npm package and serve the web demo (prints the URL)"
	@echo "make demo-cli    run the example bot on the embedded Telegram and TrueConf simulators"
	@echo "make test        run every check CI runs"
	@echo "make coverage    print which Telegram Bot API methods and types are covered"
	@echo "make bench       run the benchmarks (bench/run.sh)"
	@echo "make sim         start the botwire-sim server on port $(SIM_PORT)"
	@echo "make codegen     regenerate the Telegram types and methods from the vendored spec"
	@echo "make header      regenerate include/botwire.h with cbindgen $(CBINDGEN_VERSION)"
	@echo
	@echo "Checks run by 'make test', each also a target:"
	@echo "  fmt-check clippy codegen-check test-rust coverage doc c-smoke header-check wasm fuzz-build"
	@echo "  c-test c-valgrind c-examples (C scenarios against botwire-sim under ASan+UBSan and"
	@echo "  valgrind, the abuse suite, the C and C++ example bots; 'make c-bench' times the C ABI)"
	@echo "  trueconf-peer (python-trueconf-bot, TrueConf's Python client, against botwire-sim)"
	@echo "  types-check npm-test npm-smoke workerd-test fetch-runtimes-test browser-test (the npm"
	@echo "  package: tsc on its declarations, node --test, against telegram-test-api, a webhook"
	@echo "  Worker in workerd, webhook servers in Deno and Bun, the web demo in headless Chromium)"

# Cheapest checks first, so a formatting slip fails in seconds; the dev build made by
# test-rust is reused by c-smoke.
test: fmt-check codegen-check clippy test-rust coverage doc c-smoke c-test c-valgrind c-examples \
	header-check install-check wasm fuzz-build \
	trueconf-peer types-check npm-test npm-smoke workerd-test fetch-runtimes-test browser-test
	$(call heading,"all checks passed")

fmt-check:
	$(call heading,"rustfmt")
	$(CARGO) fmt --all --check
	$(CARGO) fmt --check --manifest-path core/fuzz/Cargo.toml

codegen-check:
	$(call heading,"generated Telegram code matches the spec")
	$(CARGO) run -q -p botwire-codegen -- --check

# botwire-wasm is checked with and without its `simulator` feature (the published module has
# no simulators; the web demo's build has them). It has no target-specific code, so the native
# checks cover it; `wasm` builds both for $(WASM_TARGET).
clippy:
	$(call heading,"clippy")
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy -p botwire-wasm --all-targets --features simulator,client -- -D warnings

test-rust:
	$(call heading,"cargo test")
	$(CARGO) test --workspace
	$(CARGO) test -p botwire-wasm --features simulator

doc:
	$(call heading,"rustdoc")
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps

wasm:
	$(call heading,"build for $(WASM_TARGET): core and npm binding (without and with simulators)")
	$(CARGO) build -p botwire-core -p botwire-wasm --target $(WASM_TARGET)
	$(CARGO) build -p botwire-wasm --target $(WASM_TARGET) --features simulator

c-smoke:
	$(call heading,"C smoke test under ASan and UBSan")
	$(CARGO) build -p botwire-c
	mkdir -p "$(TARGET_DIR)/c"
	$(CC) $(C_FLAGS) -Iinclude tests/c/smoke.c "$(TARGET_DIR)/debug/libbotwire.a" $(C_LIBS) \
		-o "$(TARGET_DIR)/c/smoke"
	"$(TARGET_DIR)/c/smoke"

header-check: cbindgen-version
	$(call heading,"include/botwire.h is what cbindgen $(CBINDGEN_VERSION) generates")
	tmp=$$(mktemp); trap 'rm -f "$$tmp"' EXIT; \
	$(CBINDGEN) --quiet --config bindings-c/cbindgen.toml --output "$$tmp" bindings-c; \
	diff -u include/botwire.h "$$tmp" || { echo "include/botwire.h is stale: run 'make header'" >&2; exit 1; }

# CI only builds the fuzz targets (a dev build without sanitizer: it works on stable and is
# the cheapest proof that they compile). To fuzz, from core/:
#   RUSTC_BOOTSTRAP=1 cargo fuzz run telegram_client_sequence     (AddressSanitizer build)
fuzz-build:
	$(call heading,"fuzz targets build")
	cd core && $(CARGO) fuzz build --dev --sanitizer none

# TrueConf's own Python client (python-trueconf-bot 1.5.x, unmodified) as the reference peer
# of botwire's TrueConf simulator: a bot logs in (password and OAuth), echoes a message,
# reconnects, copies a file back and calls most API methods (tests/trueconf-peer/run.py).
trueconf-peer:
	$(call heading,"TrueConf peer check: python-trueconf-bot against botwire-sim")
	$(CARGO) build -q -p botwire-sim
	python3 tests/trueconf-peer/run.py "$(TARGET_DIR)/debug/botwire-sim"

# The npm package's TypeScript declarations (bindings-wasm/types/) compile under `tsc --noEmit`
# with the pinned TypeScript of bindings-wasm/types-test/package.json (installed by `npm ci`).
.PHONY: types-check
types-check:
	$(call heading,"TypeScript declarations: tsc --noEmit")
	bash bindings-wasm/types-test/run.sh

# The runtime's example bot in the terminal, on the embedded simulators. PLATFORM=telegram or
# PLATFORM=trueconf runs one of them (both by default).
demo-cli:
	$(CARGO) run -q -p botwire-core --example runtime_bot -- $(PLATFORM)

coverage:
	$(call heading,"Telegram Bot API coverage")
	$(CARGO) run -q -p botwire-core --example coverage

bench:
	bash bench/run.sh

header: cbindgen-version
	$(CBINDGEN) --quiet --config bindings-c/cbindgen.toml --output include/botwire.h bindings-c

# libbotwire for C and C++ programs: `make install PREFIX=/usr/local` (DESTDIR for staging)
# installs include/botwire.h, libbotwire.a, libbotwire.so (soname libbotwire.so.<ABI>, see
# bindings-c/build.rs) and lib/pkgconfig/botwire.pc, from a release build.
PREFIX ?= /usr/local
BOTWIRE_VERSION = $(shell sed -n 's/^version = "\([^"]*\)"/\1/p' Cargo.toml | head -n 1)

.PHONY: install install-check
install:
	$(call heading,"install libbotwire $(BOTWIRE_VERSION) into $(DESTDIR)$(PREFIX)")
	$(CARGO) build --release -p botwire-c
	v="$(BOTWIRE_VERSION)"; major="$${v%%.*}"; rest="$${v#*.}"; minor="$${rest%%.*}"; \
	if [ "$$major" = 0 ]; then abi="0.$$minor"; else abi="$$major"; fi; \
	lib="$(DESTDIR)$(PREFIX)/lib"; \
	install -d "$(DESTDIR)$(PREFIX)/include" "$$lib/pkgconfig"; \
	install -m 644 include/botwire.h "$(DESTDIR)$(PREFIX)/include/botwire.h"; \
	install -m 644 "$(TARGET_DIR)/release/libbotwire.a" "$$lib/libbotwire.a"; \
	install -m 755 "$(TARGET_DIR)/release/libbotwire.so" "$$lib/libbotwire.so.$$v"; \
	ln -sf "libbotwire.so.$$v" "$$lib/libbotwire.so.$$abi"; \
	ln -sf "libbotwire.so.$$abi" "$$lib/libbotwire.so"; \
	sed -e 's|@PREFIX@|$(PREFIX)|' -e "s|@VERSION@|$$v|" bindings-c/botwire.pc.in \
		> "$$lib/pkgconfig/botwire.pc"

# Installs into a temporary prefix, then builds bindings-c/install_check.c against it with
# `pkg-config --cflags --libs botwire`, linked statically and dynamically, and runs both.
install-check:
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(MAKE) --no-print-directory install PREFIX="$$tmp/prefix"; \
	printf '\n==> %s\n' "build and run a program against the installed library"; \
	export PKG_CONFIG_PATH="$$tmp/prefix/lib/pkgconfig"; \
	test "$$(pkg-config --modversion botwire)" = "$(BOTWIRE_VERSION)"; \
	flags="-std=c11 -Wall -Wextra -Wpedantic -Werror"; \
	$(CC) $$flags bindings-c/install_check.c $$(pkg-config --cflags --libs botwire) \
		-Wl,-rpath,"$$tmp/prefix/lib" -o "$$tmp/shared"; \
	case "$$(readelf -d "$$tmp/shared")" in *'[libbotwire.so.'*) ;; \
		*) echo "the program does not load libbotwire.so.<ABI>" >&2; exit 1 ;; esac; \
	"$$tmp/shared"; \
	$(CC) $$flags bindings-c/install_check.c \
		$$(pkg-config --cflags --libs --static botwire | sed 's/-lbotwire\b/-l:libbotwire.a/') \
		-o "$$tmp/static"; \
	case "$$(readelf -d "$$tmp/static")" in *libbotwire*) \
		echo "the static program loads libbotwire" >&2; exit 1 ;; esac; \
	"$$tmp/static"

codegen:
	$(CARGO) run -p botwire-codegen

sim:
	$(CARGO) run -q -p botwire-sim -- --port $(SIM_PORT)

tool-versions:
	@echo "CBINDGEN_VERSION=$(CBINDGEN_VERSION)"
	@echo "CARGO_FUZZ_VERSION=$(CARGO_FUZZ_VERSION)"
	@echo "WASM_BINDGEN_VERSION=$(WASM_BINDGEN_VERSION)"

cbindgen-version:
	@found=$$($(CBINDGEN) --version 2>/dev/null || echo none); \
	if [ "$${found##* }" != "$(CBINDGEN_VERSION)" ]; then \
		echo "need cbindgen $(CBINDGEN_VERSION), found '$$found':" \
			"cargo install cbindgen --version $(CBINDGEN_VERSION)" >&2; \
		exit 1; \
	fi

# The npm package (bindings-wasm/): the WebAssembly module and its JS glue in
# bindings-wasm/pkg/, made by the wasm-bindgen-cli of the pinned wasm-bindgen version, and the
# same with the simulators in bindings-wasm/pkg-sim/ (not published; the web demo and the
# tests of `simulator: true` use it).
.PHONY: npm-build npm-test
npm-build:
	$(call heading,"npm package: build bindings-wasm/pkg and pkg-sim")
	CARGO="$(CARGO)" bash bindings-wasm/build.sh

# Its tests (node --test): Telegram and TrueConf bots against botwire-sim, the in-package
# simulator (on the pkg-sim build), and `npm pack` installed into a fresh project.
npm-test: npm-build
	$(call heading,"npm package: node --test")
	$(CARGO) build -q -p botwire-sim
	cd bindings-wasm && npm install --no-audit --no-fund --no-package-lock
	cd bindings-wasm && BOTWIRE_SIM="$(TARGET_DIR)/debug/botwire-sim" \
		node --test --test-concurrency=1 test/*.test.mjs

# The package against telegram-test-api, a third-party fake Bot API server (tests/npm-smoke/).
.PHONY: npm-smoke
npm-smoke: npm-build
	$(call heading,"npm package: smoke test against telegram-test-api")
	if [ ! -d tests/npm-smoke/node_modules ]; then \
		cd tests/npm-smoke && npm install --no-audit --no-fund --no-package-lock; \
	fi
	node --test tests/npm-smoke/smoke.test.mjs

# The package in Cloudflare's runtime: a webhook Worker served by workerd (from npm, pinned in
# tests/workerd/package.json) on loopback, replying through botwire-sim.
.PHONY: workerd-test
workerd-test: npm-build
	$(call heading,"npm package: a webhook Worker in workerd")
	$(CARGO) build -q -p botwire-sim
	if [ ! -x tests/workerd/node_modules/.bin/workerd ]; then \
		cd tests/workerd && npm install --no-audit --no-fund --no-package-lock; \
	fi
	BOTWIRE_SIM="$(TARGET_DIR)/debug/botwire-sim" node --test tests/workerd/workerd.test.mjs

# The package in Deno and Bun (both from npm, pinned in tests/fetch-runtimes/package.json): a
# webhook server on `bot.webhookHandler()`, on loopback, replying through botwire-sim.
.PHONY: fetch-runtimes-test
fetch-runtimes-test: npm-build
	$(call heading,"npm package: webhook servers in Deno and Bun")
	$(CARGO) build -q -p botwire-sim
	if [ ! -x tests/fetch-runtimes/node_modules/.bin/deno ] || [ ! -x tests/fetch-runtimes/node_modules/.bin/bun ]; then \
		cd tests/fetch-runtimes && npm install --no-audit --no-fund --no-package-lock; \
	fi
	BOTWIRE_SIM="$(TARGET_DIR)/debug/botwire-sim" node --test tests/fetch-runtimes/fetch-runtimes.test.mjs

# The web demo (web-demo/): builds the npm package, then serves the page and the package on
# 127.0.0.1 and prints the URL (PORT=8080 for a fixed port; Ctrl-C stops it).
.PHONY: demo-cli browser-test
demo: npm-build
	node web-demo/serve.mjs $(PORT)

# The web demo in headless Chromium (/usr/bin/chromium, or CHROMIUM=path) driven by the pinned
# playwright-core of web-demo/test/package.json, in simulator mode and in token mode against
# botwire-sim; the screenshot goes to target/web-demo.png.
browser-test: npm-build
	$(call heading,"web demo: browser test in headless Chromium")
	cd web-demo/test && { [ -d node_modules/playwright-core ] || \
		npm install --no-audit --no-fund --no-package-lock; }
	$(CARGO) build -q -p botwire-sim
	cd web-demo && BOTWIRE_SIM="$(TARGET_DIR)/debug/botwire-sim" node --test test/browser.test.mjs
