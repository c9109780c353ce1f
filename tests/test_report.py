"""The HTML report and PNG charts: self-contained, escaped, and showing the right charts."""

from __future__ import annotations

import json
import re
from html import unescape
from html.parser import HTMLParser

import pandas as pd
import pytest

from sdg_align.profile import FIGURES, ProfileColumns, build_profile, compare_profiles
from sdg_align.report import render_html, write_html, write_pngs
from sdg_align.report.format import pct, points

from .conftest import error_rates_document

SCRIPT = "<script>alert(1)</script>"


def hostile_frame() -> pd.DataFrame:
    """Scored rows whose group names, titles, ids and evidence all carry markup."""
    evidence = {
        "7": {
            "targets": [{"target": "7.2<b>", "title": '"><svg onload=alert(3)>', "score": 0.6}],
            "sentences": [{"text": f"</td>{SCRIPT}<img src=x onerror=alert(2)>", "score": 0.4}],
        }
    }
    rows = []
    for i in range(12):
        probs = {7: 0.9, 13: 0.6} if i % 3 else {3: 0.8}
        row = {
            "project_id": f"<i>P{i}</i>",
            "cluster": SCRIPT if i % 2 else "Energy $x^2$ \\ & <b>Co</b>",
            "year": str(2020 + i % 3),
            "title": f"{SCRIPT} project {i} <a href='http://example.com'>x</a>",
            "budget": str(1000 * (i + 1)),
            "partners": "Acme (DE, sme); Uni (FR, university)",
            "sdgs": ";".join(str(k) for k in sorted(probs, key=lambda k: -probs[k])),
            "primary_sdg": str(max(probs, key=probs.get)),
            "error": "",
            "evidence": json.dumps(evidence),
        }
        row.update({f"p_sdg{k}": str(probs.get(k, 0.01)) for k in range(1, 18)})
        rows.append(row)
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def full_html() -> str:
    frame = hostile_frame()
    profile = build_profile(
        frame,
        columns=ProfileColumns(
            by="cluster", weight_col="budget", time_col="year", partners_col="partners"
        ),
    )
    profile.comparison = compare_profiles(
        profile, build_profile(frame.iloc[:6], columns=ProfileColumns(by="cluster")).to_dict()
    )
    return render_html(profile, title=f"Report {SCRIPT}")


