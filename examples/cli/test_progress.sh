#!/usr/bin/env bash
# The command line's progress bar and Ctrl-C (CTest example.cli_progress):
#   - no bar when stderr is not a terminal, one with --progress, none with --quiet;
#   - the bar is drawn with '\r' and cleared at the end;
#   - --threads 1 and --threads 3 give the same plan; --threads 0 is bad input (2);
#   - apply draws its own bar ("apply actions") and clears it;
#   - SIGINT during an import: exit 130, "cancelled", the database unchanged.
# Usage: test_progress.sh NUDGE_BINARY MAVEN_DIR WORK_DIR
set -euo pipefail
nudge=$1 maven=$2 work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$nudge" init crm.db >/dev/null

# Not a terminal, no flag: stderr stays empty.
"$nudge" import crm.db "$maven" >out.txt 2>err.txt
[ -s out.txt ] || fail "import printed nothing"
[ ! -s err.txt ] || fail "import wrote to stderr without a terminal: $(cat -v err.txt)"
"$nudge" plan crm.db --now 2017-12-31 --limit 1 >/dev/null 2>err.txt
[ ! -s err.txt ] || fail "plan wrote to stderr without a terminal"

# --progress: a bar per stage, redrawn with \r, cleared at the end (ESC [ K last).
"$nudge" plan crm.db --now 2017-12-31 --limit 1 --progress >/dev/null 2>err.txt
grep -q $'\r\033\[Kplan clients' err.txt || fail "no 'plan clients' bar: $(cat -v err.txt)"
grep -q '100%  112 / 112' err.txt || fail "the clients stage does not reach 112 / 112: $(cat -v err.txt)"
[ "$(tail -c 4 err.txt | od -An -c | tr -d ' ')" = '\r033[K' ] || fail "the bar is not cleared at the end: $(cat -v err.txt)"
"$nudge" import crm.db "$maven" --progress >/dev/null 2>err.txt
for stage in sales_teams products accounts sales_pipeline writing; do
  grep -q "import $stage" err.txt || fail "no bar for stage $stage: $(cat -v err.txt)"
done

# apply --progress: the plan's bars, then the apply's own ("apply actions"), cleared.
cp crm.db applied.db
"$nudge" apply applied.db --now 2017-12-31 --limit 1 --progress >/dev/null 2>err.txt
grep -q $'\r\033\[Kapply actions' err.txt || fail "no 'apply actions' bar: $(cat -v err.txt)"
[ "$(tail -c 4 err.txt | od -An -c | tr -d ' ')" = '\r033[K' ] || fail "the apply bar is not cleared at the end: $(cat -v err.txt)"
[ "$(sqlite3 applied.db 'SELECT count(*) FROM audit')" -gt 0 ] || fail "apply wrote no audit records"

# --threads: the same plan on one thread and on three; 0 is bad input, named.
"$nudge" plan crm.db --now 2017-12-31 --format json --threads 1 >one.json
"$nudge" plan crm.db --now 2017-12-31 --format json --threads 3 >three.json
[ "$(grep -c '"key"' one.json)" -gt 10 ] || fail "the plan has too few actions to compare"
cmp -s one.json three.json || fail "--threads 3 planned differently from --threads 1"
set +e
"$nudge" plan crm.db --now 2017-12-31 --threads 0 >/dev/null 2>err.txt
rc=$?
set -e
[ "$rc" = 2 ] || fail "--threads 0 exited $rc, expected 2"
grep -q -- "--threads" err.txt || fail "--threads 0: the error does not name the option: $(cat err.txt)"

# --quiet wins over a terminal; --quiet with --progress is bad input.
"$nudge" plan crm.db --now 2017-12-31 --quiet >/dev/null 2>err.txt
[ ! -s err.txt ] || fail "--quiet still drew"
set +e
"$nudge" plan crm.db --now 2017-12-31 --quiet --progress >/dev/null 2>err.txt
rc=$?
set -e
[ "$rc" = 2 ] || fail "--quiet --progress exited $rc, expected 2"

# Ctrl-C in the middle of a big import: exit 130, nothing written.
mkdir big
python3 - big <<'EOF'
import sys, os
d = sys.argv[1]
with open(os.path.join(d, "managers.csv"), "w") as f:
    f.write("id,name\n9001,Cancel Test\n")
with open(os.path.join(d, "clients.csv"), "w") as f:
    f.write("id,name,owner_manager_id\n")
    for i in range(9001, 9101):
        f.write(f"{i},Client {i},9001\n")
with open(os.path.join(d, "activities.csv"), "w") as f:
    f.write("id,client_id,manager_id,kind,at\n")
    for i in range(1, 2_000_001):
        f.write(f"{100000000 + i},{9001 + i % 100},9001,call_out,2017-0{1 + i % 9}-1{i % 10}T10:00:00Z\n")
EOF
before=$(sqlite3 crm.db .dump | sha256sum)
"$nudge" import crm.db big --progress >out.txt 2>err.txt &
pid=$!
for _ in $(seq 1 600); do
  grep -q "import activities" err.txt 2>/dev/null && break
  sleep 0.05
done
grep -q "import activities" err.txt || { kill "$pid"; fail "the import never reached activities: $(cat -v err.txt)"; }
kill -INT "$pid"
set +e
wait "$pid"
rc=$?
set -e
[ "$rc" = 130 ] || fail "Ctrl-C: exit $rc, expected 130 (stderr: $(cat -v err.txt | tail -c 300))"
grep -q "cancelled" err.txt || fail "no 'cancelled' message"
[ "$(sqlite3 crm.db .dump | sha256sum)" = "$before" ] || fail "the database changed after a cancelled import"
[ "$(sqlite3 crm.db 'SELECT count(*) FROM managers WHERE id = 9001')" = 0 ] || fail "manager 9001 was written"
echo "cli progress: bar drawn and cleared, quiet off a terminal, --threads plans alike, apply draws its own bar, Ctrl-C exits 130 with the database unchanged"
