# Thin wrapper over CMake. `make run` and `make test` do all the set-up on a fresh Debian 12.
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 15
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: all deps build run test test-sanitize test-image bench soak install clean fuzz fuzz-smoke

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

run: build
	@echo "herald: public listener http://127.0.0.1:8080 (SSE, WebSocket), internal http://127.0.0.1:8081 (publish API)"
	@echo "  subscribe: curl -N 'http://127.0.0.1:8080/v1/sse?channel=news'   or   $(BUILD)/herald tail news [--ws]"
	@echo "  publish:   $(BUILD)/herald publish news hello"
	$(BUILD)/herald serve

test: build
	@scripts/install-deps.sh --test
	@tests/browser/setup.sh
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

# The container image (Dockerfile) and the pod manifests (deploy/kubernetes/), built and run with
# rootful podman: health check, publish/subscribe, SIGTERM drain, kube play. Root; docs/deploy.md.
test-image:
	scripts/test-image.sh

test-sanitize: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DHERALD_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS) --target herald unit_tests integration_tests docs_tests
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS) --timeout 900 -LE browser

# libFuzzer targets (clang): each runs FUZZ_SECONDS on a copy of its corpus; see docs/fuzzing.md.
fuzz:
	@scripts/install-deps.sh --fuzz
	JOBS=$(JOBS) fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# The same, ~15 s per target (CI): fails on any crash, sanitizer error or broken invariant.
fuzz-smoke:
	@scripts/install-deps.sh --fuzz
	JOBS=$(JOBS) fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SMOKE_SECONDS)

bench: build
	$(BUILD)/bench/fanout_bench

soak: build
	$(BUILD)/bench/soak_bench

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
