"""Open the report in headless Chromium (Debian's): math and figures render, no text in a figure overlaps
another, every figure is referenced from a claim, the overview answers at the top of the page and its
optional sort script degrades to the plain table."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


TEXT_BOXES = """() => Array.from(document.querySelectorAll('g[id^="text_"]'))
  .filter(e => !e.parentElement.closest('g[id^="text_"]'))
  .map(e => { const r = e.getBoundingClientRect(); return [e.id, r.left, r.top, r.right, r.bottom]; })"""
# matplotlib's SVG: each axes is <g id="axes_N"> whose first <g id="patch_N"> is its background
TEXT_IN_OTHER_AXES = """() => {
  const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const axes = Array.from(document.querySelectorAll('g[id^="axes_"]'));
  const frames = axes.map(a => [a.id, a.querySelector(':scope > g[id^="patch_"]')]).filter(f => f[1])
    .map(f => [f[0], box(f[1])]);
  const texts = Array.from(document.querySelectorAll('g[id^="text_"]'))
    .filter(e => !e.parentElement.closest('g[id^="text_"]'))
    .map(e => { const a = e.closest('g[id^="axes_"]'); return [e.id, a ? a.id : null, box(e)]; });
  const out = [];
  for (const [tid, own, t] of texts) for (const [aid, f] of frames) {
    if (aid === own) continue;
    if (Math.min(t[2], f[2]) - Math.max(t[0], f[0]) > 2 && Math.min(t[3], f[3]) - Math.max(t[1], f[1]) > 2)
      out.push([tid, aid]);
  }
  return out;
}"""
MIN_TEXT_PX = 6.5
"""Smallest text box on the page (a lowercase word or a number): about a 9 px font.  The figures before
issue 16 had 6 px legends (6.1 px boxes), which this rejects."""

FIRST_CELLS = "els => els.map(e => e.cells[0].textContent.trim())"


def overlaps(boxes, pad=1.0):
    """Pairs of text boxes (id, left, top, right, bottom) that overlap by more than ``pad`` px each way."""
    found = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            w = min(a[3], b[3]) - max(a[1], b[1]) - 2 * pad
            h = min(a[4], b[4]) - max(a[2], b[2]) - 2 * pad
            if w > 0 and h > 0:
                found.append((a[0], b[0]))
    return found


@contextlib.contextmanager
def chromium(tmp_path, **context):
    sync_api = pytest.importorskip("playwright.sync_api")
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=ARGS, **context)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def report(smoke_report):
    """The session's smoke report (tests/conftest.py: built once per test session, read-only)."""
    return smoke_report


def test_report_renders_in_chromium(report, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=ARGS,
            viewport={"width": 1200, "height": 900})
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            failed: list[str] = []
            page.on("requestfailed", lambda req: failed.append(req.url))
            page.goto((Path(report) / "index.html").as_uri(), wait_until="load")
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 50_000
            images = page.eval_on_selector_all(
                "img", "els => els.map(e => [e.getAttribute('src'), e.complete, e.naturalWidth, "
                "e.getBoundingClientRect().width])")
            assert images, "no figures"
            for src, complete, natural, shown in images:
                assert complete and natural > 100 and shown > 100, f"figure {src} did not render"
            maths = page.eval_on_selector_all(
                "math", "els => els.map(e => [e.getBoundingClientRect().width, e.getBoundingClientRect().height])")
            assert len(maths) >= 5
            for width, height in maths:
                assert width > 10 and height > 8, "MathML element rendered with no size"
            assert page.title().startswith("lrbias compliance report")
            toc = page.eval_on_selector_all("nav a", "els => els.length")
            assert toc >= len(images) // 2
            assert not errors, errors
            assert not failed, failed
        finally:
            browser.close()


