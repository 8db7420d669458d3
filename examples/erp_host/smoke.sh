#!/usr/bin/env bash
# Smoke test of nudge_erp_host (CTest example.erp_host): a new ERP database,
# four nights, then the same nights again (exactly once: nothing new), and bad
# input (exit 2).
set -euo pipefail
host=$1 work=$2
rm -rf "$work" && mkdir -p "$work"
db=$work/acme.db
fail() { echo "FAIL: $*" >&2; exit 1; }

"$host" "$db" >"$work/first.txt"
cat "$work/first.txt"
grep -q "a new Acme ERP database" "$work/first.txt" || fail "no sample data created"
grep -q "+ reassign" "$work/first.txt" || fail "no client was handed over"
grep -q "+ create_task" "$work/first.txt" || fail "no to-do was created"
grep -q "clear_label" "$work/first.txt" || fail "the ERP's payment and call did not clear a label"
todos=$(sqlite3 "$db" "SELECT count(*) FROM todo WHERE source <> ''")
mails=$(sqlite3 "$db" "SELECT count(*) FROM mail_queue")
[ "$todos" -ge 3 ] || fail "only $todos to-dos from Nudge in the ERP's todo table"
[ "$mails" -ge 5 ] || fail "only $mails rows in the ERP's mail_queue"
[ "$(sqlite3 "$db" "SELECT count(*) FROM nudge_outbox WHERE status <> 'delivered'")" = 0 ] || fail "messages left undelivered"

"$host" "$db" >"$work/second.txt"
grep -q "^0 actions applied in this run, 0 messages" "$work/second.txt" || fail "a second run applied something: $(tail -1 "$work/second.txt")"
[ "$(sqlite3 "$db" "SELECT count(*) FROM todo WHERE source <> ''")" = "$todos" ] || fail "a second run created to-dos"
[ "$(sqlite3 "$db" "SELECT count(*) FROM mail_queue")" = "$mails" ] || fail "a second run mailed again"

set +e
"$host" "$db" --now 2026-13-01 2>"$work/err.txt"
rc=$?
set -e
[ "$rc" = 2 ] || fail "a bad --now exited $rc, expected 2"
grep -q -- "--now" "$work/err.txt" || fail "the message does not name --now: $(cat "$work/err.txt")"
echo "erp host: $todos to-dos and $mails mails in the ERP's tables; a second run applied nothing"
