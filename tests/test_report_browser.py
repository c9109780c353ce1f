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
from sdg_align.report import write_html

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


def test_report_opens_cleanly_and_shows_its_charts(tmp_path):
    playwright = pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is missing: pip install playwright"
    )
    frame = hostile_frame()
    profile = build_profile(
        frame,
        columns=ProfileColumns(
            by="cluster", weight_col="budget", time_col="year", partners_col="partners"
        ),
    )
    profile.comparison = compare_profiles(
        profile, build_profile(frame.iloc[:6], columns=ProfileColumns(by="cluster"))
    )
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
            page.screenshot(path=str(tmp_path / "report.png"))
            charts.nth(1).screenshot(path=str(tmp_path / "profile-chart.png"))
        finally:
            browser.close()

    assert console == []
    assert dialogs == []
    assert requests == [report.as_uri()]
    for name in ("report.png", "profile-chart.png"):
        assert (tmp_path / name).stat().st_size > 10_000  # a real picture, not a blank page
    print(f"screenshots: {tmp_path / 'report.png'} {tmp_path / 'profile-chart.png'}")