class _Collect(HTMLParser):
    """Every start tag with its attributes, and the text outside tags."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> _Collect:
    parser = _Collect()
    parser.feed(html)
    return parser


def test_untrusted_text_is_escaped_everywhere(full_html):
    parsed = parse(full_html)
    tags = {tag for tag, _ in parsed.tags}
    assert "script" not in tags and "img" not in tags and "i" not in tags
    assert not [a for _, attrs in parsed.tags for a in attrs if a.startswith("on")]
    assert "b" in tags  # our own bold text, so the check above would catch injected tags
    text = "".join(parsed.text)
    assert SCRIPT in text  # shown to the reader as text
    assert "<img src=x onerror=alert(2)>" in text and '"><svg onload=alert(3)>' in text
    assert "<i>P1</i>" in text and "Energy $x^2$ \\ & <b>Co</b>" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in full_html


def test_the_report_loads_nothing(full_html):
    parsed = parse(full_html)
    for tag, attrs in parsed.tags:
        for name in ("src", "href", "xlink:href"):
            value = attrs.get(name) or ""
            assert not re.match(r"[a-z]+://|//", value), (tag, name, value)
    assert [a.get("href") for t, a in parsed.tags if t == "link"] == ["data:,"]
    csp = [a["content"] for t, a in parsed.tags if t == "meta" and a.get("http-equiv")]
    assert csp == ["default-src 'none'; style-src 'unsafe-inline'; img-src data:"]
    assert "<!--" not in full_html.split("<body>")[1]  # chart comments would repeat label text
    assert "@import" not in full_html
    assert not re.search(r"url\((?!#)", full_html)  # only in-document clip paths


def test_charts_are_inline_svg(full_html):
    svgs = re.findall(r"<svg role=\"img\"", full_html)
    # heatmap, then per group (overall + 2): profile, trends, network; and the comparison
    assert len(svgs) == 1 + 3 * 3 + 1
    assert 'id="heatmap"' in full_html and 'id="comparison"' in full_html


def test_definitions_travel_inside_the_report(full_html):
    parsed = parse(full_html)
    ids = {attrs["id"] for _, attrs in parsed.tags if "id" in attrs}
    text = " ".join("".join(parsed.text).split())
    for name, (_, definition) in FIGURES.items():
        assert f"def-{name}" in ids
        assert " ".join(definition.replace("`", "").split()) in text
    hrefs = [a.get("href") or "" for _, a in parsed.tags if "href" in a]
    outside = [h for h in hrefs if not h.startswith("#") and h != "data:,"]
    assert outside == []  # nothing points outside the file
    assert {h[1:] for h in hrefs if h.startswith("#")} <= ids  # no dead in-page link


def test_one_portfolio_without_time_has_no_heatmap_or_trends(tmp_path):
    frame = hostile_frame().drop(columns=["year"])
    write_html(build_profile(frame), tmp_path / "out" / "report.html")
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>")
    assert 'id="heatmap"' not in html and "<h3>Acceleration</h3>" not in html
    assert html.count('<svg role="img"') == 2  # profile and network


def test_png_charts_for_slides_stay_in_their_folder(tmp_path):
    frame = hostile_frame()
    frame["cluster"] = ["../../evil" if i % 2 else "a/b" for i in range(len(frame))]
    profile = build_profile(frame, columns=ProfileColumns(by="cluster"))
    written = write_pngs(profile, tmp_path / "png")
    names = sorted(p.name for p in written)
    assert names == sorted(p.name for p in (tmp_path / "png").iterdir())  # nothing outside
    assert names == [
        "heatmap.png",
        "network-00-all-projects.png",
        "network-01-evil.png",
        "network-02-a-b.png",
        "profile-00-all-projects.png",
        "profile-01-evil.png",
        "profile-02-a-b.png",
    ]
    for path in written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def rates():
    from sdg_align.profile.error_rates import ErrorRates

    document = error_rates_document(positives=40, negatives=360, tp=30, fp=9, mean_pos=0.62)
    return ErrorRates.from_dict(document | {"texts": 400})


def plain_frame() -> pd.DataFrame:
    """The hostile frame scored without --explain: no evidence column."""
    return hostile_frame().drop(columns=["evidence"]).assign(cluster=["A", "B"] * 6)


def test_without_evidence_the_top_projects_show_their_tags():
    html = render_html(build_profile(plain_frame()))
    text = " ".join("".join(parse(html).text).split())
    assert "Tagged: 7 · 0.90 13 · 0.60" in text
    assert "score with --explain to see why" in text
    assert "–</td>" not in html.split('id="projects"')[0].split("Projects that contribute")[1]


def test_every_project_is_listed_with_its_tags():
    html = render_html(build_profile(plain_frame(), columns=ProfileColumns(by="cluster")))
    section = html.split('<section id="projects">')[1].split("</section>")[0]
    rows = parse(section).text
    assert section.count("<tr>") == 1 + 12  # header and the 12 projects
    assert "All 12 projects" in "".join(rows) and "3 · 0.80" in "".join(rows)


def test_prevalence_is_shown_beside_share_with_one_sentence_on_the_correction():
    corrected = render_html(build_profile(plain_frame(), error_rates=rates()))
    text = " ".join("".join(parse(corrected).text).split())
    assert "Prevalence corrects each share for the model's own misses and false alarms" in text
    assert "Share of projects" in text and "Prevalence (95% interval)" in text
    plain = " ".join("".join(parse(render_html(build_profile(plain_frame()))).text).split())
    assert "Prevalence" not in plain.split("Definitions of every figure")[0]


def test_changes_name_the_sdgs_and_colour_only_real_losses():
    frame = plain_frame()
    old = build_profile(frame.iloc[:6]).to_dict()
    new = build_profile(frame.iloc[[0, 1, 2, 3, 4, 5, 7]])  # SDG 3: 2 projects in both: 2/6, 2/7
    new.comparison = compare_profiles(new, old)
    section = render_html(new).split('<section id="comparison">')[1].split("</section>")[0]
    row = next(r for r in section.split("<tr>") if "3 Good health and well-being" in r)
    assert "2 → 2" in row and "-4.8 pts" in row and 'class="down"' not in row
    seven = next(r for r in section.split("<tr>") if "7 Affordable and clean energy" in r)
    # 4 of 6 -> 5 of 7 projects: +4.8 points, far inside what chance moves: not coloured a gain
    assert "4 → 5" in seven and 'class="up"' not in seven and "-39.6 pts to +48.7 pts" in seven


def test_only_changes_beyond_chance_are_coloured():
    from sdg_align.report.format import change_class

    base = {"projects_old": 10, "projects_new": 60, "share_change": 0.3}
    assert change_class({**base, "share_change_ci_low": 0.1, "share_change_ci_high": 0.5}) == "up"
    assert change_class({**base, "share_change_ci_low": -0.1, "share_change_ci_high": 0.6}) == ""
    assert change_class(base) == "up"  # a previous profile without intervals: as before
    # a prevalence change is judged on the share's interval: both share the model's error rates
    corrected = {**base, "prevalence_change": 0.25, "share_change_ci_low": -0.1}
    assert change_class({**corrected, "share_change_ci_high": 0.6}) == ""
    assert (
        change_class({**corrected, "share_change_ci_low": 0.05, "share_change_ci_high": 0.6})
        == "up"
    )


def test_markdown_changes_match_the_html_and_say_why_a_group_has_none():
    # The Markdown lacked the allocation change the HTML shows; a group in one profile only
    # was a heading over nothing.
    frame = plain_frame()
    columns = ProfileColumns(by="cluster")
    old = build_profile(frame.iloc[:6].assign(cluster="A"), columns=columns).to_dict()
    new = build_profile(frame, columns=columns)
    new.comparison = compare_profiles(new, old)
    text = new.to_markdown()
    assert "| Share change (95% CI) | Allocation change |" in text
    assert "### B (added)\n\nA group new in this profile: nothing to compare it with." in text
    assert "A group new in this profile" in render_html(new)


def test_groups_at_a_glance_round_prevalence_as_the_tables_do():
    # The glance printed '9%' beside the table's 'about 10% (0-45%)' for the same SDG.
    from sdg_align.report.format import estimate
    from sdg_align.report.html import glance

    profile = build_profile(
        plain_frame(), columns=ProfileColumns(by="cluster"), error_rates=rates()
    )
    html = render_html(profile)
    for group in profile.to_dict()["groups"]:
        for item in glance(group)[:3]:
            shown = estimate(
                item["prevalence"], item["prevalence_ci_low"], item["prevalence_ci_high"]
            )
            assert f"{item['name']} {shown}" in html


def test_markdown_says_what_it_means():
    frame = plain_frame()
    profile = build_profile(frame, columns=ProfileColumns(by="cluster"), error_rates=rates())
    profile.comparison = compare_profiles(profile, build_profile(frame.iloc[:6]).to_dict())
    text = profile.to_markdown()
    assert "Prevalence (95% CI)" in text and "Prevalence corrects each share" in text
    assert "- Breadth: 3 SDGs" in text and "None" not in text
    assert "| 13 Climate action | 4 | 8 |" in text  # changes tables name the SDGs
    assert "only one of the two profiles is corrected" in text
    one = build_profile(frame.iloc[:1]).to_markdown()
    assert "- Breadth: 1 SDG;" in one


def test_markdown_and_html_name_the_corrected_trend_as_such():
    # The Markdown showed the corrected slope and last change under the share's headings, so
    # its "Last change" disagreed with the HTML report's for the same SDG.
    profile = build_profile(
        hostile_frame(), columns=ProfileColumns(time_col="year"), error_rates=rates()
    )
    header = next(line for line in profile.to_markdown().splitlines() if "Last change" in line)
    cells = [c.strip() for c in header.strip("|").split("|")]
    assert cells[-5:] == [
        "Slope/yr (95% CI)",
        "Corrected slope/yr (95% CI)",
        "Last change",
        "Corrected last change",
        "Trend",
    ]
    html = render_html(profile)
    assert "Corrected last change" in html and "Corrected slope" in html
    document = profile.to_dict()
    trend = document["overall"]["sdgs"][0]["trend"]
    row = next(
        line
        for line in profile.to_markdown().splitlines()
        if line.startswith(f"| {document['overall']['sdgs'][0]['sdg']} ")
    )
    assert row.split("|")[-4].strip() == points(trend["last_change"])
    assert row.split("|")[-3].strip() == points(trend["prevalence_last_change"])


def test_markdown_carries_the_htmls_budget_share_under_the_same_name(full_html):
    """A new-user trial read 'allocation 46%' in the HTML glance and 'weighted 77%' in the
    Markdown for one SDG: two different figures, only one of them in each report."""
    profile = build_profile(hostile_frame(), columns=ProfileColumns(weight_col="budget"))
    header = next(line for line in profile.to_markdown().splitlines() if "Allocated weight" in line)
    assert "Weighted share (counts)" in header and "Share of budget (allocation)" in header
    assert "Share of budget" in full_html and "allocation" in full_html
    first = profile.to_dict()["overall"]["sdgs"][0]
    row = next(
        line
        for line in profile.to_markdown().splitlines()
        if line.startswith(f"| {first['sdg']} {first['name']}")
    )
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[header.strip("|").split("|").index(" Share of budget (allocation) ")] == pct(
        first["allocation_weight_share"]
    )


def test_tidy_table_has_prevalence_beside_share():
    frame = hostile_frame()
    profile = build_profile(frame, columns=ProfileColumns(time_col="year"), error_rates=rates())
    tidy = profile.to_tidy_frame()
    columns = list(tidy.columns)
    assert columns[columns.index("share_ci_high") + 1] == "prevalence"
    assert {"prevalence_ci_low", "prevalence_2020", "prevalence_slope"} <= set(columns)
    assert tidy["prevalence"].between(0, 1).all()


def test_every_report_function_takes_a_profile_or_its_document(tmp_path):
    from sdg_align.report import profile_markdown, tidy_frame

    profile = build_profile(hostile_frame())
    document = json.loads(json.dumps(profile.to_dict()))
    assert profile_markdown(profile) == profile_markdown(document)
    pd.testing.assert_frame_equal(tidy_frame(profile), tidy_frame(document))
    assert render_html(profile) and write_pngs(profile, tmp_path)


def test_the_glance_lists_an_untagged_sdg_only_in_a_large_enough_group_whose_interval_rules_out_none():
    """A group of one untagged placeholder listed SDG 9 'about 10% (5-100%)' as a main SDG."""
    from sdg_align.report.html import glance

    def item(sdg, projects, prevalence, low):
        return {"sdg": sdg, "projects": projects, "share": projects / 10, "prevalence": prevalence,
                "prevalence_ci_low": low}  # fmt: skip

    items = [item(9, 0, 0.10, 0.0), item(13, 0, 0.04, 0.01), item(7, 2, 0.2, 0.05)]
    assert [s["sdg"] for s in glance({"projects": 40, "sdgs": items})] == [7, 13]
    assert [s["sdg"] for s in glance({"projects": 1, "sdgs": items})] == [7]  # too few to tell


def test_markdown_names_the_gaps_the_html_names():
    """The Markdown never said which SDGs no project advances (the HTML did), nor the weak ones."""
    from sdg_align.report import profile_markdown

    document = build_profile(plain_frame()).to_dict()
    text = profile_markdown(document)
    absent = ", ".join(f"SDG {n}" for n in document["overall"]["gaps_absent"])
    assert document["overall"]["gaps_absent"] and "- Advanced by no project (no tag" in text
    assert absent in text


def test_one_group_holding_every_project_is_shown_once():
    """A one-cluster file profiled --by cluster printed every table twice."""
    from sdg_align.report import profile_markdown

    frame = plain_frame().assign(cluster="Pôle Mer")
    document = build_profile(frame, columns=ProfileColumns(by="cluster")).to_dict()
    assert [g["name"] for g in document["groups"]] == ["Pôle Mer"]  # the JSON keeps it
    note = "Every project is in the one group 'Pôle Mer' of cluster"
    markdown = profile_markdown(document)
    assert note in markdown and "## Pôle Mer" not in markdown
    html = render_html(document)
    assert note in unescape(html) and "Groups at a glance" not in html
    assert html.count('<section id="group-') == 1 and "<h2>Pôle Mer</h2>" not in html


def test_report_warnings_name_columns_in_words_not_only_options():
    """A board paper showed "--partners-col 'partners': ..." in pink boxes."""
    from sdg_align.report import profile_markdown

    frame = plain_frame().assign(budget=["lots"] + ["100"] * 11)
    document = build_profile(frame, columns=ProfileColumns(weight_col="budget")).to_dict()
    assert document["warnings"][0].startswith("--weight-col 'budget': ")  # the CLI's own words
    readable = "The budget column 'budget' (--weight-col): "
    assert f"> {readable}" in profile_markdown(document)
    html = unescape(render_html(document))
    assert readable in html
    # a board report opened on nine red notes before any summary: one line points to them
    top, notes = html.split('<section id="notes">')
    assert readable not in top and "1 note on how the input was read" in top
    assert readable in notes


def test_changes_say_when_tags_and_correction_move_apart_and_when_groups_are_small():
    """A small group's SDG 13 showed a share change of -23.8 points beside a prevalence change of
    +4.5 unremarked, and 'newly absent ... breadth 7 -> 3' for 7 -> 3 projects without a caveat."""
    from sdg_align.report import profile_markdown

    document = build_profile(
        plain_frame(), columns=ProfileColumns(by="cluster"), error_rates=rates()
    ).to_dict()
    document["comparison"] = compare_profiles(document, document)
    item = document["comparison"]["groups"][0]["sdgs"][12]
    item.update(share_change=-0.238, prevalence_change=0.045)
    html, markdown = unescape(render_html(document)), profile_markdown(document)
    for text in (html, markdown):
        assert "the tags moved the other way: no clear change" in text
        assert "With fewer than 30 projects in a profile, one project opens or closes" in text
    assert html.count("the tags moved the other way") == 1


def test_trend_charts_name_each_period_size_and_hollow_the_thin_ones():
    """A year of one project plotted at 100% read on a slide as 'fell from 100% to 15%'."""
    from sdg_align.report.charts import trend_chart

    frame = plain_frame()
    frame["year"] = ["2020"] * 6 + ["2021"] + ["2022"] * 5
    document = build_profile(frame, columns=ProfileColumns(time_col="year")).to_dict()
    fig = trend_chart(document["overall"])
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks == ["2020\nn=6", "2021\nn=1", "2022\nn=5"]
    hollow = [c for c in fig.axes[0].collections if len(c.get_offsets())]
    assert [list(c.get_offsets()[:, 0]) for c in hollow] == [[2021]]  # the thin period alone
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "period of fewer than 5 projects (n below each year)" in legend


def test_slide_charts_grey_chance_changes_and_name_group_sizes():
    """comparison.png drew every change in full colour though each interval held 0, and the
    heatmap showed a one-project group's 100% cells with no n."""
    from matplotlib.colors import to_hex

    from sdg_align.report.charts import comparison_chart, heatmap_chart

    def item(sdg, change, low, high, before, now):
        return {"sdg": sdg, "share_change": change, "share_change_ci_low": low,
                "share_change_ci_high": high, "projects_old": before, "projects_new": now}  # fmt: skip

    change = {
        "name": "All",
        "sdgs": [item(7, 0.3, 0.1, 0.5, 2, 8), item(6, -0.13, -0.4, 0.1, 4, 2)],
    }
    bars = comparison_chart(change).axes[0].patches
    assert to_hex(bars[0].get_facecolor()) != "#c8c8c8"  # SDG 7: beyond chance
    assert to_hex(bars[1].get_facecolor()) == "#c8c8c8"  # SDG 6: its interval holds 0
    profile = build_profile(plain_frame(), columns=ProfileColumns(by="cluster")).to_dict()
    groups = [profile["overall"], *profile["groups"]]
    labels = [t.get_text() for t in heatmap_chart(groups).axes[0].get_yticklabels()]
    assert labels[0] == f"{profile['overall']['name']} (n={profile['overall']['projects']})"


