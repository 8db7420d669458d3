#!/usr/bin/env python3
"""Oracle test of nudge::BusinessCalendar against numpy and zoneinfo.

Part 1, days. Generates random calendars (week masks, holiday rules, one-off
holidays that often fall on weekends) and random queries with a fixed seed,
runs the C++ driver (calendar_oracle_driver) on them and compares every answer
with numpy:

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

Part 2, clocks. Random calendars in time zones with DST (including 30-minute
DST, midnight transitions and a skipped day) with random working windows and
one-off working days; elapsed() is compared with a brute-force Python model
built on the zoneinfo module (window bounds converted to UTC one by one), and
advance() is checked to be the earliest instant at which that model's elapsed
time reaches the length (the latest, going backwards). local_date() and
local_midnight() are compared too. Years 2000..2036 only: date/tz reads the
compiled transitions, which end in 2037, while zoneinfo extrapolates.

Exit status 0 when every case matches, 1 otherwise (mismatches are printed).
"""

import argparse
import datetime as dt
import random
import subprocess
import sys
import time
from zoneinfo import ZoneInfo

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


# ---- part 2: clocks ---------------------------------------------------------

CLOCK_ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Europe/Moscow", "Australia/Lord_Howe",
               "Asia/Beirut", "America/Santiago", "America/Havana", "Pacific/Apia", "Asia/Kolkata",
               "America/St_Johns", "Pacific/Chatham", "Africa/Casablanca", "Europe/London"]
CLOCK_YEARS = (2000, 2036)
UTC = dt.timezone.utc
_transition_cache = {}


def zone_of(name):
    return None if name == "UTC" else ZoneInfo(name)


def transitions(name):
    """Unix times (to the day) when the zone's UTC offset changes in CLOCK_YEARS."""
    if name not in _transition_cache:
        tz, out = zone_of(name), []
        if tz is not None:
            t = int(dt.datetime(CLOCK_YEARS[0], 1, 1, 12, tzinfo=UTC).timestamp())
            end = int(dt.datetime(CLOCK_YEARS[1], 12, 31, tzinfo=UTC).timestamp())
            prev = dt.datetime.fromtimestamp(t, tz).utcoffset()
            while t < end:
                t += 86400
                off = dt.datetime.fromtimestamp(t, tz).utcoffset()
                if off != prev:
                    out.append(t)
                prev = off
        _transition_cache[name] = out
    return _transition_cache[name]


class ClockModel:
    """The calendar's clock arithmetic done the slow, obvious way."""

    def __init__(self, zone, mask, holidays, workdays, hours):
        self.tz = zone_of(zone)
        self.mask, self.holidays, self.workdays, self.hours = mask, set(holidays), set(workdays), hours
        self.cache = {}

    def local(self, u):
        return dt.datetime.fromtimestamp(u, self.tz or UTC).replace(tzinfo=None)

    def to_utc(self, naive):
        """Earliest instant showing `naive`; for a skipped time, the instant clocks jump."""
        if self.tz is None:
            return int(naive.replace(tzinfo=UTC).timestamp())
        us = [int(naive.replace(tzinfo=self.tz, fold=f).timestamp()) for f in (0, 1)]
        valid = [u for u in us if self.local(u) == naive]
        if valid:
            return min(valid)
        lo, hi = min(us), max(us)
        while lo < hi:  # the first instant whose local time is past `naive`
            mid = (lo + hi) // 2
            if self.local(mid) > naive:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def business(self, d):
        return d in self.workdays or (self.mask[d.weekday()] == "1" and d not in self.holidays)

    def intervals(self, d, basis):
        key = (d, basis)
        if key not in self.cache:
            midnight = dt.datetime(d.year, d.month, d.day)
            begin, end = self.to_utc(midnight), self.to_utc(midnight + dt.timedelta(days=1))
            if basis == "business_days":
                iv = [(begin, end)]
            else:
                def bound(m):
                    return begin if m == 0 else end if m == 1440 else self.to_utc(midnight + dt.timedelta(minutes=m))
                iv = [(bound(a), bound(b)) for a, b in self.hours[d.weekday()]]
            self.cache[key] = iv if self.business(d) else []
        return self.cache[key]

    def elapsed(self, a, b, basis):
        if basis == "calendar":
            return b - a
        if b < a:
            return -self.elapsed(b, a, basis)
        total, d, last = 0, self.local(a).date() - dt.timedelta(days=1), self.local(b).date() + dt.timedelta(days=1)
        while d <= last:
            for s, e in self.intervals(d, basis):
                total += max(0, min(e, b) - max(s, a))
            d += dt.timedelta(days=1)
        return total

    def midnight(self, d):
        return self.to_utc(dt.datetime(d.year, d.month, d.day))


