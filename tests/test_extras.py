"""Optional engines and the extras that bring them: a missing one is a one-line error
that names the extra, from the library, the CLI and the API alike."""

from __future__ import annotations

import sys

import pytest
from typer.testing import CliRunner

from cloudtap.cli.main import app
from cloudtap.extras import MissingExtra, check_urls, require


def hide(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    """As if the modules were not installed: ``import`` of them fails."""
    for name in modules:
        monkeypatch.setitem(sys.modules, name, None)


@pytest.mark.parametrize(
    ("module", "extra"),
    [("redis", "redis"), ("psycopg", "postgres"), ("boto3", "s3"), ("botocore.config", "s3")],
)
def test_a_missing_module_names_its_extra(
    monkeypatch: pytest.MonkeyPatch, module: str, extra: str
) -> None:
    hide(monkeypatch, module)
    with pytest.raises(MissingExtra) as missing:
        require(module)
    assert missing.value.extra == extra
    message = str(missing.value)
    assert f"pip install 'cloudtap[{extra}]'" in message and "\n" not in message


def test_installed_modules_are_returned() -> None:
    assert require("redis") is sys.modules["redis"]


def test_only_the_engines_in_use_are_required(monkeypatch: pytest.MonkeyPatch) -> None:
    hide(monkeypatch, "redis", "psycopg")
    check_urls("sqlite:////tmp/x.db", "sqlite:////tmp/q.db")  # the embedded default
    with pytest.raises(MissingExtra, match=r"\[redis\]"):
        check_urls("sqlite:////tmp/x.db", "redis://127.0.0.1:1/0")
    with pytest.raises(MissingExtra, match=r"\[postgres\]"):
        check_urls("postgresql+psycopg://u@127.0.0.1:1/db", "sqlite:////tmp/q.db")


def test_the_worker_refuses_a_redis_queue_without_the_extra_in_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cloudtap.config import set_settings

    monkeypatch.setenv("CLOUDTAP_QUEUE_URL", "redis://127.0.0.1:1/0")
    set_settings(None)
    hide(monkeypatch, "redis")
    try:
        result = CliRunner().invoke(app, ["worker"])
    finally:
        set_settings(None)
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "cloudtap: a Redis queue (CLOUDTAP_QUEUE_URL=redis://…) needs cloudtap's [redis] "
        "extra: pip install 'cloudtap[redis]'"
    ]


def test_an_unusable_setting_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cloudtap.config import set_settings

    monkeypatch.setenv("CLOUDTAP_TASK_LEASE_SECONDS", "thirty")
    set_settings(None)
    try:
        result = CliRunner().invoke(app, ["db", "upgrade"])
    finally:
        set_settings(None)
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "cloudtap: CLOUDTAP_TASK_LEASE_SECONDS must be a number, not 'thirty'"
    ]
