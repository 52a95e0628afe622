# The C test programs, examples and benchmark of libbotwire (included by the Makefile).
#
#   make c-test       support library, Telegram (pull and callback mode) and TrueConf scenarios
#                     against botwire-sim, and the abuse suite, under ASan and UBSan
#   make c-valgrind   the same programs without sanitizers under valgrind (no error, no leak),
#                     and the benchmark driver's instruction count (callgrind) on a small corpus
#   make c-examples   the example bots (C with libcurl, C++17, TrueConf in C) against botwire-sim
#   make c-bench      cost per update through the C boundary against the same scenario in Rust
#
# Programs go to $(TARGET_DIR)/c-tests; each run is bounded by `timeout`.

C_SUPPORT := tests/c/support/util.c tests/c/support/http.c tests/c/support/ws.c \
	tests/c/support/sim.c
# The test host (HTTP, WebSocket and timer for a botwire_bot, pull or callback mode).
C_HOST := tests/c/host.c
C_TEST_PROGRAMS := support_test telegram_pull telegram_callback trueconf_callback abuse
# The sanitizer flags of the Makefile, in C99; and the same without sanitizers for valgrind.
C_TEST_FLAGS = $(C_FLAGS) -std=c99 -Iinclude -Itests/c
C_PLAIN_FLAGS = $(filter-out -fsanitize=% -fno-sanitize-recover=%,$(C_FLAGS)) -std=c99 \
	-Iinclude -Itests/c
CXX_EXAMPLE_FLAGS = -std=c++17 -Wall -Wextra -Wpedantic -Werror -g -O1 \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -Iinclude
C_TEST_TIMEOUT ?= 180
VALGRIND_FLAGS := --error-exitcode=1 --leak-check=full --show-leak-kinds=all \
	--errors-for-leak-kinds=all
BENCH_UPDATES ?= 10000

.PHONY: c-test c-valgrind c-examples c-bench

# Builds the test programs with the flags in $(1) into $(2) (a shell variable holds the
# target directory: cargo metadata runs once per recipe).
define build_c_tests
	for p in $(C_TEST_PROGRAMS); do \
		$(CC) $(1) tests/c/$$p.c $(C_SUPPORT) $(C_HOST) "$$dir/debug/libbotwire.a" $(C_LIBS) \
			-o "$(2)/$$p"; \
	done
endef

# The C side of the benchmark, built with the flags in $(1) into $(2)/abi_bench, and a small
# corpus for it in $$corpus (for the driver's check runs).
define build_bench_check
	corpus="$$dir/c-tests/bench-corpus-300"; \
	[ -f "$$corpus/updates.json" ] || python3 bench/telegram_corpus.py -n 300 --seed 7 \
		--out "$$corpus" --spec core/spec/telegram/api.json >/dev/null; \
	$(CC) $(1) tests/c/abi_bench.c tests/c/support/util.c "$$dir/debug/libbotwire.a" $(C_LIBS) \
		-o "$(2)/abi_bench"
endef

c-test:
	$(call heading,"C scenarios and abuse suite under ASan and UBSan")
	missing=$$(sed -n 's/^\(botwire_result\|void\|const char \*\) *\(botwire_[a-z_0-9]*\)(.*/\2/p' \
		include/botwire.h | while read -r f; do grep -qw "$$f" tests/c/abuse.c || echo "$$f"; done); \
	if [ -n "$$missing" ]; then \
		echo "functions of include/botwire.h the abuse suite does not call:" $$missing >&2; exit 1; \
	fi
	$(CARGO) build -q -p botwire-c -p botwire-sim
	$(CARGO) build -q -p botwire-c --example abi_bench
	dir="$(TARGET_DIR)"; out="$$dir/c-tests/asan"; mkdir -p "$$out"; \
	$(call build_c_tests,$(C_TEST_FLAGS),$$out); \
	for p in $(C_TEST_PROGRAMS); do \
		printf -- '--- %s\n' "$$p"; \
		BOTWIRE_SIM="$$dir/debug/botwire-sim" UBSAN_OPTIONS=print_stacktrace=1 \
			timeout $(C_TEST_TIMEOUT) "$$out/$$p"; \
	done; \
	printf -- '--- abi_bench: both sides of the C ABI benchmark play the same scenario\n'; \
	$(call build_bench_check,$(C_TEST_FLAGS),$$out); \
	UBSAN_OPTIONS=print_stacktrace=1 timeout $(C_TEST_TIMEOUT) python3 bench/c_abi.py \
		"$$dir/debug/examples/abi_bench" "$$out/abi_bench" "$$corpus" "$$out/abi_bench.json" \
		--rounds 1 --runs 1

