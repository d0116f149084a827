"""The dashboard's server side without a browser: session cookies in place of API keys, CSRF, roles,
throttling, revocation, the audit trail, the page's headers and the assets served by the package."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import prepare, start_api_server
from tests.ui.conftest import PASSWORD, USER, UiServer, add_user

STATIC = Path(__file__).resolve().parents[2] / "chargeline" / "ui" / "static"


async def login(client: httpx.AsyncClient, **body: str) -> dict[str, str]:
    answer = await client.post("/ui/login", json=body)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def test_session_cookie_works_like_a_key(ui_server: UiServer) -> None:
    async with httpx.AsyncClient(base_url=ui_server.url, timeout=30) as client:
        session = await login(client, username=USER.upper(), password=PASSWORD)  # names are case-insensitive
        assert session["role"] == "operator" and session["actor"].startswith("user:")
        cookie = client.cookies.get("chargeline_session")
        assert cookie and cookie not in str(session)
        assert (await client.get("/api/v1/stations")).status_code == 200
        assert (await client.get("/ui/api/overview")).status_code == 200
        body = {"id_token": "SESSION-TOKEN-1"}
        refused = await client.post("/api/v1/id-tokens", json=body)
        assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["message"]
        wrong = await client.post("/api/v1/id-tokens", json=body, headers={"X-CSRF-Token": "0" * 64})
        assert wrong.status_code == 403
        created = await client.post("/api/v1/id-tokens", json=body, headers={"X-CSRF-Token": session["csrf_token"]})
        assert created.status_code == 201, created.text
        webhooks = await client.get("/api/v1/webhooks")
        assert webhooks.status_code == 403  # an operator's session is an operator
        assert (await client.post("/ui/logout")).status_code == 204
        client.cookies.set("chargeline_session", cookie)
        gone = await client.get("/api/v1/stations")
        assert gone.status_code == 401 and gone.json()["error"] == "unauthenticated"


async def test_api_key_login_and_revocation(ui_server: UiServer) -> None:
    admin = {"Authorization": f"Bearer {ui_server.keys['admin']}"}
    async with httpx.AsyncClient(base_url=ui_server.url, timeout=30) as client:
        created = await client.post("/api/v1/api-keys", json={"name": "short-lived", "role": "viewer"}, headers=admin)
        key = created.json()["key"]
        session = await login(client, api_key=key)
        assert session["kind"] == "api_key" and session["role"] == "viewer"
        assert (await client.get("/api/v1/transactions")).status_code == 200
        assert (await client.post("/api/v1/id-tokens", json={"id_token": "X"},
                                  headers={"X-CSRF-Token": session["csrf_token"]})).status_code == 403
        client.headers.update(admin)
        assert (await client.delete(f"/api/v1/api-keys/{created.json()['id']}")).status_code == 200
        del client.headers["Authorization"]
        for _ in range(40):  # sessions are re-checked within seconds
            if (await client.get("/api/v1/stations")).status_code == 401:
                break
            await asyncio.sleep(0.25)
        else:
            pytest.fail("the session outlived its revoked API key")
        audit = (await client.get("/api/v1/audit-log", params={"limit": 200}, headers=admin)).text
    assert "ui.login" in audit and key not in audit and key[16:] not in audit


async def test_failed_logins_are_throttled(ui_server: UiServer) -> None:
    async with httpx.AsyncClient(base_url=ui_server.url, timeout=30) as client:
        codes = [(await client.post("/ui/login", json={"username": "mallory", "password": "guess-guess-guess"}))
                 .status_code for _ in range(6)]
        assert codes[:5] == [401] * 5 and codes[5] == 429
        assert (await client.post("/ui/login", json={"username": "x"})).status_code == 422
        assert (await client.post("/ui/login", json={"api_key": "clk_x", "username": "x", "password": "y"})
                ).status_code == 422
        form = await client.post("/ui/login", data={"username": USER, "password": PASSWORD})
        assert form.status_code == 422  # JSON only: a cross-site form cannot log anyone in


async def test_disabled_user_loses_the_session(ui_server: UiServer) -> None:
    database = ui_server.api.database
    add_user(database, "dora", "admin")
    async with httpx.AsyncClient(base_url=ui_server.url, timeout=30) as client:
        await login(client, username="dora", password=PASSWORD)
        assert (await client.get("/api/v1/audit-log")).status_code == 200
        result = subprocess.run([sys.executable, "-m", "chargeline.users_cli", "disable", "dora", "--database", database],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        for _ in range(40):
            if (await client.get("/api/v1/stations")).status_code == 401:
                break
            await asyncio.sleep(0.25)
        else:
            pytest.fail("a disabled user kept the session")
        refused = await client.post("/ui/login", json={"username": "dora", "password": PASSWORD})
        assert refused.status_code == 401


async def test_page_headers_and_assets(ui_server: UiServer) -> None:
    async with httpx.AsyncClient(base_url=ui_server.url, timeout=30) as client:
        page = await client.get("/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert page.headers["x-frame-options"] == "DENY"
        for ref in re.findall(r'(?:src|href)="([^"]+)"', page.text):
            assert ref.startswith("/ui/static/") or ref == "#/", ref
            assert (await client.get(ref)).status_code == 200, ref
        module = await client.get("/ui/static/js/main.js")
        assert module.headers["content-type"].startswith(("text/javascript", "application/javascript"))
        assert module.headers["cache-control"] == "no-cache"
        assert (await client.get("/ui/static/../../api/auth.py")).status_code == 404
        unauthenticated = await client.get("/ui/api/overview")
        assert unauthenticated.status_code == 401
    own = [p for p in STATIC.rglob("*") if p.is_file() and "vendor" not in p.parts]
    for path in own:  # no CDN, no remote fonts: the dashboard works on a network without internet
        text = path.read_text(errors="replace").replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert not re.search(r"https?://", text), path
        if path.suffix == ".js":
            assert not re.search(r"\.(inner|outer)HTML\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function", text), path
    assert (STATIC / "vendor" / "LICENSE.uPlot").exists()


def test_users_cli(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'users.db'}"

    def users(*args: str, password: str | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
        if password is not None:
            env["CHARGELINE_USER_PASSWORD"] = password
        return subprocess.run([sys.executable, "-m", "chargeline.users_cli", *args, "--database", database],
                              capture_output=True, text=True, timeout=60, env=env, input=stdin)

    assert users("add", "ops", "--role", "operator", password="long-enough-password").returncode == 0
    prompted = users("add", "ops2", "--role", "viewer", stdin="another-long-password\nanother-long-password\n")
    assert prompted.returncode == 0, prompted.stderr
    duplicate = users("add", "OPS", "--role", "admin", password="long-enough-password")
    assert duplicate.returncode != 0 and "exists already" in duplicate.stderr
    assert users("add", "weak", "--role", "viewer", password="short").returncode != 0
    assert users("add", "bad name", "--role", "viewer", password="long-enough-password").returncode != 0
    assert users("add", "x", "--role", "root", password="long-enough-password").returncode != 0
    listing = users("list")
    assert "ops" in listing.stdout and "ops2" in listing.stdout and "scrypt" not in listing.stdout
    assert users("passwd", "ops", password="a-new-long-password").returncode == 0
    assert users("disable", "nobody").returncode != 0


@pytest.mark.postgres
async def test_sessions_on_postgres(postgres_url: str, tmp_path: Path) -> None:
    keys = prepare(postgres_url, stations=("CP-PG",))
    add_user(postgres_url, USER, "viewer")
    server = start_api_server(postgres_url, tmp_path / "server.log")
    try:
        async with httpx.AsyncClient(base_url=server.api, timeout=30) as client:
            await login(client, username=USER, password=PASSWORD)
            assert (await client.get("/ui/api/stations")).json()["total"] == 1
            await login(client, api_key=keys["operator"])
            assert (await client.get("/api/v1/stations/CP-PG")).status_code == 200
    finally:
        assert server.process.stop() == 0
