"""The dashboard watches a station connect and charge without reloading, stops it remotely, shows the
message log, and draws the transaction's and the composite schedule's charts."""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import expect

from tests.ui.conftest import Problems, UiServer, login_with_key, new_page, screenshot
from tests.ui.station import SECRET_KEY, station

STATION = "CP-UI"


async def chart_ok(page: Any, scope: str, count: int) -> None:
    """`count` charts drawn in `scope`: a canvas with a size and more than one data point each."""
    charts = page.locator(f"{scope} figure.chart")
    await expect(charts).to_have_count(count)
    for i in range(count):
        chart = charts.nth(i)
        box = await chart.locator("canvas").bounding_box()
        assert box and box["width"] > 200 and box["height"] > 100
        assert int(await chart.get_attribute("data-points") or 0) > 1


async def test_station_connects_charges_and_stops_live(ui_server: UiServer, context: Any, problems: Problems) -> None:
    page = await new_page(context, problems)
    await login_with_key(page, ui_server, "operator")
    await page.goto(ui_server.url + "/#/stations")
    await page.evaluate("window.__noReload = true")
    row = page.locator(f'tr[data-key="{STATION.lower()}"]')
    await expect(row).to_contain_text("Offline")

    async with station(ui_server.ocpp, STATION) as cp:
        await cp.boot()
        await expect(row).to_contain_text("Available")  # the connection and the status arrive live
        await expect(page.locator("#live")).to_contain_text("Live")
        await row.get_by_role("link", name=STATION).click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text(STATION)
        evse = page.locator('article[data-evse="1"]')
        await expect(evse).to_contain_text("Available")

        tx_id = await cp.start_charging(minutes=12)
        await expect(evse).to_contain_text("Charging")  # without a reload
        stop = page.locator("#stop-1")
        await expect(stop).to_be_visible()
        await expect(page.locator("#station-head")).to_contain_text("Charging")
        await expect(evse.locator(".connector")).to_contain_text("Charging")
        await screenshot(page, "station")
        await page.get_by_role("link", name="Overview", exact=True).click()
        await expect(page.locator("#kpi-transactions")).to_contain_text("1")
        await expect(page.locator("#kpi-connected")).to_contain_text("1 / 3")
        await expect(page.locator("#feed")).to_contain_text("transaction 1 started")
        await screenshot(page, "overview")
        await page.go_back()
        await expect(stop).to_be_visible()

        await stop.click()
        dialog = page.get_by_role("dialog")
        await expect(dialog).to_contain_text(f"Remote stop on {STATION}?")
        await dialog.get_by_role("button", name="Remote stop").click()
        results = page.locator("#command-results")
        await expect(results).to_contain_text("completed")
        await expect(results).to_contain_text("Accepted")
        await cp.stopped.wait()
        await expect(evse).to_contain_text("Available")
        await expect(page.locator("#stop-1")).to_have_count(0)  # the session has ended

        await page.get_by_role("tab", name="Message log").click()
        log = page.locator("#message-log")
        await expect(log).to_contain_text("RemoteStopTransaction")
        await expect(log).to_contain_text("StopTransaction")
        await page.locator("#log-filter").fill("RemoteStop")
        frames = log.locator("details.frame")
        await expect(frames).to_have_count(2)  # the CALL and its answer (the action follows the message id)
        await frames.filter(has_text="CALL").first.locator("summary").click()
        await expect(log.locator("pre.json").first).to_contain_text('"transactionId"')
        await page.locator("#log-direction").select_option("out")
        await expect(frames).to_have_count(1)
        await page.locator("#log-filter").fill("")
        await page.locator("#log-direction").select_option("")
        await screenshot(page, "message-log", full_page=False)

        await page.get_by_role("tab", name="Operations").click()
        await page.locator('button[data-operation="get_configuration"]').click()
        form = page.get_by_role("dialog")
        await form.get_by_role("button", name="Get configuration").click()
        await expect(form).to_contain_text("completed")
        await form.get_by_role("button", name="Close").click()
        await page.get_by_role("tab", name="Configuration").click()
        config = page.locator("main table.data")
        await expect(config).to_contain_text("HeartbeatInterval")
        await expect(config).to_contain_text("AuthorizationKey")
        assert SECRET_KEY not in await page.content()

        await page.get_by_role("tab", name="Charging profiles").click()
        await page.get_by_role("button", name="Ask the station").click()
        await chart_ok(page, "#composite-chart", 1)
        await expect(page.locator("#command-results")).to_contain_text("Get composite schedule")
        await screenshot(page, "charging")

    await page.goto(f"{ui_server.url}/#/transactions/{tx_id}")
    await expect(page.locator("main")).to_contain_text("ended")
    await chart_ok(page, "#tx-charts", 2)
    await screenshot(page, "transaction")

    await page.goto(ui_server.url + "/#/transactions")
    await expect(page.locator("main table")).to_contain_text(STATION)
    csv = page.get_by_role("link", name="Export CSV")
    assert re.search(r"/api/v1/transactions/export\?format=csv", await csv.get_attribute("href") or "")
    await screenshot(page, "transactions")

    await page.goto(ui_server.url + "/#/")
    await expect(page.locator("#kpi-connected")).to_be_visible()
    await expect(page.locator("#alerts")).to_contain_text(STATION)  # it went offline when the socket closed
    assert await page.evaluate("window.__noReload") is True
    assert not problems.unexpected(), problems.items
