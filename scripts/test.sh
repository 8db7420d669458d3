#!/usr/bin/env bash
# The README's test command: installs what it needs, builds everything, runs
# every test (C++ unit, oracle, integration, Python). NUDGE_SANITIZE=1 builds
# with AddressSanitizer + UndefinedBehaviorSanitizer in a separate directory.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
build=build
# Line tables only (-g1): a failure's backtrace still names file and line, and
# the build takes about half the disk (full -g needs 1.5 GB here, and CI ran
# out of disk with both builds on it) and less time. -O1, not -O2: the large
# test sources (the conformance kit, unity-built) compile in about two thirds
# of the time (nudge_test_storage 121 s against 186 s on a 2-core machine),
# and the tests run about as fast; the benchmarks and the demo build Release.
args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG"
      -DNUDGE_BUILD_PYTHON=ON -DPython3_EXECUTABLE=/usr/bin/python3)
if [ "${NUDGE_SANITIZE:-0}" = 1 ]; then
  build=build-asan
  args=(-DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DNUDGE_SANITIZE=ON -DNUDGE_BUILD_PYTHON=OFF
        -DNUDGE_BUILD_EXAMPLES=OFF -DNUDGE_BUILD_BENCHMARKS=OFF)
fi
cmake -S . -B "$build" -G Ninja "${args[@]}"
cmake --build "$build" -j2
ctest --test-dir "$build" --output-on-failure -j2
