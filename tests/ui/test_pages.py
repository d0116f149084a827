"""Login, id tokens (add, CSV import) and sites (empty state, and the sites API contract's data)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.async_api import expect

from tests.ui.conftest import USER, Problems, UiServer, login_with_key, login_with_password, new_page, screenshot


async def test_login_logout(ui_server: UiServer, context: Any, problems: Problems) -> None:
    page = await new_page(context, problems)
    await page.goto(ui_server.url + "/")
    await expect(page.get_by_role("heading", name="Chargeline")).to_be_visible()
    await screenshot(page, "login")
    await login_with_password(page, ui_server, USER, "wrong-password-123")
    await expect(page.locator(".login-error")).to_contain_text("Wrong user name and password")
    await login_with_password(page, ui_server)
    await expect(page.locator("#user")).to_contain_text(USER)
    await expect(page.locator("#user")).to_contain_text("operator")
    await expect(page.get_by_role("heading", level=1, name="Overview")).to_be_focused()
    cookies = await context.cookies()
    session = next(c for c in cookies if c["name"] == "chargeline_session")
    assert session["httpOnly"] and session["sameSite"] == "Strict"
    assert ui_server.keys["operator"] not in await page.content()
    await page.get_by_role("button", name="Log out").click()
    await expect(page.locator(".login-card")).to_contain_text("You have logged out")
    await page.reload()
    await expect(page.locator(".login-card")).to_be_visible()  # the session is gone on the server too
    assert not problems.unexpected(), problems.items


async def test_tokens_add_and_import(ui_server: UiServer, context: Any, problems: Problems, tmp_path: Any) -> None:
    page = await new_page(context, problems)
    await login_with_key(page, ui_server, "admin")
    await page.goto(ui_server.url + "/#/tokens")
    await page.get_by_role("button", name="Add id token").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_label("Id token").fill("UI-TOKEN-0001")
    await dialog.get_by_label("Group").fill("UI-FLEET")
    await dialog.get_by_role("button", name="Add").click()
    await expect(dialog).to_have_count(0)
    await expect(page.locator("main")).to_contain_text("UI-FLEET")
    csv = tmp_path / "tokens.csv"
    csv.write_text("id_token,status,group_id\nUI-CSV-1,Accepted,UI-FLEET\nUI-CSV-2,Blocked,\n")
    await page.locator("#csv-file").set_input_files(str(csv))
    await page.get_by_role("button", name="Import").click()
    await expect(page.locator("main")).to_contain_text("Imported: 2 created, 0 updated.")
    bad = tmp_path / "bad.csv"
    bad.write_text("id_token,status\nUI-CSV-3,Nope\n")
    await page.locator("#csv-file").set_input_files(str(bad))
    await page.get_by_role("button", name="Import").click()
    await expect(page.locator("main")).to_contain_text("line 2: status must be one of")
    await page.get_by_role("link", name="Reveal full values").click()
    await expect(page.locator("main table").first).to_contain_text("UI-CSV-2")
    await screenshot(page, "tokens")
    assert not problems.unexpected(422), problems.items  # 422: the bad CSV


def _site_routes(now: datetime) -> dict[str, Any]:
    """Answers in the sites API's contract shape."""
    hours = [now - timedelta(hours=24) + timedelta(minutes=15 * i) for i in range(97)]
    at = [t.isoformat().replace("+00:00", "Z") for t in hours]
    planned_w = [60000 + 30000 * ((i // 8) % 3) for i in range(len(at))]
    planned = [{"at": a, "w": w} for a, w in zip(at, planned_w, strict=True)]
    measured = [{"at": a, "w": w * (0.85 + 0.1 * ((i * 7) % 5) / 4)} for i, (a, w) in enumerate(zip(at, planned_w, strict=True))]
    limit = [{"at": at[0], "w": 120000}, {"at": at[48], "w": 100000}, {"at": at[-1], "w": 100000}]
    nodes = [{"id": 1, "parent_id": None, "kind": "grid", "name": "Grid connection", "limit_w": 120000, "limit_a": 173,
              "phases": 3, "station_id": None, "evse_id": None},
             {"id": 2, "parent_id": 1, "kind": "circuit", "name": "Garage circuit A", "limit_w": None, "limit_a": 80,
              "phases": 3, "station_id": None, "evse_id": None},
             {"id": 3, "parent_id": 2, "kind": "station", "name": "CP-UI", "limit_w": 22000, "limit_a": None,
              "phases": 3, "station_id": "CP-UI", "evse_id": None},
             {"id": 4, "parent_id": 3, "kind": "evse", "name": "EVSE 1", "limit_w": None, "limit_a": 32, "phases": 3,
              "station_id": "CP-UI", "evse_id": 1}]
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    prices = [{"start": (day + timedelta(hours=h)).isoformat().replace("+00:00", "Z"),
               "end": (day + timedelta(hours=h + 6)).isoformat().replace("+00:00", "Z"),
               "price_per_kwh": p} for h, p in ((0, 0.18), (6, 0.31), (12, 0.24), (18, 0.35))]
    return {"/api/v1/sites": [{"id": "depot", "name": "Depot North"}, {"id": "hq", "name": "Head office"}],
            "/api/v1/sites/depot": {"id": "depot", "name": "Depot North", "nodes": nodes},
            "/api/v1/sites/depot/load": {"planned": planned, "measured": measured, "limit": limit},
            "/api/v1/sites/hq/load": {"planned": [], "measured": [{"at": at[-1], "w": 30000}],
                                      "limit": [{"at": at[0], "w": 50000}]},
            "/api/v1/sites/depot/prices": prices}


async def test_sites_empty_state_and_contract_data(ui_server: UiServer, context: Any, problems: Problems) -> None:
    page = await new_page(context, problems)
    await login_with_key(page, ui_server, "operator")

    async def missing(route: Any) -> None:
        await route.fulfill(status=404, content_type="application/json",
                            body=json.dumps({"error": "not_found", "message": "Not Found"}))

    await page.route("**/api/v1/sites**", missing)
    await page.goto(ui_server.url + "/#/sites")
    await expect(page.locator("main")).to_contain_text("Sites are not available")
    await page.goto(ui_server.url + "/#/")
    await expect(page.locator("main")).to_contain_text("No sites")
    await page.unroute("**/api/v1/sites**")

    answers = _site_routes(datetime.now(UTC))

    async def contract(route: Any) -> None:
        path = route.request.url.split("?", 1)[0].split("://", 1)[1].split("/", 1)[1]
        body = answers.get("/" + path)
        if body is None:
            await missing(route)
        else:
            await route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    await page.route("**/api/v1/sites**", contract)
    await page.goto(ui_server.url + "/#/sites/depot")
    tree = page.get_by_role("tree")
    await expect(tree).to_contain_text("Grid connection")
    await expect(tree).to_contain_text("120.0 kW")
    await expect(tree.get_by_role("link", name="CP-UI")).to_be_visible()
    await expect(page.locator("#site-load figure.chart")).to_have_count(1)
    assert int(await page.locator("#site-load figure.chart").get_attribute("data-points") or 0) > 90
    await expect(page.locator("#site-prices figure.chart")).to_have_count(1)
    await expect(page.locator("#site-prices table.data")).to_contain_text("0.31")
    await screenshot(page, "sites")
    await page.goto(ui_server.url + "/#/")
    await expect(page.locator("main .site-load")).to_contain_text("Depot North")
    await expect(page.locator("main .site-load")).to_contain_text("30.0 kW / 50.0 kW")
    assert not problems.unexpected(), problems.items