c-valgrind:
	$(call heading,"C scenarios and abuse suite under valgrind")
	$(CARGO) build -q -p botwire-c -p botwire-sim
	$(CARGO) build -q -p botwire-c --example abi_bench
	dir="$(TARGET_DIR)"; out="$$dir/c-tests/plain"; mkdir -p "$$out"; \
	$(call build_c_tests,$(C_PLAIN_FLAGS),$$out); \
	for p in $(C_TEST_PROGRAMS); do \
		printf -- '--- %s\n' "$$p"; \
		BOTWIRE_SIM="$$dir/debug/botwire-sim" \
			timeout $$(( $(C_TEST_TIMEOUT) * 3 )) valgrind -q $(VALGRIND_FLAGS) "$$out/$$p"; \
	done; \
	printf -- '--- abi_bench: the benchmark driver counts instructions with callgrind\n'; \
	$(call build_bench_check,$(C_PLAIN_FLAGS),$$out); \
	timeout $$(( $(C_TEST_TIMEOUT) * 3 )) python3 bench/c_abi.py \
		"$$dir/debug/examples/abi_bench" "$$out/abi_bench" "$$corpus" "$$out/abi_bench.json" \
		--rounds 1 --runs 1 --callgrind "$$corpus"

# Each example runs against a fresh simulator, driven by tests/c/example_driver.c: users write,
# the bot answers, the driver checks the transcript and that the bot stops by itself.
c-examples:
	$(call heading,"C and C++ examples against botwire-sim")
	$(CARGO) build -q -p botwire-c -p botwire-sim
	dir="$(TARGET_DIR)"; out="$$dir/c-tests/examples"; mkdir -p "$$out"; \
	$(CC) $(C_TEST_FLAGS) $$(curl-config --cflags) bindings-c/examples/echo_bot.c \
		"$$dir/debug/libbotwire.a" $$(curl-config --libs) $(C_LIBS) -o "$$out/echo_bot"; \
	$(CC) $(C_TEST_FLAGS) bindings-c/examples/trueconf_echo_bot.c $(C_SUPPORT) \
		"$$dir/debug/libbotwire.a" $(C_LIBS) -o "$$out/trueconf_echo_bot"; \
	$(CXX) $(CXX_EXAMPLE_FLAGS) $$(curl-config --cflags) bindings-c/examples/echo_bot.cpp \
		"$$dir/debug/libbotwire.a" $$(curl-config --libs) $(C_LIBS) -o "$$out/echo_bot_cpp"; \
	$(CC) $(C_TEST_FLAGS) tests/c/example_driver.c $(C_SUPPORT) -o "$$out/example_driver"; \
	export BOTWIRE_SIM="$$dir/debug/botwire-sim"; \
	for run in "telegram echo_bot" "telegram echo_bot_cpp" "trueconf trueconf_echo_bot"; do \
		set -- $$run; printf -- '--- %s on %s\n' "$$2" "$$1"; \
		timeout $(C_TEST_TIMEOUT) "$$out/example_driver" "$$1" "$$out/$$2"; \
	done

# Release builds: the library and the Rust side of the comparison (bindings-c/examples/
# abi_bench.rs), on the corpus bench/run.sh generates, run in turns by bench/c_abi.py; results
# in target/c_abi_bench.json.
c-bench:
	$(call heading,"C ABI benchmark: cost per update through the C boundary vs Rust")
	corpus="target/bench-corpus-$(BENCH_UPDATES)"; \
	if [ ! -f "$$corpus/updates.jsonl" ]; then \
		python3 bench/telegram_corpus.py -n $(BENCH_UPDATES) --seed 42 --out "$$corpus" \
			--spec core/spec/telegram/api.json; \
	fi; \
	$(CARGO) build -q --release -p botwire-c --lib --example abi_bench; \
	dir="$(TARGET_DIR)"; mkdir -p "$$dir/c-tests"; \
	$(CC) -std=c99 -Wall -Wextra -Wpedantic -Werror -O2 -Iinclude -Itests/c \
		tests/c/abi_bench.c tests/c/support/util.c "$$dir/release/libbotwire.a" $(C_LIBS) \
		-o "$$dir/c-tests/abi_bench"; \
	small="target/bench-corpus-2000"; \
	if [ ! -f "$$small/updates.json" ]; then \
		python3 bench/telegram_corpus.py -n 2000 --seed 42 --out "$$small" \
			--spec core/spec/telegram/api.json >/dev/null; \
	fi; \
	python3 bench/c_abi.py "$$dir/release/examples/abi_bench" "$$dir/c-tests/abi_bench" \
		"$$corpus" target/c_abi_bench.json --callgrind "$$small"