def test_the_glance_names_every_untagged_sdg_the_correction_puts_above_half_a_point():
    """A new-user trial's glance listed tagged SDGs and 'No project is tagged with ... under 0.5%';
    untagged SDGs the correction put at 0.5-8% were in neither, so the glance read as complete."""
    document = build_profile(plain_frame(), error_rates=rates()).to_dict()
    untagged = [s for s in document["overall"]["sdgs"] if not s["projects"]]
    untagged[0].update(prevalence=0.081, prevalence_ci_low=0.0, prevalence_ci_high=0.3)
    for item in untagged[1:]:
        item.update(prevalence=0.001, prevalence_ci_low=0.0, prevalence_ci_high=0.1)
    collected = _Collect()
    collected.feed(render_html(document))
    text = " ".join(collected.text)
    assert "No project is tagged with" in text and "under 0.5%" in text
    # rounded as the table rounds (it said 0.5% where the table said 0% (0-3%)), and 'either'
    # only after the sentence it refers to
    assert "puts it at about 10% (0–30%)." in text and "not listed above" in text
    assert "either" in text


def test_markdown_lists_the_rows_left_out_and_keeps_ampersands_readable():
    """The warnings say 'the report lists them under Rows left out'; the Markdown had no such
    section. 'Holz & Bau' showed as 'Holz &amp; Bau' in the raw Markdown."""
    frame = plain_frame().assign(cluster=["Holz & Bau", "B"] * 6)
    frame.loc[3, "error"] = "empty text"
    text = build_profile(frame, columns=ProfileColumns(by="cluster")).to_markdown()
    assert "## Rows left out" in text and "| 4 | &lt;i&gt;P3&lt;/i&gt; | empty text |" in text
    assert "## Holz & Bau" in text and "&amp;" not in text
    from sdg_align.report.format import md_escape

    assert md_escape("a &lt;b> c|d") == "a &amp;lt;b&gt; c\\|d"  # entities stay inert


