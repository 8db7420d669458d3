#!/usr/bin/env bash
# Installs the built project into a scratch prefix and builds + runs the
# consumer project against it through find_package(nudge).
set -euo pipefail
build=$1; src=$(cd "$(dirname "$0")" && pwd); scratch=$build/consumer-test
rm -rf "$scratch"
cmake --install "$build" --prefix "$scratch/prefix" >/dev/null
cmake -S "$src" -B "$scratch/build" -G Ninja -DCMAKE_PREFIX_PATH="$scratch/prefix" >/dev/null
cmake --build "$scratch/build" >/dev/null
"$scratch/build/consumer" >/dev/null
if [ -x "$scratch/build/consumer_sqlite" ]; then LD_LIBRARY_PATH="$scratch/prefix/lib" "$scratch/build/consumer_sqlite"; fi
echo "consumer built and ran against the installed package"
