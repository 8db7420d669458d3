#!/usr/bin/env python3
"""The HTML report in headless Chromium (CTest example.report_html).

Builds a SQLite database from the Maven sample with `nudge init` + `nudge
import` + `nudge apply` (so that two weeks later there are overdue tasks), writes a team and a manager report as JSON and as HTML, renders each
page in Debian's `chromium` and checks that
  - it renders: the DOM is there with every section, tile and chart;
  - the figures in the rendered DOM are the JSON's (findings per assistant,
    overdue tasks, SLA breaches, deals by stage, the weighted pipeline ...);
  - the page is self-contained: no http(s) URL in a src/href/url()/@import, and
    Chromium's network log shows no request made by the page (host resolution
    is mapped to nothing, so no traffic leaves the machine either way; a probe
    page with an external image proves the log check can fail);
  - the screenshot is a valid, non-trivial PNG: the signature, the requested
    size, not one colour, and the charts' bar colour is in it.

Fails (never skips) when chromium is missing: scripts/deps.sh installs it.
Standard library only.

usage: run.py --nudge BIN --data DIR --config FILE --work DIR [--screenshot OUT.png]
"""

import argparse
import html.parser
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib

WIDTH, HEIGHT = 1280, 2000
BAR_RGB = (0x3B, 0x6F, 0xB6)  # .bar{fill:#3b6fb6} in report_html.hpp
SECTIONS = ["Findings by assistant", "Open deals by stage", "Open pipeline", "What needs attention"]
TILES = ["clients", "open_tasks", "overdue_tasks", "sla_breaches", "released_in", "released_out"]

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print(f"FAIL: {what}", file=sys.stderr)
    return ok


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {r.returncode}\n{r.stderr}")
    return r.stdout


# ---- Chromium -------------------------------------------------------------------------------

def chromium_binary():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("FAIL: chromium is not installed (Debian package 'chromium'; scripts/deps.sh installs it)")


def chromium(binary, work, url, *extra):
    """Runs headless Chromium on `url`, no network: every host name resolves to nothing."""
    profile = os.path.join(work, "chromium-profile")
    shutil.rmtree(profile, ignore_errors=True)
    cmd = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + profile,
           "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-default-apps", "--disable-extensions", "--disable-domain-reliability", "--no-pings",
           "--host-resolver-rules=MAP * ~NOTFOUND", *extra, url]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        sys.exit(f"FAIL: chromium exited {r.returncode} on {url}\n{r.stderr[-2000:]}")
    return r.stdout


def page_requests(netlog_path):
    """URLs the page asked the network for: requests whose initiator is an origin.

    A file:// page's requests carry the opaque origin "null"; Chromium's own
    background requests (update checks ...) carry "not an origin".
    """
    with open(netlog_path, encoding="utf-8") as f:
        log = json.load(f)
    types = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    urls = []
    for e in log["events"]:
        p = e.get("params") or {}
        if types.get(e["type"]) == "URL_REQUEST_START_JOB" and "url" in p and p.get("initiator") != "not an origin":
            urls.append(p["url"])
    return urls


# ---- the rendered DOM -----------------------------------------------------------------------

class Dom(html.parser.HTMLParser):
    """What the report shows: title, sections, tiles, and each chart's bars with their visible values."""

    def __init__(self):
        super().__init__()
        self.h1 = ""
        self.sub = ""
        self.sections = []
        self.tiles = {}
        self.charts = {}  # svg id -> [(label, data-value, visible text)]
        self.items = 0  # <li> of "What needs attention"
        self._stack = []
        self._chart = None
        self._text = None
        self._into = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self._stack.append(tag)
        if tag == "svg":
            self._chart = a.get("id")
            self.charts[self._chart] = []
        elif tag == "rect" and self._chart and "bar" in a.get("class", ""):
            self.charts[self._chart].append([a.get("data-label"), a.get("data-value"), None])
        elif tag == "text" and self._chart and a.get("class") == "val":
            self._into = ("val", None)
            self._text = ""
        elif tag == "div" and a.get("id") in TILES:
            self._into = ("tile", a["id"])
            self._text = ""
        elif tag == "div" and a.get("class") == "sub":
            self._into = ("sub", None)
            self._text = ""
        elif tag in ("h1", "h2"):
            self._into = (tag, None)
            self._text = ""
        elif tag == "li":
            self.items += 1

    def handle_endtag(self, tag):
        if self._stack:
            self._stack.pop()
        if tag == "svg":
            self._chart = None
        if self._into is not None and tag in ("text", "div", "h1", "h2"):
            kind, key = self._into
            text = self._text.strip()
            if kind == "val" and self._chart and self.charts[self._chart]:
                self.charts[self._chart][-1][2] = text
            elif kind == "tile":
                self.tiles[key] = text
            elif kind == "sub":
                self.sub = text
            elif kind == "h1":
                self.h1 = text
            elif kind == "h2":
                self.sections.append(text)
            self._into = None

    def handle_data(self, data):
        if self._into is not None:
            self._text += data