def random_hours(rng):
    def one_day():
        r = rng.random()
        if r < 0.35:
            return [(540, 1080)]
        if r < 0.5:
            return [(0, 1440)]
        if r < 0.6:
            return []
        if r < 0.75:  # night windows, where the clocks change
            a = rng.choice([0, 30, 60, 90, 120, 150, 180])
            return [(a, a + rng.choice([30, 60, 120, 180, 240]))]
        cuts = sorted(rng.sample(range(0, 97), 2 * rng.randint(1, 3)))
        return [(cuts[i] * 15, cuts[i + 1] * 15) for i in range(0, len(cuts), 2) if cuts[i] < cuts[i + 1]]
    return [one_day() for _ in range(7)]


def random_instant(rng, zone):
    tr = transitions(zone)
    if tr and rng.random() < 0.6:
        t = rng.choice(tr) + rng.randint(-4 * 86400, 4 * 86400)
    else:
        t = rng.randint(int(dt.datetime(CLOCK_YEARS[0], 1, 8, tzinfo=UTC).timestamp()),
                        int(dt.datetime(CLOCK_YEARS[1], 12, 1, tzinfo=UTC).timestamp()))
    return t - t % 900 if rng.random() < 0.5 else t


def clock_cases(rng, ncal, nq):
    lines, checks = [], []
    for _ in range(ncal):
        zone = rng.choice(CLOCK_ZONES)
        mask = "1111100" if rng.random() < 0.5 else "".join(rng.choice("01") for _ in range(7))
        if "1" not in mask:
            mask = "1" + mask[1:]
        hours = random_hours(rng)
        anchors = [random_instant(rng, zone) for _ in range(6)]
        near = [dt.datetime.fromtimestamp(a + rng.randint(-3, 3) * 86400, UTC).date() for a in anchors]
        holidays = sorted(set(rng.sample(near, rng.randint(0, 3))))
        workdays = sorted(set(rng.sample(near, rng.randint(0, 3))))
        model = ClockModel(zone, mask, holidays, workdays, hours)
        lines.append(f"calendar {mask}")
        lines.append(f"zone {zone}")
        for wd, ws in enumerate(hours):
            lines.append(f"hours {wd} " + " ".join(f"{a}-{b}" for a, b in ws))
        if holidays:
            lines.append("holidays " + " ".join(d.isoformat() for d in holidays))
        lines.extend(f"workday {d.isoformat()}" for d in workdays)
        desc = f"zone={zone} mask={mask} hours={hours} holidays={holidays} workdays={workdays}"
        for _ in range(nq):
            kind = rng.choices(["elapsed", "advance", "localdate", "midnight"], weights=[4, 4, 1, 1])[0]
            a = rng.choice(anchors) + rng.randint(-2 * 86400, 2 * 86400) if rng.random() < 0.7 else random_instant(rng, zone)
            if kind == "elapsed":
                basis = rng.choice(["business_days", "business_hours", "business_hours", "calendar"])
                span = rng.randint(0, 10 * 86400) if rng.random() < 0.9 else rng.randint(0, 120 * 86400)
                b = a + (span if rng.random() < 0.7 else -span)
                lines.append(f"elapsed {basis} {a} {b}")
                checks.append((lines[-1], desc, lambda got, m=model, a=a, b=b, basis=basis:
                               None if int(got) == m.elapsed(a, b, basis) else f"model {m.elapsed(a, b, basis)}"))
            elif kind == "advance":
                basis = rng.choice(["business_days", "business_hours", "business_hours"])
                if basis == "business_days":
                    length = rng.choice([86400 * rng.randint(0, 15), rng.randint(1, 15 * 86400)])
                else:
                    length = rng.choice([3600 * rng.randint(0, 60), rng.randint(1, 60 * 3600)])
                if rng.random() < 0.3:
                    length = -length
                lines.append(f"advance {basis} {a} {length}")
                checks.append((lines[-1], desc, lambda got, m=model, a=a, n=length, basis=basis:
                               check_advance(m, a, n, basis, int(got))))
            elif kind == "localdate":
                lines.append(f"localdate {a}")
                checks.append((lines[-1], desc, lambda got, m=model, a=a:
                               None if got == m.local(a).date().isoformat() else f"model {m.local(a).date()}"))
            else:
                d = dt.datetime.fromtimestamp(a, UTC).date()
                lines.append(f"midnight {d.isoformat()}")
                checks.append((lines[-1], desc, lambda got, m=model, d=d:
                               None if int(got) == m.midnight(d) else f"model {m.midnight(d)}"))
    return lines, checks


