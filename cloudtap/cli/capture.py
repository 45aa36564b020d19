"""``cloudtap capture``: a redacted capture of one's own Apple traffic (docs/capture.md)."""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from cloudtap.icloud.connector import TransportOptions

SANDBOX_DOMAIN = "@sandbox.cloudtap.dev"
DEFAULT_TYPES = "icpl.photos"


def _data_types(text: str) -> tuple[str, ...]:
    from cloudtap.icloud.datatypes.registry import data_type_ids

    known = data_type_ids()
    wanted = tuple(t.strip() for t in text.split(",") if t.strip())
    unknown = [t for t in wanted if t not in known]
    if unknown or not wanted:
        raise typer.BadParameter(f"unknown: {', '.join(unknown)} (known: {', '.join(known)})")
    return wanted


def _password(apple_id: str, password_env: str | None) -> str:
    if password_env:
        value = os.environ.get(password_env)
        if not value:
            raise typer.BadParameter(f"--password-env: ${password_env} is not set")
        return value
    if apple_id.endswith(SANDBOX_DOMAIN):
        from cloudtap.sandbox.accounts.scenarios import PASSWORD

        return PASSWORD  # public (docs/sandbox.md)
    if not sys.stdin.isatty():
        raise typer.BadParameter("no terminal to ask the password on: use --password-env")
    return getpass.getpass(f"Apple ID password for {apple_id}: ")


def _ask_code(step: str) -> str:
    what = "choice (trusted device or phone)" if step == "choice-required" else "2FA code"
    if not sys.stdin.isatty():
        raise typer.BadParameter(f"Apple asks for a {what}, and there is no terminal")
    return getpass.getpass(f"{what}: ").strip()


def capture(
    apple_id: str | None = typer.Argument(
        None, help="The Apple ID whose traffic is captured (or --session)."
    ),
    to: Path = typer.Option(..., "--to", help="The capture file (capture_<name>.yml)."),
    data_types: str = typer.Option(
        DEFAULT_TYPES, "--data-types", help="Comma-separated data types to list."
    ),
    max_items: int = typer.Option(50, "--max-items", min=1, help="Items per data type."),
    max_requests: int = typer.Option(
        20, "--max-requests", min=1, help="Apple requests (pages) per data type."
    ),
    password_env: str | None = typer.Option(
        None, "--password-env", help="Read the Apple password from this environment variable."
    ),
    session: str | None = typer.Option(
        None,
        "--session",
        help="Capture with an API key's live session (on the server: its database and "
        "master key) instead of signing in; the session is not logged out.",
    ),
) -> None:
    """List a few pages of your own iCloud data and write every Apple request and reply,
    redacted, to a capture file that `cloudtap sandbox serve --captures DIR` replays."""
    import httpx

    from cloudtap.capture.cassette import CAPTURE_PREFIX, write_capture
    from cloudtap.capture.run import Bounds, CaptureFailed, capture_session
    from cloudtap.capture.run import capture as run_capture
    from cloudtap.capture.scan import UnsafeCapture
    from cloudtap.icloud.connector import TransportOptions
    from cloudtap.icloud.errors import ICloudError

    if not to.name.startswith(CAPTURE_PREFIX) or to.suffix != ".yml":
        raise typer.BadParameter(f"--to: the file's name is {CAPTURE_PREFIX}<name>.yml")
    types = _data_types(data_types)
    bounds = Bounds(max_items, max_requests)
    if (apple_id is None) == (session is None):
        raise typer.BadParameter("give an Apple ID or --session, not both")
    with ExitStack() as stack:
        try:
            if session is not None:
                state, environment = _live_session(session)
                sandbox = environment == "sandbox"
                transport = _servers_sandbox() if sandbox else TransportOptions()
                result = asyncio.run(capture_session(transport, state, types, bounds))
            else:
                assert apple_id is not None
                password = _password(apple_id, password_env)
                if apple_id.endswith(SANDBOX_DOMAIN):
                    transport = _sandbox_transport(stack)
                else:
                    transport = TransportOptions()
                result = asyncio.run(
                    run_capture(transport, apple_id, password, types, bounds, _ask_code)
                )
        except (CaptureFailed, ICloudError, httpx.HTTPError) as exc:
            # Nothing is written: the exchanges so far end with the process.
            typer.echo(f"cloudtap capture: {exc or type(exc).__name__}", err=True)
            raise typer.Exit(1) from None
    try:
        written = write_capture(result.exchanges, to.expanduser().resolve())
    except UnsafeCapture as refused:
        typer.echo(f"cloudtap capture: {refused}", err=True)
        raise typer.Exit(1) from None
    listed = ", ".join(
        f"{k}: failed ({result.errors[k]})" if k in result.errors else f"{k}: {v} items"
        for k, v in result.items.items()
    )
    typer.echo(f"captured {written.interactions} exchanges ({listed}) into {written.path}")
    typer.echo("redacted (distinct values; dates, coordinates and bodies: each one):")
    for category, count in written.summary.items():
        typer.echo(f"  {category}: {count}")


def _live_session(session_id: str) -> tuple[dict[str, Any], str]:
    from cloudtap.cli.capture_session import SessionNotCapturable, live_session_state
    from cloudtap.config import get_settings

    try:
        return live_session_state(get_settings(), session_id)
    except SessionNotCapturable as exc:
        typer.echo(f"cloudtap capture: {exc}", err=True)
        raise typer.Exit(1) from None


def _servers_sandbox() -> TransportOptions:
    """The sandbox the server runs (its sessions live there), as its workers find it."""
    from cloudtap.config import get_settings
    from cloudtap.jobs.sandbox_endpoint import discover

    found = discover(get_settings())
    if found is None:
        typer.echo("cloudtap capture: the server's sandbox is not running", err=True)
        raise typer.Exit(1)
    return found


def _sandbox_transport(stack: ExitStack) -> TransportOptions:
    """The running sandbox (CLOUDTAP_SANDBOX_PROXY_URL), else one started here."""
    from cloudtap.config import get_settings
    from cloudtap.icloud.connector import TransportOptions

    settings = get_settings()
    if settings.sandbox_proxy_url:
        ca = str(settings.sandbox_ca_file) if settings.sandbox_ca_file else None
        return TransportOptions(proxy_url=settings.sandbox_proxy_url, ca_file=ca)
    from cloudtap.sandbox.runtime import start_sandbox

    running = stack.enter_context(start_sandbox(settings))
    return TransportOptions(proxy_url=running.proxy_url, ca_file=str(running.ca_file))
