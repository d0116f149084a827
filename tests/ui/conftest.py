"""The dashboard under a real `chargeline serve`, driven by Playwright in Debian's chromium.

Browser tests skip when chromium or Playwright are missing, except in CI (CI=true), where that
fails. Screenshots go to test-artifacts/ui/; with CHARGELINE_UPDATE_SCREENSHOTS=1 they also
replace the ones in docs/screenshots/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import ApiServer, prepare, start_api_server
from tests.conftest import IN_CI, cli

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "ui"
DOC_SHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHARGELINE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-dev-shm-usage"]
USER, PASSWORD = "alice", "correct-horse-battery"


def add_user(database: str, name: str, role: str, password: str = PASSWORD) -> None:
    result = subprocess.run([sys.executable, "-m", "chargeline.users_cli", "add", name, "--role", role,
                             "--database", database], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "CHARGELINE_USER_PASSWORD": password})
    assert result.returncode == 0, result.stderr + result.stdout


def _expect_patience() -> None:
    try:
        from playwright.async_api import expect
    except ImportError:
        return
    expect.set_options(timeout=15_000)  # live updates cross a server, a writer batch and the event stream


_expect_patience()


@dataclass
class UiServer:
    api: ApiServer
    keys: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.api.api

    @property
    def ocpp(self) -> str:
        return self.api.url


@pytest.fixture(scope="session")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    """One server for the dashboard tests (they use distinct stations, tokens and users)."""
    tmp = tmp_path_factory.mktemp("ui")
    database = f"sqlite:///{tmp / 'chargeline.db'}"
    keys = prepare(database, stations=("CP-UI", "CP-XSS", "CP-VIEW"))
    cli("tokens", "add", "TAG-2", database=database)
    add_user(database, USER, "operator")
    add_user(database, "victor", "viewer")
    server = start_api_server(database, tmp / "server.log")
    server.keys = keys
    yield UiServer(server, keys)
    assert server.process.stop() == 0


def _browser_missing() -> str | None:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install playwright==1.65.2)"
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        return f"chromium not found at {CHROMIUM} (apt-get install -y chromium)"
    return None


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    missing = _browser_missing()
    if missing:
        if IN_CI:
            pytest.fail(f"browser tests need chromium and Playwright in CI: {missing}")
        pytest.skip(missing)
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        instance = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            await instance.close()


class Problems:
    """Page errors and console errors (CSP violations among them) seen by a page."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def attach(self, page: Any) -> None:
        page.on("pageerror", lambda err: self.items.append(f"pageerror: {err}"))
        page.on("console", lambda msg: self.items.append(f"console: {msg.text}") if msg.type == "error" else None)

    def unexpected(self, *allowed: int) -> list[str]:
        # 401 before logging in and 404 from routes a CSMS may not have (sites) are expected
        codes = [f"status of {code}" for code in (401, 404, *allowed)]
        return [p for p in self.items if not any(code in p for code in codes)]


@pytest.fixture
async def context(browser: Any) -> AsyncIterator[Any]:
    ctx = await browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-GB",
                                    timezone_id="Europe/Amsterdam", color_scheme="light")
    ctx.set_default_timeout(15_000)
    yield ctx
    await ctx.close()


@pytest.fixture
def problems() -> Problems:
    return Problems()


async def new_page(context: Any, problems: Problems) -> Any:
    page = await context.new_page()
    problems.attach(page)
    return page


async def login_with_key(page: Any, server: UiServer, role: str) -> None:
    await page.goto(server.url + "/")
    await page.get_by_role("radio", name="API key").check()
    await page.locator("#login-key").fill(server.keys[role])
    await page.get_by_role("button", name="Log in").click()
    await page.locator("#nav a").first.wait_for()


async def login_with_password(page: Any, server: UiServer, name: str = USER, password: str = PASSWORD) -> None:
    await page.goto(server.url + "/")
    await page.locator("#login-user").fill(name)
    await page.locator("#login-password").fill(password)
    await page.get_by_role("button", name="Log in").click()


async def screenshot(page: Any, name: str, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.evaluate("document.getElementById('toasts')?.replaceChildren()")  # transient notices
    await page.wait_for_timeout(300)  # let charts and transitions settle
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=full_page)
    if os.environ.get("CHARGELINE_UPDATE_SCREENSHOTS") == "1":
        DOC_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOC_SHOTS / path.name)
    return path
