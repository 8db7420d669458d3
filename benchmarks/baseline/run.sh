#!/bin/sh
# Nudge side by side with ../shared/bench in one command; see compare.py --help.
#   benchmarks/baseline/run.sh --scale S|M|L [--seed 42] [--repeat 5] [--work /tmp/nudge-bench]
py=/usr/bin/python3
[ -x "$py" ] || py=python3
exec "$py" "$(dirname "$0")/compare.py" "$@"
