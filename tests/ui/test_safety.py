"""Station-supplied strings are shown as text (stored XSS), roles are reflected in the pages, and the
pages work with the keyboard and on a tablet-sized screen."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import websockets
from ocpp.v201 import ChargePoint, call
from playwright.async_api import expect
from websockets.typing import Subprotocol

from tests.e2e.stations import PASSWORD, basic
from tests.ui.conftest import Problems, UiServer, login_with_key, login_with_password, new_page, screenshot
from tests.ui.station import station

VENDOR = '<img src=x onerror="window.__xss=1">'
FIRMWARE = "<svg onload=window.__xss=2>"
TECH_INFO = "<script>window.__xss=3</script><b>bold</b>"


@contextlib.asynccontextmanager
async def hostile_station(url: str, station_id: str) -> AsyncIterator[Any]:
    async with websockets.connect(url + station_id, subprotocols=[Subprotocol("ocpp2.0.1")],
                                  additional_headers=basic(station_id, PASSWORD)) as ws:
        cp = ChargePoint(station_id, ws, response_timeout=15)
        task = asyncio.create_task(cp.start())
        try:
            await cp.call(call.BootNotification(reason="PowerUp", charging_station={
                "model": "<i>m</i>", "vendor_name": VENDOR, "firmware_version": FIRMWARE}))
            await cp.call(call.SecurityEventNotification(type="TamperDetectionActivated", timestamp="2026-11-21T10:00:00Z",
                                                         tech_info=TECH_INFO))
            await cp.call(call.StatusNotification(timestamp="2026-11-21T10:00:00Z", connector_status="Faulted",
                                                  evse_id=1, connector_id=1))
            yield cp
        finally:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task


async def test_station_strings_are_text_not_markup(ui_server: UiServer, context: Any, problems: Problems) -> None:
    page = await new_page(context, problems)
    await login_with_key(page, ui_server, "admin")
    async with hostile_station(ui_server.ocpp, "CP-XSS"):
        await page.goto(ui_server.url + "/#/stations")
        row = page.locator('tr[data-key="cp-xss"]')
        await expect(row).to_contain_text(VENDOR)
        await expect(row).to_contain_text("Faulted")
        await page.goto(ui_server.url + "/#/stations/CP-XSS?tab=history")
        await expect(page.locator("main")).to_contain_text(FIRMWARE)
        await expect(page.locator(".tech-info").first).to_have_text(TECH_INFO)
        await page.goto(ui_server.url + "/#/")
        await expect(page.locator("#alerts")).to_contain_text(TECH_INFO)
        await expect(page.locator("#alerts")).to_contain_text("faulted")
        await page.goto(ui_server.url + "/#/stations/CP-XSS?tab=log")
        await expect(page.locator("#message-log")).to_contain_text("SecurityEventNotification")
        call_frame = page.locator("#message-log details.frame").filter(has_text="SecurityEventNotification")
        await call_frame.filter(has_text="CALL").first.locator("summary").click()
        await expect(page.locator("#message-log pre.json").first).to_contain_text("window.__xss=3")
    assert await page.evaluate("window.__xss") is None
    assert await page.locator("main img[src=x], main svg[onload], main script, main b").count() == 0
    assert not problems.unexpected(), problems.items


async def test_viewer_reads_but_cannot_operate(ui_server: UiServer, context: Any, problems: Problems) -> None:
    page = await new_page(context, problems)
    await login_with_password(page, ui_server, "victor")
    await expect(page.locator("#user")).to_contain_text("viewer")
    await page.goto(ui_server.url + "/#/stations/CP-VIEW?tab=operations")
    reset = page.locator('button[data-operation="reset"]')
    await expect(reset).to_be_disabled()
    await page.get_by_role("tab", name="Message log").click()
    await expect(page.locator("main")).to_contain_text("Needs the operator role")
    await page.goto(ui_server.url + "/#/tokens")
    await expect(page.get_by_role("button", name="Add id token")).to_be_disabled()
    assert not problems.unexpected(), problems.items


async def test_keyboard_and_tablet(ui_server: UiServer, browser: Any, problems: Problems) -> None:
    context = await browser.new_context(viewport={"width": 820, "height": 1180}, has_touch=True, locale="en-GB")
    try:
        page = await new_page(context, problems)
        await login_with_password(page, ui_server)
        await expect(page.locator("#nav a").first).to_be_visible()
        async with station(ui_server.ocpp, "CP-VIEW") as cp:
            await cp.boot(vendor="Tablet", model="T1")
            await page.goto(ui_server.url + "/#/stations")
            await expect(page.locator('tr[data-key="cp-view"]')).to_contain_text("Available")
            search = page.get_by_label("Search")
            await search.focus()
            await page.keyboard.type("cp-view")
            await expect(page.locator("main tbody tr")).to_have_count(1)
            await page.keyboard.press("Tab")  # to the status filters
            sort = page.get_by_role("button", name="Station")
            await sort.focus()
            await page.keyboard.press("Enter")
            await expect(page.locator("th[aria-sort=ascending]")).to_contain_text("Station")
            await page.goto(ui_server.url + "/#/stations/CP-VIEW")
            first = page.get_by_role("tab", name="Connectors")
            await first.focus()
            await page.keyboard.press("ArrowRight")
            await expect(page.get_by_role("tab", name="Operations")).to_have_attribute("aria-selected", "true")
            await expect(page.get_by_role("tab", name="Operations")).to_be_focused()
            await page.keyboard.press("ArrowLeft")
            await expect(first).to_have_attribute("aria-selected", "true")
            await expect(page.locator('article[data-evse="1"]')).to_contain_text("Available")
            overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"the page is {overflow}px wider than a tablet"
            await screenshot(page, "station-tablet")
        unlabelled = await page.evaluate("""() => Array.from(document.querySelectorAll('input, select, textarea'))
            .filter((el) => el.type !== 'hidden' && !el.labels?.length && !el.getAttribute('aria-label'))
            .map((el) => el.outerHTML)""")
        assert not unlabelled, unlabelled
        assert not problems.unexpected(), problems.items
    finally:
        await context.close()
