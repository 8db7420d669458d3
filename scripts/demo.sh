#!/usr/bin/env bash
# The README's main job: installs what it needs, builds the `nudge` command
# line, imports the sample data (the Maven CRM dataset) into a SQLite file and
# prints the dry-run plan for a fixed moment. Extra arguments go to `nudge plan`
# (e.g. --format json, --limit 0).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
cmake -S . -B build-demo -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DNUDGE_BUILD_TESTS=OFF -DNUDGE_BUILD_BENCHMARKS=OFF -DNUDGE_BUILD_PYTHON=OFF >/dev/null
cmake --build build-demo -j2 --target nudge_cli
nudge=build-demo/examples/cli/nudge
db=build-demo/maven.db
rm -f "$db" "$db-wal" "$db-shm"
"$nudge" init "$db"
"$nudge" import "$db" examples/data/maven
"$nudge" plan "$db" --config examples/config/maven.json --now 2017-12-31T18:00:00Z "$@"