def check_advance(m, a, n, basis, t):
    """None if t is the earliest instant with elapsed(a, t) >= n (latest with elapsed(t, a) >= -n)."""
    if n == 0:
        return None if t == a else "expected the start for a zero length"
    if n > 0:
        if m.elapsed(a, t, basis) != n:
            return f"model elapsed(start, answer) = {m.elapsed(a, t, basis)}"
        if t > a and m.elapsed(a, t - 1, basis) >= n:
            return "not the earliest instant"
        return None
    if m.elapsed(t, a, basis) != -n:
        return f"model elapsed(answer, start) = {m.elapsed(t, a, basis)}"
    if t < a and m.elapsed(t + 1, a, basis) >= -n:
        return "not the latest instant"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--driver", required=True, help="path to calendar_oracle_driver")
    ap.add_argument("--seed", type=int, default=20260814)
    ap.add_argument("--calendars", type=int, default=300)
    ap.add_argument("--queries", type=int, default=60, help="queries per calendar")
    ap.add_argument("--clock-calendars", type=int, default=80)
    ap.add_argument("--clock-queries", type=int, default=40, help="clock queries per calendar")
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

    clock_lines, clock_checks = clock_cases(rng, args.clock_calendars, args.clock_queries)
    lines.extend(clock_lines)

    proc = subprocess.run([args.driver], input="\n".join(lines) + "\n", capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"driver failed ({proc.returncode}): {proc.stderr}", file=sys.stderr)
        return 1
    answers = proc.stdout.splitlines()
    if len(answers) != len(cases) + len(clock_checks):
        print(f"driver gave {len(answers)} answers for {len(cases) + len(clock_checks)} cases", file=sys.stderr)
        return 1

    by_kind, mismatches = {}, 0
    for (q, want, desc), got in zip(cases, answers):
        by_kind[q[0]] = by_kind.get(q[0], 0) + 1
        if got != want:
            mismatches += 1
            if mismatches <= 25:
                print(f"MISMATCH {' '.join(str(x) for x in q)}: nudge {got}, numpy {want}  [{desc}]")
    clock_kinds = {}
    for (line, desc, check), got in zip(clock_checks, answers[len(cases):]):
        kind = line.split()[0]
        clock_kinds[kind] = clock_kinds.get(kind, 0) + 1
        problem = check(got)
        if problem:
            mismatches += 1
            if mismatches <= 25:
                print(f"MISMATCH {line}: nudge {got}, {problem}  [{desc}]")
    summary = ", ".join(f"{k} {v}" for k, v in sorted(by_kind.items()))
    clock_summary = ", ".join(f"{k} {v}" for k, v in sorted(clock_kinds.items()))
    print(f"calendar oracle: {len(cases)} day cases vs numpy ({summary}) over {args.calendars} calendars; "
          f"{len(clock_checks)} clock cases vs zoneinfo ({clock_summary}) over {args.clock_calendars} calendars; "
          f"{mismatches} mismatches, {time.monotonic() - started:.1f}s")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
