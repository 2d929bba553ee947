# Thin wrapper around CMake for the README's commands.
#   make run     install what is missing, build, start a server on SQLite
#   make dev     the same, but an in-memory dev server
#   make check   install what is missing, build, run every test, also
#                under AddressSanitizer and UndefinedBehaviorSanitizer
#   make fuzz    build the libFuzzer targets and run each for a while
#   make bench   build a Release server in build-bench/ and run bench/run.sh
#                (FULL=1 adds the 1M-secret rows; see bench/README.md)

JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 60
FULL ?= 0

.PHONY: all build deps test-deps run dev check test test-asan fuzz fuzz-smoke \
	clean bench

all: build

deps:
	sh scripts/install-deps.sh build

test-deps:
	sh scripts/install-deps.sh test
	sh scripts/install-node-deps.sh

build: deps
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build -j $(JOBS)

run: build
	sh scripts/run-local.sh

dev: build
	./build/coffer server -dev -dev-root-token-id=root

test: test-deps
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build -j $(JOBS)
	cd build && ctest --output-on-failure -j $(JOBS)

test-asan: test-deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug \
		-DCOFFER_SANITIZE=ON >/dev/null
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j $(JOBS)

# The fuzz targets build with clang; a short run proves they work.
fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=10

check: test test-asan fuzz-smoke

fuzz: test-deps
	CC=clang cmake -S . -B build-fuzz -DCOFFER_FUZZ=ON \
		-DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build build-fuzz -j $(JOBS) --target fuzzers
	for f in build-fuzz/fuzz_*; do \
		name=$$(basename $$f); \
		seeds=tests/fuzz/corpus/$${name#fuzz_}; \
		[ -d $$seeds ] || seeds=; \
		mkdir -p build-fuzz/corpus-$$name; \
		$$f -max_total_time=$(FUZZ_SECONDS) build-fuzz/corpus-$$name \
			$$seeds || exit 1; \
	done

# Not part of check or CI: numbers depend on the machine and what else runs
# on it. -O2 rather than CMake's -O3: GCC 12 at -O3 reports a false
# format-truncation in src/cli/cli.c, which -Werror turns into a failure;
# -g costs nothing at run time and lets perf name the hot functions.
bench: deps
	sh bench/setup.sh
	cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release \
		"-DCMAKE_C_FLAGS_RELEASE=-O2 -g -DNDEBUG" >/dev/null
	cmake --build build-bench -j $(JOBS) --target coffer
	FULL=$(FULL) bash bench/run.sh

clean:
	rm -rf build build-asan build-fuzz
