"""The legacy Reminders web service (``reminders`` → ``/rd/startup``), read-only.

Since iOS 13 an account's upgraded lists live in CloudKit (``sandbox.services.reminders``);
the old endpoint then shows only placeholders: per list, the two reminders "Where are my
reminders?" and "The creator of this list has upgraded these reminders." (picklepete/pyicloud
#213, #313, #406, #461; ElyaConrad/iCloud-API #40). Every sandbox account's lists are
upgraded, so this is all it ever answers; ``reminders-upgraded@`` is the scenario that
holds the most of them. The reply's shape is cloud_extractor's captured ``rd/startup``
(``Collections`` and ``Reminders`` with ``guid``/``pGuid``, date arrays).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from cloudtap.sandbox.accounts.model import ContentSpec
from cloudtap.sandbox.app import register_service
from cloudtap.sandbox.services import _web
from cloudtap.sandbox.services.content import reminders as gen
from cloudtap.sandbox.services.content.rng import item_uuid
from cloudtap.sandbox.world import SandboxWorld

PLACEHOLDER_TITLES = (
    "Where are my reminders?",
    "The creator of this list has upgraded these reminders.",
)
# The help page the placeholders point to (pyicloud #461; dankcalendar #73).
HELP_URL = "https://support.apple.com/HT210220"
_DATE = [20191001, 2019, 10, 1, 0, 0, 0]  # cloud_extractor's [yyyymmdd, y, m, d, h, min, ms]


def placeholders(spec: ContentSpec) -> dict[str, list[dict[str, object]]]:
    world = gen.world(spec)
    collections: list[dict[str, object]] = []
    reminders: list[dict[str, object]] = []
    for order, lst in enumerate(world.lists):
        collections.append(
            {
                "title": lst.name,
                "guid": lst.id,
                "order": order,
                "color": lst.color_hex,
                "symbolicColor": lst.color_name,
                "enabled": True,
                "createdDate": _DATE,
                "isFamily": False,
                "completedCount": 0,
            }
        )
        for n, title in enumerate(PLACEHOLDER_TITLES):
            reminders.append(
                {
                    "guid": item_uuid(spec.seed, f"placeholder-{lst.id}", n),
                    "pGuid": lst.id,
                    "title": title,
                    "description": f"Learn more: {HELP_URL}" if n == 0 else "",
                    "createdDate": _DATE,
                    "lastModifiedDate": _DATE,
                    "dueDateIsAllDay": True,
                    "startDateIsAllDay": True,
                    "alarms": [],
                }
            )
    return {"Collections": collections, "Reminders": reminders}


async def startup(request: Request) -> Response:
    account = _web.account_of(request)
    return JSONResponse(placeholders(account.content))


def reminders_app(world: SandboxWorld) -> ASGIApp:
    return _web.service_app(world, [Route("/rd/startup", startup, methods=["GET"])])


register_service("reminders", reminders_app)
register_service("remindersws", reminders_app)  # Apple's own host name
