"""The application's assembly: the API with the dashboard mounted on it.

Above everything it assembles, so that neither ``api`` nor ``dashboard`` needs the other
upward: the dashboard is built on the API's handlers, and the API knows nothing of it.
The dashboard's sandbox page is given the sandbox's catalogue here, the only place (with
the command line) that may reach into the sandbox.
"""

from __future__ import annotations

from fastapi import FastAPI

from cloudtap.api.app import create_api
from cloudtap.config import Settings
from cloudtap.dashboard import mount_dashboard
from cloudtap.jobs import registry  # noqa: F401  # defines every job on the queue


def _sandbox_catalogue(settings: Settings) -> list[object]:
    # The sandbox's modules (its CA, proxy, world) load only when the page is shown.
    from cloudtap.sandbox.catalogue import catalogue

    return list(catalogue(settings))


def create_app(settings: Settings | None = None) -> FastAPI:
    app = create_api(settings)
    app.state.sandbox_catalogue = _sandbox_catalogue
    mount_dashboard(app)  # /dashboard: HTML pages over the same handlers
    return app
