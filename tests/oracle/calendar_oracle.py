#!/usr/bin/env python3
"""Oracle test of nudge::BusinessCalendar's day arithmetic against numpy.

Generates random calendars (week masks, holiday rules, one-off holidays that
often fall on weekends) and random queries with a fixed seed, runs the C++
driver (calendar_oracle_driver) on them and compares every answer with numpy:

  count  from to    business_days_between  == np.busday_count(from, to)
                    (for to < from: -np.busday_count(to, from); numpy >= 1.25
                    counts (to, from] there instead, see docs/calendar.md)
  offset d n        add_business_days      == np.busday_offset(d, n,
                                               roll='backward' if n > 0 else 'forward')
  isbd   d          is_business_day        == np.is_busday(d)
  adjust d conv     adjust                 == np.busday_offset(d, 0, roll=conv)

Holiday rules are expanded to dates here, independently of the C++ code
(Easter by Gauss's algorithm, the C++ side uses the anonymous Gregorian one),
and handed to numpy as its holiday list.

Exit status 0 when every case matches, 1 otherwise (mismatches are printed).
"""

import argparse
import datetime as dt
import random
import subprocess
import sys
import time

import numpy as np

RULE_YEARS = range(1860, 2241)  # numpy gets the rules' dates for these years
ERAS = [  # (weight, first year, last year) of query dates
    (8, 1990, 2060),
    (1, 2188, 2212),  # across the end of the C++ day table (2200)
    (1, 1888, 1912),  # across its start (1900)
]
CONVENTIONS = {  # C++ name -> numpy roll
    "following": "following",
    "preceding": "preceding",
    "modified_following": "modifiedfollowing",
    "modified_preceding": "modifiedpreceding",
}
OBSERVANCES = ["none", "none", "nearest_weekday", "next_monday", "sunday_to_monday"]


def gauss_easter(y):
    a, b, c = y % 19, y % 4, y % 7
    k = y // 100
    p = (13 + 8 * k) // 25
    q = k // 4
    m = (15 - p + k - q) % 30
    n = (4 + k - q) % 7
    d = (19 * a + m) % 30
    e = (2 * b + 4 * c + 6 * d + n) % 7
    if d == 29 and e == 6:
        return dt.date(y, 4, 19)
    if d == 28 and e == 6 and (11 * m + 11) % 30 < 19:
        return dt.date(y, 4, 18)
    return dt.date(y, 3, 22) + dt.timedelta(days=d + e)


def observe(d, obs):
    wd = d.weekday()  # Monday 0
    if obs == "nearest_weekday":
        return d + dt.timedelta(days={5: -1, 6: 1}.get(wd, 0))
    if obs == "next_monday":
        return d + dt.timedelta(days={5: 2, 6: 1}.get(wd, 0))
    if obs == "sunday_to_monday":
        return d + dt.timedelta(days=1 if wd == 6 else 0)
    return d


def rule_dates(rule):
    kind = rule[0]
    for y in RULE_YEARS:
        if kind == "fixed":
            _, m, d, obs = rule
            try:
                yield observe(dt.date(y, m, d), obs)
            except ValueError:  # Feb 29 in a common year
                pass
        elif kind == "nth":
            _, n, wd_sun0, m = rule
            wd = (wd_sun0 + 6) % 7  # to Monday 0
            if n == -1:
                nxt = dt.date(y + 1, 1, 1) if m == 12 else dt.date(y, m + 1, 1)
                last = nxt - dt.timedelta(days=1)
                yield last - dt.timedelta(days=(last.weekday() - wd) % 7)
            else:
                first = dt.date(y, m, 1)
                day = first + dt.timedelta(days=(wd - first.weekday()) % 7 + 7 * (n - 1))
                if day.month == m:
                    yield day
        elif kind == "easter":
            yield gauss_easter(y) + dt.timedelta(days=rule[1])


def random_rule(rng):
    kind = rng.choice(["fixed", "fixed", "nth", "easter"])
    if kind == "fixed":
        m = rng.randint(1, 12)
        longest = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
        d = 29 if (m == 2 and rng.random() < 0.3) else rng.randint(1, longest)
        if rng.random() < 0.3:  # around the turn of the year, where observance crosses years
            m, d = rng.choice([(1, 1), (1, 2), (12, 30), (12, 31)])
        return ("fixed", m, d, rng.choice(OBSERVANCES))
    if kind == "nth":
        return ("nth", rng.choice([1, 2, 3, 4, 5, -1]), rng.randint(0, 6), rng.randint(1, 12))
    return ("easter", rng.choice([-2, 0, 1, 39, 49, 50, rng.randint(-50, 60)]))


def random_date(rng, era=None):
    _, y0, y1 = era or rng.choices(ERAS, weights=[e[0] for e in ERAS])[0]
    start = dt.date(y0, 1, 1).toordinal()
    return dt.date.fromordinal(rng.randint(start, dt.date(y1, 12, 31).toordinal()))


