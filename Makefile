# The two commands of the README, and their parts.
#   make demo   -- installs what is missing, builds, and tunes the PyTorch example
#   make test   -- installs what is missing, builds, and runs the whole test suite
# Builds always treat warnings as errors.

BUILD ?= build
BUILD_ASAN ?= build-asan
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
PYTHON ?= /usr/bin/python3
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHPS_WERROR=ON

.PHONY: all deps-build deps-demo deps-test build build-demo demo test test-asan clean

all: build

deps-build:
	@scripts/install-deps.sh build
deps-demo:
	@scripts/install-deps.sh demo
deps-test:
	@scripts/install-deps.sh test

build: deps-build
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) > /dev/null
	cmake --build $(BUILD) -j $(JOBS)

# The demo needs only the command: no test packages, no test binaries.
build-demo: deps-demo
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) > /dev/null
	cmake --build $(BUILD) -j $(JOBS) --target hpsearch

# Tunes examples/pytorch_mlp (lr x hidden_size x epochs, the `auto` strategy, which runs
# the whole 18-point grid here; 2 workers, SQLite). Interrupt it any time: running it
# again resumes where it stopped.
demo: build-demo
	HPSEARCH_PYTHON=$(PYTHON) $(BUILD)/hpsearch run examples/pytorch_mlp/tune.yaml -j 2

# The suite runs between a throwaway PostgreSQL server and a single-node Slurm cluster
# (scripts/with-test-servers.sh starts both and stops them however ctest ends), so the
# PostgreSQL and Slurm tests run for real; where a server cannot start they print SKIP,
# unless HPS_REQUIRE_TEST_SERVERS=1 (CI) makes that an error.
WITH_SERVERS = scripts/with-test-servers.sh

test: deps-test
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) -DHPS_BUILD_TESTS=ON > /dev/null
	cmake --build $(BUILD) -j $(JOBS)
	$(WITH_SERVERS) sh -c 'cd $(BUILD) && HPS_PYTHON=$(PYTHON) ctest --output-on-failure -j $(JOBS)'
	scripts/check-unused.sh $(BUILD)
	scripts/check-layers.sh

# The whole suite again, library and CLI built with AddressSanitizer + UBSan.
test-asan: deps-test
	cmake -S . -B $(BUILD_ASAN) $(CMAKE_FLAGS) -DHPS_BUILD_TESTS=ON -DHPS_SANITIZE=ON
	cmake --build $(BUILD_ASAN) -j $(JOBS)
	$(WITH_SERVERS) sh -c 'cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS)'

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)
