"""The HTML report in a real headless Chromium: no console errors, no requests, visible charts.

Needs Debian's chromium (`apt-get install -y chromium`) and the `playwright` Python package, which
drives that browser (no browser download). Skipped, with the reason, when either is missing.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from sdg_align.profile import ProfileColumns, build_profile, compare_profiles
from sdg_align.profile.error_rates import ErrorRates
from sdg_align.report import write_html
from sdg_align.report.charts import svg

from .conftest import error_rates_document

CHROMIUM = os.environ.get("SDG_ALIGN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip

SCRIPT = "<script>alert(1)</script>"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).is_file(),
        reason=f"no Chromium at {CHROMIUM}: apt-get install chromium, or set SDG_ALIGN_CHROMIUM",
    ),
]


def hostile_frame() -> pd.DataFrame:
    """Twelve scored projects, two clusters, three years; names and evidence carry markup."""
    evidence = {
        "7": {
            "targets": [{"target": "7.2", "title": SCRIPT, "score": 0.6}],
            "sentences": [{"text": f"<img src=x onerror=alert(2)> {SCRIPT}", "score": 0.4}],
        }
    }
    rows = []
    for i in range(12):
        probs = {7: 0.9, 13: 0.6} if i % 3 else {3: 0.8}
        row = {
            "project_id": f"P{i}",
            "cluster": SCRIPT if i % 2 else "Energy <b>Co</b>",
            "year": str(2020 + i % 3),
            "title": f"{SCRIPT} project {i}",
            "budget": str(1000 * (i + 1)),
            "partners": "Acme (DE, sme); Uni (FR, university)",
            "sdgs": ";".join(str(k) for k in sorted(probs, key=lambda k: -probs[k])),
            "error": "",
            "evidence": json.dumps(evidence),
        }
        row.update({f"p_sdg{k}": str(probs.get(k, 0.01)) for k in range(1, 18)})
        rows.append(row)
    return pd.DataFrame(rows)


RATES = ErrorRates.from_dict(
    error_rates_document(positives=40, negatives=360, tp=30, fp=9, mean_pos=0.62, mean_neg=0.04)
)

# Every element that can point somewhere, and where it points.
LINKS = """() => [...document.querySelectorAll('[href], [src], [action]')].flatMap(e =>
  ['href', 'src', 'action', 'xlink:href'].map(a => e.getAttribute(a)).filter(v => v !== null))"""

# Per chart: the text labels (matplotlib's text groups) whose boxes overlap another's.
OVERLAPS = """() => [...document.querySelectorAll('figure svg')].map((svg, chart) => {
  const boxes = [...svg.querySelectorAll('g[id^="text_"]')].map(g => g.getBoundingClientRect())
    .filter(b => b.width > 0 && b.height > 0);
  const clashes = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
    const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
    if (w > 0.5 && h > 0.5) clashes.push([chart, i, j, Math.round(w * h)]);
  }
  return {chart, labels: boxes.length, clashes};
})"""


def colliding_chart():
    """What the old trend chart did: end labels of lines that finish at the same value."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 3))
    ax = fig.add_subplot()
    for sdg in (7, 13):
        ax.plot([2020, 2021], [0.1, 0.3])
        ax.annotate(str(sdg), (2021, 0.3), xytext=(4, 0), textcoords="offset points")
    return fig


def test_report_opens_cleanly_and_shows_its_charts(tmp_path):
    playwright = pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is missing: pip install playwright"
    )
    frame = hostile_frame()
    columns = ProfileColumns(
        by="cluster", weight_col="budget", time_col="year", partners_col="partners"
    )
    profile = build_profile(frame, columns=columns, error_rates=RATES)
    old = build_profile(frame.iloc[:6], columns=ProfileColumns(by="cluster"), error_rates=RATES)
    profile.comparison = compare_profiles(profile, old)
    report = tmp_path / "report.html"
    write_html(profile, report, title=f"Report {SCRIPT}")

    console, requests, dialogs = [], [], []
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 1000})
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
            page.on("request", lambda r: requests.append(r.url))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(report.as_uri(), wait_until="load")
            page.wait_for_load_state("networkidle")

            assert page.title() == f"Report {SCRIPT}"
            assert SCRIPT in page.inner_text("body")  # shown as text, never run
            charts = page.locator("figure svg")
            assert charts.count() == 11
            for index in (0, 1):  # the heatmap and the first 17-goal profile are laid out
                box = charts.nth(index).bounding_box()
                assert box is not None and box["width"] > 400 and box["height"] > 150
            links = page.evaluate(LINKS)
            labels = page.evaluate(OVERLAPS)
            page.screenshot(path=str(tmp_path / "report.png"))
            charts.nth(1).screenshot(path=str(tmp_path / "profile-chart.png"))
            page.set_content(f"<figure>{svg(colliding_chart())}</figure>")  # the check can fail
            control = page.evaluate(OVERLAPS)
        finally:
            browser.close()

    assert console == []
    assert dialogs == []
    assert requests == [report.as_uri()]
    assert links and [link for link in links if not link.startswith(("#", "data:"))] == []
    assert len(labels) == 11 and all(chart["labels"] >= 3 for chart in labels)
    assert [chart["clashes"] for chart in labels if chart["clashes"]] == []
    assert control[0]["clashes"], "the overlap check missed two labels drawn on each other"
    for name in ("report.png", "profile-chart.png"):
        assert (tmp_path / name).stat().st_size > 10_000  # a real picture, not a blank page
    print(f"screenshots: {tmp_path / 'report.png'} {tmp_path / 'profile-chart.png'}")


def test_report_with_many_groups_fits_the_window(tmp_path):
    """Twenty groups' links wrap in the navigation instead of widening the page past the window."""
    playwright = pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is missing: pip install playwright"
    )
    frame = hostile_frame().drop(columns=["evidence"])
    frame = pd.concat([frame] * 2, ignore_index=True)
    frame["cluster"] = [f"Advanced_manufacturing_{i % 20:02d}" for i in range(len(frame))]
    report = tmp_path / "report.html"
    write_html(build_profile(frame, columns=ProfileColumns(by="cluster")), report)

    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 800})
            page.goto(report.as_uri(), wait_until="load")
            widths = page.evaluate(
                "() => [document.documentElement.scrollWidth, window.innerWidth]"
            )
        finally:
            browser.close()
    assert widths[0] <= widths[1], f"the page is {widths[0]} px wide in a {widths[1]} px window"