def make_calendar(rng):
    if rng.random() < 0.4:
        mask = "1111100"
    else:
        mask = "".join(rng.choice("01") for _ in range(7))
        if "1" not in mask:
            mask = mask[:3] + "1" + mask[4:]
    rules = [random_rule(rng) for _ in range(rng.randint(0, 5))]
    era = rng.choices(ERAS, weights=[e[0] for e in ERAS])[0]
    holidays = {random_date(rng, era) for _ in range(rng.randint(0, 60))}
    for _ in range(rng.randint(0, 10)):  # deliberately on weekends
        d = random_date(rng, era)
        holidays.add(d + dt.timedelta(days=(5 - d.weekday()) % 7 + rng.randint(0, 1)))
    return mask, rules, sorted(holidays), era


def make_queries(rng, mask, era, n):
    per_week = mask.count("1")
    queries = []
    for _ in range(n):
        kind = rng.choices(["count", "offset", "isbd", "adjust"], weights=[4, 4, 1, 1])[0]
        e = era if rng.random() < 0.7 else None
        d = random_date(rng, e)
        if rng.random() < 0.1:  # start at the turn of a year
            d = dt.date(d.year, 12, 31) + dt.timedelta(days=rng.randint(-2, 2))
        if kind == "count":
            if rng.random() < 0.5:  # short ranges, both directions
                other = d + dt.timedelta(days=rng.randint(-40, 40))
            else:
                other = random_date(rng, e)
            queries.append(("count", d, other))
        elif kind == "offset":
            r = rng.random()
            if r < 0.1:
                k = 0
            elif r < 0.6:
                k = rng.randint(-12, 12)
            else:
                k = rng.randint(-250 * per_week, 250 * per_week)  # up to ~5 years
            queries.append(("offset", d, k))
        elif kind == "isbd":
            queries.append(("isbd", d))
        else:
            queries.append(("adjust", d, rng.choice(list(CONVENTIONS))))
    return queries


def expected(query, cal):
    kind = query[0]
    if kind == "count":
        a, b = np.datetime64(query[1]), np.datetime64(query[2])
        if b < a:
            return str(-int(np.busday_count(b, a, busdaycal=cal)))
        return str(int(np.busday_count(a, b, busdaycal=cal)))
    if kind == "offset":
        roll = "backward" if query[2] > 0 else "forward"
        return str(np.busday_offset(np.datetime64(query[1]), query[2], roll=roll, busdaycal=cal))
    if kind == "isbd":
        return "1" if np.is_busday(np.datetime64(query[1]), busdaycal=cal) else "0"
    return str(np.busday_offset(np.datetime64(query[1]), 0, roll=CONVENTIONS[query[2]], busdaycal=cal))


def rule_line(rule):
    return "rule " + " ".join(str(x) for x in rule)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--driver", required=True, help="path to calendar_oracle_driver")
    ap.add_argument("--seed", type=int, default=20260814)
    ap.add_argument("--calendars", type=int, default=300)
    ap.add_argument("--queries", type=int, default=60, help="queries per calendar")
    args = ap.parse_args()

    started = time.monotonic()
    rng = random.Random(args.seed)
    lines, cases = [], []
    for _ in range(args.calendars):
        mask, rules, holidays, era = make_calendar(rng)
        dates = set(holidays)
        for r in rules:
            dates.update(rule_dates(r))
        cal = np.busdaycalendar(weekmask=mask, holidays=sorted(dates))
        lines.append(f"calendar {mask}")
        lines.extend(rule_line(r) for r in rules)
        if holidays:
            lines.append("holidays " + " ".join(d.isoformat() for d in holidays))
        desc = f"mask={mask} rules={rules} holidays={len(holidays)}"
        for q in make_queries(rng, mask, era, args.queries):
            lines.append(" ".join(str(x) for x in q))
            cases.append((q, expected(q, cal), desc))

    proc = subprocess.run([args.driver], input="\n".join(lines) + "\n", capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"driver failed ({proc.returncode}): {proc.stderr}", file=sys.stderr)
        return 1
    answers = proc.stdout.splitlines()
    if len(answers) != len(cases):
        print(f"driver gave {len(answers)} answers for {len(cases)} cases", file=sys.stderr)
        return 1

    by_kind, mismatches = {}, 0
    for (q, want, desc), got in zip(cases, answers):
        by_kind[q[0]] = by_kind.get(q[0], 0) + 1
        if got != want:
            mismatches += 1
            if mismatches <= 25:
                print(f"MISMATCH {' '.join(str(x) for x in q)}: nudge {got}, numpy {want}  [{desc}]")
    summary = ", ".join(f"{k} {v}" for k, v in sorted(by_kind.items()))
    print(f"calendar oracle: {len(cases)} cases ({summary}) over {args.calendars} calendars, "
          f"{mismatches} mismatches, {time.monotonic() - started:.1f}s")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
