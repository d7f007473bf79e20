# The two commands a new user needs: `make run` and `make test` (see README.md).
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: run test bench build setup clean

run: build
	./$(BUILD)/srvd serve $(ARGS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

# Not part of `make test`: about 25 minutes of dnsperf and wrk against Knot, NSD and PowerDNS (bench/).
bench: build
	./scripts/setup-bench.sh
	SRVD=$(BUILD)/srvd bench/run.sh $(BENCH_ARGS)
	SRVD=$(BUILD)/srvd bench/registry.sh $(BENCH_ARGS)

build: setup
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_EXTRA)
	cmake --build $(BUILD) -j$(JOBS)

setup:
	./scripts/setup.sh

clean:
	rm -rf $(BUILD)
