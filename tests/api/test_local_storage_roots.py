"""``local://`` storage configs stay inside the roots the operator allows.

By default that is the server's own results folder; ``CLOUDTAP_LOCAL_STORAGE_ROOTS`` adds
more. A path outside (absolute, through ``..``, or through a symlink) is refused when the
config is saved, and again when it is tested or published to, and nothing is created.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cloudtap.config import Settings, set_settings
from tests.api.conftest import Tenant
from tests.api.helpers import create_poll, create_session, create_user, finished_task
from tests.jobs.fake_connector import FILE_ID, FakeConnector


def _results(settings: Settings) -> Path:
    return settings.data_dir / "results"


def _save(client: TestClient, tenant: Tenant, path: str) -> Any:
    return client.post("/configs/storage", json={"url": f"local://{path}"}, headers=tenant.headers)


def _outside_paths(settings: Settings, tmp_path: Path) -> list[str]:
    results = _results(settings)
    results.mkdir(parents=True, exist_ok=True)
    escape = results / "escape-link"
    escape.symlink_to(tmp_path / "symlink-target", target_is_directory=True)
    return [
        str(tmp_path / "outside"),  # absolute, elsewhere
        str(Path.home() / "cloudtap-must-not-exist"),  # the server's own home
        f"{results}/../dotdot-escape",  # climbs out with ..
        f"{results}/sub/../../dotdot-escape-2",
        str(escape / "inside-the-link"),  # a symlink inside the root that leads out
        "relative/dir",  # not absolute: would depend on the server's working dir
    ]


def test_paths_outside_the_roots_are_refused_at_save_and_nothing_is_created(
    client: TestClient, tenant: Tenant, settings: Settings, tmp_path: Path
) -> None:
    paths = _outside_paths(settings, tmp_path)
    before = set(tmp_path.rglob("*"))
    for path in paths:
        response = _save(client, tenant, path)
        assert response.status_code == 400, (path, response.text)
        body = response.json()
        assert body["error"] == "invalid-parameter" and "url" in body["params"], body
    assert client.get("/configs/storage", headers=tenant.headers).json()["total_count"] == 0
    assert set(tmp_path.rglob("*")) == before
    assert not (Path.home() / "cloudtap-must-not-exist").exists()


def test_update_to_a_path_outside_is_refused(
    client: TestClient, tenant: Tenant, settings: Settings, tmp_path: Path
) -> None:
    created = _save(client, tenant, str(_results(settings) / "mine"))
    assert created.status_code == 201, created.text
    response = client.post(
        f"/configs/storage/{created.json()['id']}",
        json={"url": f"local://{tmp_path / 'outside'}"},
        headers=tenant.headers,
    )
    assert response.status_code == 400, response.text
    config = client.get(f"/configs/storage/{created.json()['id']}", headers=tenant.headers)
    assert config.json()["url"] == f"local://{_results(settings) / 'mine'}"
    assert not (tmp_path / "outside").exists()


def test_a_path_inside_the_results_folder_works(
    client: TestClient, tenant: Tenant, settings: Settings, worker: FakeConnector
) -> None:
    inside = _results(settings) / "tenant-dir"
    created = _save(client, tenant, str(inside))
    assert created.status_code == 201, created.text
    task = client.post(f"/configs/storage/{created.json()['id']}/test", headers=tenant.headers)
    assert (
        finished_task(client, tenant, task.json()["id"], attempts=200, interval=0.05)["state"]
        == "succeeded"
    )
    assert inside.is_dir()


@pytest.fixture
def extra_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "operator-root"
    monkeypatch.setenv("CLOUDTAP_LOCAL_STORAGE_ROOTS", str(root))
    set_settings(None)
    yield root
    set_settings(None)


def test_the_operator_can_allow_more_roots(
    extra_root: Path, client: TestClient, tenant: Tenant, tmp_path: Path
) -> None:
    assert _save(client, tenant, str(extra_root / "a")).status_code == 201
    assert _save(client, tenant, str(tmp_path / "not-listed")).status_code == 400


def test_a_root_that_leads_outside_later_is_refused_at_test_and_publish(
    client: TestClient,
    tenant: Tenant,
    settings: Settings,
    worker: FakeConnector,
    tmp_path: Path,
) -> None:
    """A config saved inside a root whose path later resolves outside (a directory swapped
    for a symlink) is checked again at use time: never created, written or probed."""
    swapped = _results(settings) / "swapped"
    swapped.mkdir(parents=True)
    created = _save(client, tenant, str(swapped / "dir"))
    assert created.status_code == 201, created.text
    config_id = created.json()["id"]
    swapped.rmdir()
    outside = tmp_path / "swap-target"
    outside.mkdir()
    swapped.symlink_to(outside, target_is_directory=True)

    key = client.post("/key", json={"storage_config": config_id}, headers=tenant.headers)
    assert key.status_code == 200, key.text
    session = create_session(client, tenant, create_user(client, tenant)["id"])
    # The poll first: while the config still reads valid, the publish itself refuses.
    poll = create_poll(client, tenant, session["id"], {"files": [FILE_ID]})
    assert poll["state"] == "completed", poll
    assert poll["results"]["total_count"] == 0
    [failed] = poll["tasks_failed"]
    task = client.get(f"/tasks/{failed}", headers=tenant.headers).json()
    assert task["error"] == "storage-unavailable", task

    task = client.post(f"/configs/storage/{config_id}/test", headers=tenant.headers)
    done = finished_task(client, tenant, task.json()["id"], attempts=200, interval=0.05)
    assert done["state"] == "failed" and done["error"] == "storage-refused", done
    state = client.get(f"/configs/storage/{config_id}", headers=tenant.headers).json()["state"]
    assert state == "invalid"
    # Once tested invalid, the key's results have nowhere to go: no poll is accepted.
    refused = client.post(
        "/polls",
        json={"session": session["id"], "payload": {"files": [FILE_ID]}},
        headers=tenant.headers,
    )
    assert (refused.status_code, refused.json()["error"]) == (403, "unconfigured")
    assert list(outside.iterdir()) == []
