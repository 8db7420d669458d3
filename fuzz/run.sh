#!/usr/bin/env bash
# Fuzzes the configuration loader: fuzz/run.sh [seconds] (default 60).
# Builds nudge_fuzz_config with clang++-14 (libFuzzer + ASan + UBSan) in
# build-fuzz/, then runs it for that long on a working copy of the committed
# seed corpus (fuzz/corpus/ is only read). A crash, hang (-timeout), leak or a
# broken promise (see fuzz_config.cpp) stops it and leaves the input in
# build-fuzz/artifacts/.
#   MERGE=1 fuzz/run.sh 0   minimises seeds + working corpus back into fuzz/corpus/
#   JOBS=2 fuzz/run.sh 600  runs two fuzzing processes side by side
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
build=${NUDGE_FUZZ_BUILD:-build-fuzz}
cxx=${CXX_FUZZ:-clang++-14}
cmake -S fuzz -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target nudge_fuzz_config
fuzzer="$build/nudge_fuzz_config"
work="$build/corpus"
mkdir -p "$work" "$build/artifacts"
options=(-timeout=10 -rss_limit_mb=2048 -max_len=16384 -dict=fuzz/config.dict
         -artifact_prefix="$build/artifacts/" -print_final_stats=1)
if [[ $seconds -gt 0 ]]; then
  jobs=${JOBS:-1}
  if [[ $jobs -gt 1 ]]; then
    "$fuzzer" "${options[@]}" -max_total_time="$seconds" -jobs="$jobs" -workers="$jobs" "$work" fuzz/corpus
  else
    "$fuzzer" "${options[@]}" -max_total_time="$seconds" "$work" fuzz/corpus
  fi
fi
if [[ ${MERGE:-0} == 1 ]]; then
  # Keep the hand-written seeds (*.json), then add the fewest inputs of at
  # most 4 KB that reach new edges: a small corpus (a few hundred KB).
  small=$(mktemp -d) fresh=$(mktemp -d)
  cp fuzz/corpus/*.json "$fresh"/
  merge=(-merge=1 -use_counters=0 -use_value_profile=0 -timeout=10 -rss_limit_mb=2048)
  "$fuzzer" "${merge[@]}" -max_len=4096 "$small" fuzz/corpus "$work" 2>&1 | grep -E "^MERGE-OUTER: .*new files" || true
  "$fuzzer" "${merge[@]}" -max_len=16384 "$fresh" "$small" 2>&1 | grep -E "^MERGE-OUTER: .*new files" || true
  rm -rf fuzz/corpus "$small" && mv "$fresh" fuzz/corpus
  echo "fuzz/corpus: $(ls fuzz/corpus | wc -l) files, $(du -sh --apparent-size fuzz/corpus | cut -f1)"
fi