def test_no_text_overlaps_in_any_figure_and_labels_are_legible(report, tmp_path):
    figures = sorted((Path(report) / "figures").glob("*.svg"))
    assert len(figures) >= 6
    bad = tmp_path / "overlapping.svg"  # the check finds an overlap when there is one
    bad.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100">'
                   '<g id="text_1"><text x="10" y="50">0.25</text></g>'
                   '<g id="text_2"><text x="30" y="54">0.5</text></g>'
                   '<g id="axes_1"><g id="patch_1"><rect x="100" y="60" width="90" height="35"/></g></g>'
                   '<g id="axes_2"><g id="patch_2"><rect x="0" y="0" width="60" height="20"/></g>'
                   '<g id="text_3"><text x="120" y="90">apart</text></g></g></svg>')
    with chromium(tmp_path, viewport={"width": 1300, "height": 900}) as browser:
        page = browser.new_page()
        page.goto(bad.as_uri())
        assert overlaps(page.evaluate(TEXT_BOXES)) == [("text_1", "text_2")], "the overlap check is blind"
        assert page.evaluate(TEXT_IN_OTHER_AXES) == [["text_3", "axes_1"]], "the panel check is blind"
        page.goto((Path(report) / "index.html").as_uri(), wait_until="load")
        scale = dict(page.eval_on_selector_all(
            "figure img", "els => els.map(e => [e.getAttribute('src'), e.getBoundingClientRect().width / "
            "e.naturalWidth])"))
        for svg in figures:
            page.goto(svg.as_uri())
            boxes = page.evaluate(TEXT_BOXES)
            assert boxes, svg.name
            assert not overlaps(boxes), f"{svg.name}: text overlaps {overlaps(boxes)[:5]}"
            intruding = page.evaluate(TEXT_IN_OTHER_AXES)
            assert not intruding, f"{svg.name}: labels inside another panel {intruding[:5]}"
            shown = scale[f"figures/{svg.name}"]
            smallest = min(b[4] - b[2] for b in boxes if b[4] > b[2])
            assert smallest * shown >= MIN_TEXT_PX, f"{svg.name}: a label is {smallest * shown:.1f} px tall"


def test_every_figure_is_referenced_and_the_overview_answers_at_the_top(report, tmp_path):
    with chromium(tmp_path, viewport={"width": 1366, "height": 900}) as browser:
        page = browser.new_page()
        page.goto((Path(report) / "index.html").as_uri(), wait_until="load")
        for fig_id, links in page.eval_on_selector_all(
                "figure[id^='fig-']", "els => els.map(e => [e.id, Array.from(e.querySelectorAll("
                "'figcaption a')).map(a => a.getAttribute('href'))])"):
            assert links and all(h.startswith("#claim-") for h in links), f"{fig_id} is not referenced"
            assert page.locator(f"#overview a[href='#{fig_id}']").count() > 0, fig_id
        rows = page.eval_on_selector_all(
            "#overview-table tbody tr", "els => els.map(e => [e.cells[0].textContent.trim(), "
            "e.cells[2].textContent.trim(), e.getBoundingClientRect().bottom])")
        verdicts = [v for _, v, _ in rows]
        assert verdicts == sorted(verdicts, key=["fail", "inconclusive", "pass"].index), "failures come first"
        assert all(bottom <= 900 for _, _, bottom in rows), "the overview does not fit the first screen"
        page.screenshot(path=str(tmp_path / "top.png"))
        order = [r[0] for r in rows]
        page.click("#overview-table thead th:first-child button")  # the optional sort script
        page.click("#overview-table thead th:first-child button")
        resorted = page.eval_on_selector_all("#overview-table tbody tr", FIRST_CELLS)
        assert resorted == sorted(order, reverse=True)
    with chromium(tmp_path / "nojs", viewport={"width": 1366, "height": 900}, java_script_enabled=False) as browser:
        page = browser.new_page()
        page.goto((Path(report) / "index.html").as_uri(), wait_until="load")
        plain = page.eval_on_selector_all("#overview-table tbody tr", FIRST_CELLS)
        assert plain == order and page.locator("#overview-table thead button").count() == 0


def test_nn_figure_has_no_overlapping_text(tmp_path):
    """The NN figure (the browser report above runs --no-nn): real runs of a recorded report, laid out
    as the two-dataset grid the NN section draws (``config@digits`` and ``config@mnist1d`` rows)."""
    import json

    from lrbias.report.figures import nn_figure

    recorded = json.loads((Path(__file__).parent / "data" / "nn-failure-results.json").read_text())["extras"]["nn"]
    runs = recorded["grids"]["cubic-bn-mse"]
    nn = {"datasets": ["digits", "mnist1d"],
          "grids": {"cubic-bn-mse@digits": runs, "cubic-bn-mse@mnist1d": runs, "tanh-mse@digits": runs},
          "titles": {"cubic-bn-mse@digits": "relu³ + BatchNorm, MSE, unbalanced start (‖W1‖, ‖W2‖) = (6, 20)"}}
    svg, alt = nn_figure(nn)
    assert "mnist1d" in alt
    path = tmp_path / "nn.svg"
    path.write_text(svg)
    with chromium(tmp_path, viewport={"width": 1300, "height": 900}) as browser:
        page = browser.new_page()
        page.goto(path.as_uri())
        boxes = page.evaluate(TEXT_BOXES)
        assert len(boxes) > 20
        assert not overlaps(boxes), f"text overlaps {overlaps(boxes)[:5]}"
        assert not page.evaluate(TEXT_IN_OTHER_AXES)
        assert min(b[4] - b[2] for b in boxes if b[4] > b[2]) >= MIN_TEXT_PX