def test_a_slope_interval_end_near_zero_reads_zero_and_an_unseen_sdg_has_no_slope():
    """A new-user trial read '(+0.0 pts, +28.5 pts)' beside 'unclear' (the end was -0.0004), and
    '+0.0 pts (+0.0 pts, +0.0 pts)' for SDGs no project advances."""
    assert points(-0.0004) == "0.0 pts" and points(0.0) == "0.0 pts"
    assert points(0.0021) == "+0.2 pts" and points(-0.013) == "-1.3 pts"
    profile = build_profile(hostile_frame(), columns=ProfileColumns(time_col="year"))
    document = profile.to_dict()
    unseen = next(s for s in document["overall"]["sdgs"] if not s["projects"])
    row = next(
        line
        for line in profile.to_markdown().splitlines()
        if line.startswith(f"| {unseen['sdg']} {unseen['name']}")
    )
    header = next(line for line in profile.to_markdown().splitlines() if "Slope/yr" in line)
    column = [c.strip() for c in header.strip("|").split("|")].index("Slope/yr (95% CI)")
    assert [c.strip() for c in row.strip("|").split("|")][column] == "–"


def test_chart_file_names_keep_the_letters_of_accented_group_names():
    from sdg_align.report.charts import slug

    assert [slug(n) for n in ("Mobilità", "Mobilität", "Łódź Cluster", "../x")] == [
        "mobilita",
        "mobilitat",
        "lodz-cluster",
        "x",
    ]


