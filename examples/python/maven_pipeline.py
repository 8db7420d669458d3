#!/usr/bin/env python3
"""Imports the Maven CRM dataset and prints the stale deals and a forecast.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/maven_pipeline.py \
        [--data examples/data/maven] [--now 2017-12-31] [--db crm.db] [--limit 15]
        [--config examples/config/maven.json]

The dataset (a fictitious B2B hardware seller, 8,800 opportunities in 2016-17)
comes in through nudge.csv.import_maven. "Stale" is what the engine's dead-deal
and stage-SLA assistants find at --now: deals open longer than --max-age days,
and deals sitting in Prospecting or Engaging longer than their stage's limit.
The forecast is the plan's weighted open pipeline per agent. With --config
the assistants come from a JSON configuration file (nudge.load_config) instead,
and the supervisors' team reports (nudge.Reports) are printed too.
"""

import argparse
import os
import pathlib
import sys
from collections import Counter

import nudge
from nudge import Period, Stage, StageKind

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.normpath(os.path.join(HERE, "..", "data", "maven"))


def config(max_age_days, prospecting_days, engaging_days):
    """Only the deal assistants: dead deals alert the supervisor, stage limits warn and escalate."""
    c = nudge.EngineConfig(calendar=nudge.BusinessCalendar.weekdays("UTC"))
    c.pipelines = [nudge.Pipeline("maven", "Maven sales", [
        Stage("prospecting", "Prospecting", StageKind.open, Period.days(prospecting_days)),
        Stage("engaging", "Engaging", StageKind.open, Period.days(engaging_days)),
        Stage("won", "Won", StageKind.won),
        Stage("lost", "Lost", StageKind.lost)])]
    c.dead_deal = [nudge.DeadDealConfig(max_age=Period.days(max_age_days))]
    c.stage_sla = [nudge.StageSlaConfig()]
    return c


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=DEFAULT_DATA, help="the dataset's directory")
    ap.add_argument("--now", default="2017-12-31", help="the moment to plan for (ISO-8601; default: the snapshot)")
    ap.add_argument("--db", help="a SQLite file to import into (default: in memory)")
    ap.add_argument("--max-age", type=int, default=120, help="days after which an open deal is dead")
    ap.add_argument("--prospecting", type=int, default=30, help="days a deal may stay in Prospecting")
    ap.add_argument("--engaging", type=int, default=60, help="days a deal may stay in Engaging")
    ap.add_argument("--limit", type=int, default=15, help="stale deals to list (0 = all)")
    ap.add_argument("--config", help="a JSON configuration file (e.g. examples/config/maven.json) instead of the "
                                     "built-in deal assistants")
    args = ap.parse_args()

    if not getattr(nudge, "HAS_CSV", False):
        sys.exit("this build of nudge has no CSV support (nudge.csv): build nudge::csv and the Python module again")
    store = nudge.SqliteStorage(args.db) if args.db else nudge.MemoryStorage()
    report = nudge.csv.import_maven(store, args.data)
    print(f"Imported {report.clients} clients, {report.deals} deals, {report.agents} agents "
          f"({len(report.quirks)} data quirks reported; as of {report.as_of})")

    now = nudge.parse_instant(args.now)
    if args.config:
        try:
            engine = nudge.Engine(nudge.load_config(pathlib.Path(args.config)))
        except nudge.ConfigurationError as e:
            sys.exit(str(e))  # the heading and every problem, one per line (also in e.issues)
    else:
        engine = nudge.Engine(config(args.max_age, args.prospecting, args.engaging))
    plan = engine.plan(store, now)
    names = {m.id: m.name for m in store.managers()}

    stale = {}
    for f in plan.findings:  # a deal may be both dead and over its stage limit
        stale.setdefault(f.subject.id, []).append(f)
    by_rule = Counter(f.rule for f in plan.findings)
    print(f"\nStale deals at {now:%Y-%m-%d}: {len(stale)} "
          f"(dead: {by_rule['dead_deal']}, over the stage limit: {by_rule['stage_sla']})")
    deals = {i: store.find_deal(i) for i in stale}
    oldest = sorted(stale.items(), key=lambda kv: (deals[kv[0]].opened, kv[0]))  # the longest open first
    shown = oldest if args.limit == 0 else oldest[:args.limit]
    for deal_id, findings in shown:
        d = deals[deal_id]
        client = store.find_client(d.client)
        print(f"  deal {deal_id:>5}  {d.stage:<12} {str(d.amount):>13}  {client.name[:28]:<28} "
              f"{names.get(d.owner, d.owner):<22} opened {d.opened:%Y-%m-%d}")
        for f in findings:
            print(f"      [{f.rule}] {f.summary}")
    if len(shown) < len(oldest):
        print(f"  ... and {len(oldest) - len(shown)} more (--limit 0 lists all)")

    print("\nForecast: weighted open pipeline per agent (amount x probability)")
    rows = sorted(plan.forecast, key=lambda r: -r.weighted)
    for r in rows:
        print(f"  {names.get(r.owner, r.owner):<22} {r.open_deals:>4} open deals  "
              f"{r.amount_cents / 100:>12,.2f} {r.currency}  weighted {r.weighted:>12,.2f}")
    total = sum(r.weighted for r in rows)
    print(f"  {'total':<22} {sum(r.open_deals for r in rows):>4} open deals  "
          f"{sum(r.amount_cents for r in rows) / 100:>12,.2f} USD  weighted {total:>12,.2f}")

    if args.config:
        print("\nTeams (nudge.Reports): findings and open pipeline under each supervisor")
        for t in nudge.Reports(plan, store).teams():
            usd = t.pipeline.get("USD", nudge.ManagerReport.Pipeline())
            found = ", ".join(f"{k} {n}" for k, n in sorted(t.findings.items())) or "none"
            print(f"  {t.name:<22} {len(t.members):>3} people  {t.clients:>4} clients  "
                  f"{usd.open_deals:>4} open deals  weighted {usd.weighted:>12,.2f}  findings: {found}")


if __name__ == "__main__":
    main()
