"""The web dashboard: `chargeline serve` serves it at `/` on the API port (docs/dashboard.md).

`mount_ui(app)` adds the page, its assets under `/ui/static`, login/logout/session under `/ui`
and the dashboard's aggregates under `/ui/api`. Every data request goes through the same roles as
the API; the browser holds a session cookie instead of the key.
"""

from __future__ import annotations

from fastapi import FastAPI

from chargeline.ui import data, login, pages
from chargeline.ui.sessions import SessionCache


def mount_ui(app: FastAPI) -> None:
    app.state.ui_sessions = SessionCache()
    app.include_router(pages.router)
    app.include_router(login.router)
    app.include_router(data.router)
    app.mount("/ui/static", pages.Assets(directory=pages.STATIC), name="ui-static")