def test_groups_at_a_glance_show_slowing_beside_accelerating():
    """The board summary had only an 'Accelerating' column: a group's 'slowing' was in its own
    section alone."""
    profile = build_profile(
        plain_frame(), columns=ProfileColumns(by="cluster", time_col="year")
    ).to_dict()
    before = render_html(profile)
    profile["groups"][0]["slowing"] = [13]
    after = render_html(profile)
    collected = _Collect()
    collected.feed(after)
    text = " ".join(collected.text)
    assert "Accelerating" in text and "Slowing" in text
    glance = after[after.index("Groups at a glance") : after.index('id="heatmap"')]
    assert glance != before[before.index("Groups at a glance") : before.index('id="heatmap"')]


def test_a_persons_labels_are_not_shown_as_the_models_certainty():
    """Relabelled projects led the 'contribute most' lists at probability 1.00, with the advice
    to score with --explain although the file had been."""
    from sdg_align.corrections import CORRECTED_COLUMN

    frame = plain_frame()
    frame[CORRECTED_COLUMN] = ["yes"] + [""] * (len(frame) - 1)
    document = build_profile(frame).to_dict()
    tops = [t for s in document["overall"]["sdgs"] for t in s["top_projects"]]
    assert any(t["labelled_by_person"] for t in tops)
    assert all(t["labelled_by_person"] == (t["row"] == 1) for t in tops)
    html = render_html(document)
    assert "a person&#39;s label" in html or "a person's label" in html
