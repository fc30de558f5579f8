"""What the Chromium tests of the pages share: the browser, writing to the live server's own
database, signing in, and axe-core (installed from tests/repository/axe/package-lock.json).

Needs Chromium (``HUIKU_CHROMIUM``, default /usr/bin/chromium) and Playwright, and for axe node
and npm; without them the tests are skipped, or fail when ``HUIKU_REQUIRE_SERVICES=1`` (CI).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from repository.extensions import db
from tests.conftest import REQUIRE_SERVICES
from tests.factories import PASSWORD

CHROMIUM = os.environ.get("HUIKU_CHROMIUM") or "/usr/bin/chromium"
REPO = Path(__file__).resolve().parents[2]
AXE_SOURCE = REPO / "tests" / "repository" / "axe"
AXE_TOOLS = REPO / ".cache" / "axe"
#: What Huiku is held to: WCAG 2.1 A and AA, and axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def require(condition: bool, why: str) -> None:
    if not condition:
        if REQUIRE_SERVICES:
            pytest.fail(f"{why} (HUIKU_REQUIRE_SERVICES=1)")
        pytest.skip(why)


@pytest.fixture
def live_database(live_server) -> Iterator[None]:
    """The live server on its own database, with a session per request, as in production.

    The per-test rollback fixture binds ``db.session`` to the test's single connection for
    every app; a browser loads a page's images and tiles in parallel, and parallel requests on
    one connection break each other's savepoints. So these tests write to and serve from the
    live server's own SQLite database instead.
    """
    test_session = db.session
    db.session = db._make_scoped_session({})
    try:
        yield
    finally:
        db.session.remove()
        db.session = test_session


@contextmanager
def launched_chromium(*arguments: str) -> Iterator:
    """Chromium driven by Playwright, with any further command-line ``arguments``."""
    require(Path(CHROMIUM).is_file(), f"Chromium not found at {CHROMIUM} (set HUIKU_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "Playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", *arguments]
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def chromium(live_server):
    with launched_chromium() as browser:
        yield browser


def new_page(chromium, language: str = "en-US"):
    """A page of a browser whose reader reads ``language`` (its Accept-Language)."""
    return chromium.new_page(viewport={"width": 1280, "height": 900}, locale=language)


def sign_in(chromium, live_server, email: str, language: str = "en-US"):
    page = new_page(chromium, language)
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form.narrow-form button[type=submit]")
    assert "/login" not in page.url, page.inner_text("main")
    return page


def screenshots(tmp_path: Path) -> Path:
    return Path(os.environ.get("HUIKU_SCREENSHOTS") or tmp_path)


def shot(page, name: str) -> None:
    """A full-page screenshot into ``HUIKU_SCREENSHOTS``, when it is set, to look at."""
    folder = os.environ.get("HUIKU_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@pytest.fixture(scope="session")
def axe_script() -> str:
    """axe-core's script, installed with npm ci the first time (and when the lock changes)."""
    require(shutil.which("npm") is not None, "npm is not installed (needed for axe-core)")
    script = (
        ". scripts/services/common.sh && "
        f"npm_ci_locked {AXE_SOURCE.relative_to(REPO)} {AXE_TOOLS.relative_to(REPO)}"
    )
    done = subprocess.run(["bash", "-c", script], cwd=REPO, capture_output=True, text=True)
    require(done.returncode == 0, f"axe-core could not be installed: {done.stderr[-500:]}")
    return (AXE_TOOLS / "node_modules" / "axe-core" / "axe.min.js").read_text()


def axe_violations(page, axe_script: str, **options) -> list[str]:
    """What axe-core finds on the page as it stands, one line per rule broken."""
    page.evaluate(axe_script)  # not a <script> element, so the page's CSP does not block it
    options.setdefault("runOnly", {"type": "tag", "values": AXE_TAGS})
    result = page.evaluate("options => axe.run(document, options)", options)
    return [
        f"{rule['id']} ({rule['impact']}): "
        + "; ".join(f"{node['target']} {node['html'][:120]}" for node in rule["nodes"][:3])
        for rule in result["violations"]
    ]
