"""The local result store: streamed writes, MD5 and size, atomic finish, safe paths."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from cloudtap.publish.json_results import JsonDataWriter
from cloudtap.publish.local import LocalResultStore


def test_streamed_file_has_md5_size_and_local_url(tmp_path: Path) -> None:
    store = LocalResultStore(tmp_path / "results")
    chunks = [bytes([i]) * 70_000 for i in range(5)]
    with store.writer("org/poll/task.bin") as (sink, stored):
        for chunk in chunks:
            sink.write(chunk)
    [result] = stored
    data = b"".join(chunks)
    assert result.size == len(data)
    assert result.checksum == hashlib.md5(data).hexdigest()
    assert result.url == "local://" + str((tmp_path / "results/org/poll/task.bin").resolve())
    assert result.url.startswith("local:///")
    assert b"".join(store.read(result.location)) == data


def test_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    store = LocalResultStore(tmp_path)
    with pytest.raises(RuntimeError), store.writer("a/b.json") as (sink, _stored):
        sink.write(b"partial")
        raise RuntimeError("connector broke")
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_keys_cannot_escape_the_store(tmp_path: Path) -> None:
    store = LocalResultStore(tmp_path / "results")
    with pytest.raises(ValueError), store.writer("../outside.json"):
        pass


def test_delete_removes_file_and_empty_directories(tmp_path: Path) -> None:
    root = tmp_path / "results"
    store = LocalResultStore(root)
    with store.writer("org/poll/x.json") as (sink, stored):
        sink.write(b"{}")
    store.delete(stored[0].location)
    assert not Path(stored[0].location).exists()
    assert list(root.iterdir()) == []


def test_json_results_have_the_ricloud_shape(tmp_path: Path) -> None:
    store = LocalResultStore(tmp_path)
    with store.writer("r.json") as (sink, stored):
        writer = JsonDataWriter(sink)
        for index in range(3):
            writer.add({"id": index, "name": f"item {index}"})
        assert writer.close() == 3
    body = Path(stored[0].location).read_bytes()
    assert json.loads(body) == {"data": [{"id": i, "name": f"item {i}"} for i in range(3)]}
    with store.writer("empty.json") as (sink, stored):
        JsonDataWriter(sink).close()
    assert json.loads(Path(stored[0].location).read_bytes()) == {"data": []}
    # An incremental listing's deletions go beside ``data``; none, no key (ricloud's shape).
    with store.writer("changes.json") as (sink, stored):
        writer = JsonDataWriter(sink)
        writer.add({"id": "a"})
        writer.close(deleted=["b", "c"])
    body = json.loads(Path(stored[0].location).read_bytes())
    assert body == {"data": [{"id": "a"}], "deleted": ["b", "c"]}
    with store.writer("none-gone.json") as (sink, stored):
        JsonDataWriter(sink).close(deleted=[])
    assert json.loads(Path(stored[0].location).read_bytes()) == {"data": []}


def test_reading_outside_the_store_or_a_missing_file_fails_at_once(tmp_path: Path) -> None:
    store = LocalResultStore(tmp_path / "results")
    outside = tmp_path / "secret.txt"
    outside.write_text("not a result")
    with pytest.raises(FileNotFoundError):
        store.read(str(outside))
    with pytest.raises(FileNotFoundError):
        store.read(str(tmp_path / "results" / "gone.json"))
