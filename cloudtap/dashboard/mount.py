"""Adds the dashboard's routes, static files and error pages to the API's app."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from cloudtap.dashboard.calls import ActionRefused
from cloudtap.dashboard.forms import CsrfRefused
from cloudtap.dashboard.pages.configs import router as configs_router
from cloudtap.dashboard.pages.events import router as events_router
from cloudtap.dashboard.pages.keys import router as keys_router
from cloudtap.dashboard.pages.overview import router as overview_router
from cloudtap.dashboard.pages.polls import router as polls_router
from cloudtap.dashboard.pages.results import router as results_router
from cloudtap.dashboard.pages.sandbox import router as sandbox_router
from cloudtap.dashboard.pages.sessions import router as sessions_router
from cloudtap.dashboard.pages.signin import router as signin_router
from cloudtap.dashboard.pages.subscriptions import router as subscriptions_router
from cloudtap.dashboard.pages.users import router as users_router
from cloudtap.dashboard.render import page, redirect
from cloudtap.dashboard.visitor import SignInRequired, signed_in

STATIC = Path(__file__).parent / "static"
ROUTERS = (
    signin_router,
    overview_router,
    users_router,
    sessions_router,
    polls_router,
    results_router,
    events_router,
    configs_router,
    keys_router,
    subscriptions_router,
    sandbox_router,
)


def mount_dashboard(app: FastAPI) -> None:
    for router in ROUTERS:
        app.include_router(router, include_in_schema=False)
    app.mount("/dashboard/static", StaticFiles(directory=STATIC), name="dashboard-static")

    @app.exception_handler(SignInRequired)
    async def _sign_in(_request: Request, _exc: SignInRequired) -> RedirectResponse:
        return redirect("/dashboard/sign-in")

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, _exc: CsrfRefused) -> HTMLResponse:
        message = "The form had expired or did not come from this dashboard. Reload and retry."
        return page(request, "error.html", None, 403, title="Form refused", message=message)

    @app.exception_handler(ActionRefused)
    async def _refused(request: Request, exc: ActionRefused) -> HTMLResponse:
        try:
            visitor = signed_in(request)
        except SignInRequired:
            visitor = None
        title = "Not found" if exc.status == 404 else "Refused"
        return page(request, "error.html", visitor, exc.status, title=title, message=exc.detail())