def shown(v):
    """How report_html.hpp prints a value: whole numbers without decimals, else two."""
    return f"{v:.0f}" if float(v) == int(v) else f"{v:.2f}"


def check_figures(name, dom, report):
    check(dom.h1 == report["title"], f"{name}: title {dom.h1!r}, JSON {report['title']!r}")
    for s in SECTIONS:
        check(s in dom.sections, f"{name}: section '{s}' missing (has {dom.sections})")
    m = re.search(r"(\d+) manager", dom.sub)
    check(m and int(m.group(1)) == len(report["members"]),
          f"{name}: '{dom.sub}' but the JSON has {len(report['members'])} members")
    for t in TILES:
        check(dom.tiles.get(t) == str(report[t]), f"{name}: tile {t} shows {dom.tiles.get(t)!r}, JSON {report[t]}")

    def bars(chart, expected):
        got = dom.charts.get(chart)
        if not check(got is not None, f"{name}: chart '{chart}' missing"):
            return
        labels = [b[0] for b in got]
        check(labels == list(expected.keys()), f"{name}: chart {chart} bars {labels}, JSON {list(expected.keys())}")
        for label, value, text in got:
            if label not in expected:
                continue
            want = expected[label]
            check(abs(float(value) - want) < 0.005, f"{name}: {chart}/{label} data-value {value}, JSON {want}")
            check(text == shown(want), f"{name}: {chart}/{label} shows {text!r}, JSON {shown(want)}")

    bars("findings", {k: float(v) for k, v in report["findings"].items()})
    bars("stages", {k: float(v) for k, v in report["deals_by_stage"].items()})
    pipe = {}
    for cur, p in report["pipeline"].items():
        pipe[f"amount {cur}"] = float(p["amount"])
        pipe[f"weighted {cur}"] = float(p["weighted"])
    bars("pipeline", pipe)
    check(dom.items > 0 or sum(report["findings"].values()) == 0, f"{name}: no finding listed under 'What needs attention'")


def check_self_contained(name, text):
    bad = re.findall(r"""(?:\b(?:src|href|action|poster)\s*=\s*["']?\s*(?:https?:)?//[^"'\s>]*)|url\(\s*["']?\s*(?:https?:)?//[^)]*\)|@import""",
                     text, re.IGNORECASE)
    check(not bad, f"{name}: refers to outside resources: {bad[:5]}")
    check(not re.search(r"<(script|link|iframe|object|embed)\b", text, re.IGNORECASE),
          f"{name}: has a script/link/iframe/object/embed element")


# ---- PNG ------------------------------------------------------------------------------------

