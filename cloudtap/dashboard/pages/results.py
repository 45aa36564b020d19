"""``/dashboard/results/{id}``: a result as a page (photo grid, Find My, contacts, calendar,
reminder lists, the iCloud Drive tree), its thumbnails poll, a Drive file's poll, and its
bytes for the signed-in visitor."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from cloudtap.api.resources import polls, results
from cloudtap.dashboard import albums, drive_tree, result_views, thumbnails
from cloudtap.dashboard.calls import run
from cloudtap.dashboard.forms import Posted, posted
from cloudtap.dashboard.render import SECURITY_HEADERS, fragment, page, redirect
from cloudtap.dashboard.result_files import json_items, stored_result, stream
from cloudtap.dashboard.visitor import Visitor, signed_in

router = APIRouter()

_IMAGE_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
}
_TABLES = {
    "fmip.devices": ("devices.html", result_views.device_rows),
    "mme_contacts.contacts": ("contacts.html", result_views.contact_rows),
    "mme_calendar.events": ("calendar.html", result_views.event_rows),
    "cloudkit_reminders.reminders": ("reminders.html", result_views.reminder_lists),
}


def _session_of(visitor: Visitor, result: dict[str, Any]) -> str:
    return str(run(visitor, polls.retrieve_poll, poll_id=result["poll"])["session"])


def _grid(visitor: Visitor, result: dict[str, Any]) -> dict[str, Any]:
    found = json_items(visitor, stored_result(visitor, result["id"]))
    items = found or []
    photos = thumbnails.photos_of(items)
    poll = thumbnails.cached_poll(visitor, _session_of(visitor, result), result["id"])
    return {
        "result": result,
        "photos": photos,
        "total": len(items),
        "too_large": found is None,
        "thumbs_poll": poll,
        "thumbs": thumbnails.thumbnail_results(poll),
    }


@router.get("/dashboard/results/{result_id}")
def result_page(
    result_id: str,
    visitor: Visitor = Depends(signed_in),
    folder: str | None = Query(default=None, max_length=1000),
) -> HTMLResponse:
    result = run(visitor, results.retrieve_result, result_id=result_id)
    title = f"{result['identifier']} result"
    if result["identifier"] == "icpl.photos":
        return page(visitor.request, "photos.html", visitor, title=title, **_grid(visitor, result))
    items = json_items(visitor, stored_result(visitor, result_id))
    if result["identifier"] == "icloud_drive.files" and items is not None:
        return page(
            visitor.request, "drive.html", visitor, title=title,
            **_drive(visitor, result, items, folder),
        )  # fmt: skip
    if result["identifier"] == "icpl.albums" and items is not None:
        return page(
            visitor.request, "albums.html", visitor, title=title, **_albums(visitor, result, items)
        )
    if result["identifier"] in _TABLES and items is not None:
        template, rows = _TABLES[result["identifier"]]
        return page(
            visitor.request,
            template,
            visitor,
            title=title,
            result=result,
            rows=rows(items),
            total=len(items),
        )
    preview = None if items is None else json.dumps(items[:20], indent=2, ensure_ascii=False)
    return page(
        visitor.request, "result.html", visitor, title=title, result=result, preview=preview
    )


def _drive(
    visitor: Visitor, result: dict[str, Any], items: list[Any], folder: str | None
) -> dict[str, Any]:
    view = drive_tree.folder_view(items, folder)
    made = drive_tree.file_polls(visitor, _session_of(visitor, result), result["id"])
    file_ids = {e.id: e.file_id for e in view.entries}
    found = {i: drive_tree.file_result(p, file_ids.get(i)) for i, p in made.items()}
    return {
        "result": result,
        "view": view,
        "file_polls": made,
        "file_results": {i: r for i, r in found.items() if r},
    }


@router.post("/dashboard/results/{result_id}/drive-files")
def drive_file(result_id: str, post: Posted = Depends(posted)) -> Response:
    """A Drive file's bytes: one files poll for it (made once), then its page."""
    visitor = post.visitor
    result = run(visitor, results.retrieve_result, result_id=result_id)
    listed = json_items(visitor, stored_result(visitor, result_id)) or []
    entry = drive_tree.file_item(listed, post.form.get("item"))
    if result["identifier"] != "icloud_drive.files" or entry is None:
        return redirect(f"/dashboard/results/{result_id}")  # not a file of this result
    poll = drive_tree.request_file(visitor, _session_of(visitor, result), result_id, entry)
    return redirect(f"/dashboard/polls/{poll['id']}")


def _albums(visitor: Visitor, result: dict[str, Any], items: list[Any]) -> dict[str, Any]:
    made = albums.photo_polls(visitor, _session_of(visitor, result), result["id"])
    found = {a: albums.photos_result(p) for a, p in made.items()}
    return {
        "result": result,
        "rows": albums.album_rows(items),
        "total": len(items),
        "photo_polls": made,
        "photo_results": {a: r for a, r in found.items() if r},
    }


@router.post("/dashboard/results/{result_id}/albums/{album_id}")
def album_photos(result_id: str, album_id: str, post: Posted = Depends(posted)) -> Response:
    """The album's photos: one poll limited to it (made once), then its page."""
    visitor = post.visitor
    result = run(visitor, results.retrieve_result, result_id=result_id)
    listed = json_items(visitor, stored_result(visitor, result_id)) or []
    if result["identifier"] != "icpl.albums" or album_id not in {
        str(i.get("id")) for i in listed if i.get("kind") != "folder"
    }:
        return redirect(f"/dashboard/results/{result_id}")  # not an album of this result
    poll = albums.request_photos(visitor, _session_of(visitor, result), result_id, album_id)
    return redirect(f"/dashboard/polls/{poll['id']}")


@router.get("/dashboard/results/{result_id}/grid")
def photo_grid(result_id: str, visitor: Visitor = Depends(signed_in)) -> HTMLResponse:
    result = run(visitor, results.retrieve_result, result_id=result_id)
    grid = _grid(visitor, result)
    poll = grid["thumbs_poll"]
    settled = poll is None or poll["state"] not in polls.UNSETTLED
    return fragment(visitor.request, "photo_grid.html", visitor, settled, **grid)


@router.post("/dashboard/results/{result_id}/thumbnails")
def load_thumbnails(result_id: str, post: Posted = Depends(posted)) -> Response:
    visitor = post.visitor
    result = run(visitor, results.retrieve_result, result_id=result_id)
    session_id = _session_of(visitor, result)
    if thumbnails.cached_poll(visitor, session_id, result_id) is None:
        items = json_items(visitor, stored_result(visitor, result_id)) or []
        thumbnails.request_thumbnails(visitor, session_id, result_id, thumbnails.photos_of(items))
    return redirect(f"/dashboard/results/{result_id}")


@router.get("/dashboard/results/{result_id}/content")
def result_content(result_id: str, visitor: Visitor = Depends(signed_in)) -> StreamingResponse:
    stored = stored_result(visitor, result_id)
    media = _IMAGE_TYPES.get(stored.type.lower())
    headers = {
        **SECURITY_HEADERS,
        "Content-Length": str(stored.size),
        # Thumbnails never change: let the browser keep them (privately).
        "Cache-Control": "private, max-age=86400, immutable",
        "Content-Security-Policy": "sandbox; default-src 'none'",
    }
    if media is None:
        # Anything but a plain image is downloaded, never rendered on this origin.
        media = "application/octet-stream"
        headers["Content-Disposition"] = f'attachment; filename="{stored.id}.{stored.type}"'
    return StreamingResponse(stream(visitor, stored), media_type=media, headers=headers)
