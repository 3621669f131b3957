"""Open the report in headless Chromium (Debian's), screenshot it, check math and figures rendered."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lrbias.cli import main

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("browser") / "latest"
    assert main(["report", "--out", str(out), "--profile", "smoke", "--no-nn"]) == 0
    return out


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
