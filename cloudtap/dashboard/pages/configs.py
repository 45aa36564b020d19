"""``/dashboard/configs``: webhook and storage configs, their tests and test tasks."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from cloudtap.api.resources import storage_configs, tasks, webhook_configs
from cloudtap.dashboard.calls import ActionRefused, run
from cloudtap.dashboard.forms import Posted, posted
from cloudtap.dashboard.render import page, redirect
from cloudtap.dashboard.visitor import Visitor, signed_in

router = APIRouter()

_KINDS = {
    "webhook": (webhook_configs, "webhook_config.test"),
    "storage": (storage_configs, "storage_config.test"),
}


def _tests_by_config(visitor: Visitor, task_type: str) -> dict[str, list[dict[str, Any]]]:
    by_config: dict[str, list[dict[str, Any]]] = {}
    for task in run(visitor, tasks.list_tasks, type=task_type, limit=200)["data"]:
        by_config.setdefault(task["target"], []).append(task)
    return by_config


@router.get("/dashboard/configs")
def configs_page(request: Request, visitor: Visitor = Depends(signed_in)) -> HTMLResponse:
    return page(
        request,
        "configs.html",
        visitor,
        title="Webhook and storage configs",
        webhooks=run(visitor, webhook_configs.list_webhook_configs),
        storages=run(visitor, storage_configs.list_storage_configs),
        webhook_tests=_tests_by_config(visitor, "webhook_config.test"),
        storage_tests=_tests_by_config(visitor, "storage_config.test"),
    )


def _kind(kind: str) -> Any:
    if kind not in _KINDS:
        raise ActionRefused(404, "not-found", "No such kind of config.", {})
    return _KINDS[kind][0]


@router.post("/dashboard/configs/webhook")
def create_webhook(post: Posted = Depends(posted)) -> Response:
    run(post.visitor, webhook_configs.create_webhook_config, body={"url": post.form.get("url")})
    return redirect("/dashboard/configs")


@router.post("/dashboard/configs/storage")
def create_storage(post: Posted = Depends(posted)) -> Response:
    body: dict[str, Any] = {"url": post.form.get("url")}
    if post.form.get("credentials"):
        try:
            body["credentials"] = json.loads(post.form.get("credentials"))
        except ValueError as exc:
            raise ActionRefused(
                400, "invalid-parameter", "Credentials must be a JSON object.", {}
            ) from exc
    run(post.visitor, storage_configs.create_storage_config, body=body)
    return redirect("/dashboard/configs")


@router.post("/dashboard/configs/{kind}/{config_id}/test")
def test_config(kind: str, config_id: str, post: Posted = Depends(posted)) -> Response:
    module = _kind(kind)
    endpoint = getattr(module, f"test_{kind}_config")
    run(post.visitor, endpoint, config_id=config_id)
    return redirect("/dashboard/configs")


@router.post("/dashboard/configs/{kind}/{config_id}/delete")
def delete_config(kind: str, config_id: str, post: Posted = Depends(posted)) -> Response:
    module = _kind(kind)
    endpoint = getattr(module, f"delete_{kind}_config")
    run(post.visitor, endpoint, config_id=config_id)
    return redirect("/dashboard/configs")