def png_pixels(path):
    """(width, height, channels, rows of bytes): a minimal decoder for 8-bit RGB/RGBA, non-interlaced."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG (bad signature)")
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            raise ValueError(f"bad CRC in chunk {kind!r}")
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    if ihdr is None:
        raise ValueError("no IHDR chunk")
    w, h, depth, colour, _, _, interlace = ihdr
    channels = {2: 3, 6: 4}.get(colour)
    if depth != 8 or channels is None or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour}, interlace {interlace}")
    raw = zlib.decompress(idat)
    stride = w * channels
    if len(raw) != h * (stride + 1):
        raise ValueError(f"image data is {len(raw)} bytes, expected {h * (stride + 1)}")
    rows, prev = [], bytearray(stride)
    for y in range(h):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 0xFF
            elif ftype == 2:
                line[i] = (line[i] + b) & 0xFF
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
            elif ftype != 0:
                raise ValueError(f"bad filter type {ftype} on row {y}")
        rows.append(bytes(line))
        prev = line
    return w, h, channels, rows


def check_screenshot(name, path):
    if not check(os.path.exists(path), f"{name}: no screenshot at {path}"):
        return
    size = os.path.getsize(path)
    check(size > 20_000, f"{name}: screenshot is only {size} bytes")
    try:
        w, h, ch, rows = png_pixels(path)
    except ValueError as e:
        check(False, f"{name}: screenshot {path}: {e}")
        return
    check((w, h) == (WIDTH, HEIGHT), f"{name}: screenshot is {w}x{h}, asked for {WIDTH}x{HEIGHT}")
    colours, bar, counts = set(), 0, {}
    for row in rows[::4]:
        for x in range(0, w * ch, ch * 2):
            px = row[x:x + 3]
            colours.add(px)
            counts[px] = counts.get(px, 0) + 1
            if tuple(px) == BAR_RGB:
                bar += 1
    background = max(counts.values()) / sum(counts.values())
    check(len(colours) > 50, f"{name}: screenshot has {len(colours)} colours (blank?)")
    check(background < 0.97, f"{name}: {background:.1%} of the screenshot is one colour")
    check(bar > 100, f"{name}: the charts' bar colour #3b6fb6 covers only {bar} sampled pixels")
    print(f"{name}: screenshot {path}: {w}x{h}, {size} bytes, {len(colours)} colours, "
          f"background {background:.0%}, {bar} bar pixels sampled")


# ---- main -----------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nudge", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--screenshot", help="also copy the team report's screenshot here")
    args = ap.parse_args()

    browser = chromium_binary()
    work = os.path.abspath(args.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    db = os.path.join(work, "maven.db")
    run([args.nudge, "init", db])
    run([args.nudge, "import", db, args.data])
    # Apply once, report two weeks later: the tasks it created are overdue by then.
    run([args.nudge, "apply", db, "--config", args.config, "--now", "2017-12-31T18:00:00Z"])

    # The detector for page requests must be able to fail: a page with an external image.
    probe = os.path.join(work, "probe.html")
    with open(probe, "w") as f:
        f.write('<!doctype html><html><body><img src="http://nudge-probe.invalid/x.png"></body></html>')
    probe_log = os.path.join(work, "probe-netlog.json")
    chromium(browser, work, "file://" + probe, "--dump-dom", "--log-net-log=" + probe_log)
    check(any("nudge-probe.invalid" in u for u in page_requests(probe_log)),
          "the network-log check does not see a probe page's external image")

    now = "2018-01-15T09:00:00Z"
    reports = [("team", ["--team", "Melvin Marxen"]), ("manager", ["--manager", "Darcel Schlecht"])]
    for name, who in reports:
        page = os.path.join(work, f"{name}.html")
        out = run([args.nudge, "report", db, "--config", args.config, "--now", now, *who,
                   "--format", "json", "--html", page])
        report = json.loads(out)
        check(report.get("schema") == "nudge.report/1", f"{name}: schema {report.get('schema')}")
        check(sum(report["findings"].values()) > 0, f"{name}: the sample should give findings")
        check(report["overdue_tasks"] > 0 and report["released_out"] > 0,
              f"{name}: the sample should have overdue tasks and released clients after the apply")
        with open(page, encoding="utf-8") as f:
            check_self_contained(name, f.read())

        dom_text = chromium(browser, work, "file://" + page, "--dump-dom")
        check(len(dom_text) > 1000, f"{name}: dump-dom gave {len(dom_text)} bytes")
        check_self_contained(name + " (rendered)", dom_text)
        dom = Dom()
        dom.feed(dom_text)
        check_figures(name, dom, report)

        shot = os.path.join(work, f"{name}.png")
        netlog = os.path.join(work, f"{name}-netlog.json")
        chromium(browser, work, "file://" + page, f"--screenshot={shot}", f"--window-size={WIDTH},{HEIGHT}",
                 "--hide-scrollbars", "--log-net-log=" + netlog)
        asked = page_requests(netlog)
        check(not asked, f"{name}: the page requested {asked[:5]}")
        check_screenshot(name, shot)
        print(f"{name}: {sum(report['findings'].values())} findings in {len(report['findings'])} assistants, "
              f"overdue {report['overdue_tasks']}, SLA breaches {report['sla_breaches']}, pipeline "
              + ", ".join(f"{c} {p['weighted']:.2f} weighted of {p['amount']:.2f}" for c, p in report["pipeline"].items())
              + " -- as rendered")
        if name == "team" and args.screenshot:
            shutil.copyfile(shot, args.screenshot)
            print(f"screenshot kept: {args.screenshot}")

    if failures:
        print(f"report_html: {len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("report_html: rendered, figures match the JSON, no network, screenshots valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
