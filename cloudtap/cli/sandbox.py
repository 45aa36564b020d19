"""``cloudtap sandbox``: run the fake Apple on its own and list its scenario accounts."""

from __future__ import annotations

import json
import signal
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import typer

from cloudtap.config import get_settings

if TYPE_CHECKING:
    from cloudtap.sandbox.catalogue import CatalogueEntry

sandbox_app = typer.Typer(help="The built-in Apple sandbox (fake Apple behind a TLS proxy).")


@dataclass(frozen=True)
class AccountRow:
    apple_id: str
    password: str
    code: str | None
    scenario: str
    photo_count: int

    @classmethod
    def of(cls, account: CatalogueEntry) -> AccountRow:
        return cls(
            apple_id=account.apple_id,
            password=account.password,
            code=account.code,
            scenario=account.scenario,
            photo_count=account.photo_count,
        )


@sandbox_app.command("serve")
def serve(
    port: int = typer.Option(0, "--port", "-p", help="Proxy port (0: any free)."),
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Interface to listen on (0.0.0.0 for workers elsewhere)."
    ),
    captures: Path | None = typer.Option(
        None,
        "--captures",
        help="A folder of captures (capture_*.yml, listing_*.yml): each becomes an account "
        "(default: CLOUDTAP_SANDBOX_CAPTURES).",
    ),
) -> None:
    """Run the sandbox proxy until Ctrl-C; prints its address and the CA to trust."""
    from cloudtap.sandbox.runtime import start_sandbox

    settings = get_settings()
    if captures is not None:
        if not captures.is_dir():
            raise typer.BadParameter(f"--captures: {captures} is not a folder")
        settings = replace(settings, sandbox_captures_dir=captures.expanduser().resolve())
    sandbox = start_sandbox(settings, port=port, host=host)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    typer.echo(f"sandbox proxy: {sandbox.proxy_url}")
    typer.echo(f"CA certificate: {sandbox.ca_file}")
    typer.echo(
        f"clients: HTTPS_PROXY={sandbox.proxy_url} REQUESTS_CA_BUNDLE={sandbox.ca_file}",
    )
    typer.echo(
        f"cloudtap: CLOUDTAP_SANDBOX_PROXY_URL={sandbox.proxy_url} "
        f"CLOUDTAP_SANDBOX_CA_FILE={sandbox.ca_file}"
    )
    typer.echo(f"{len(sandbox.world.accounts)} accounts; `cloudtap sandbox accounts` lists them")
    try:
        while not stop.wait(0.5):
            pass
    finally:
        sandbox.close()
        typer.echo("sandbox stopped")


@sandbox_app.command("accounts")
def accounts(
    as_json: bool = typer.Option(False, "--json", help="Machine-readable list."),
) -> None:
    """List the sandbox's Apple IDs with their password, code and scenario."""
    from cloudtap.sandbox.catalogue import catalogue

    rows = [AccountRow.of(a) for a in catalogue(get_settings())]
    if as_json:
        typer.echo(json.dumps([row.__dict__ for row in rows], indent=2))
        return
    width = max(len(r.apple_id) for r in rows)
    scenario_width = max(len(r.scenario) for r in rows)
    typer.echo(
        f"{'APPLE ID':<{width}}  {'PASSWORD':<16}  {'CODE':<6}  "
        f"{'SCENARIO':<{scenario_width}}  PHOTOS"
    )
    for r in rows:
        typer.echo(
            f"{r.apple_id:<{width}}  {r.password:<16}  {r.code or '-':<6}  "
            f"{r.scenario:<{scenario_width}}  {r.photo_count}"
        )


@sandbox_app.command("accept-terms")
def accept_terms(
    apple_id: str = typer.Argument(..., help="The sandbox Apple ID, e.g. terms-503@sandbox..."),
    proxy: str | None = typer.Option(
        None, "--proxy", help="The sandbox proxy (default: CLOUDTAP_SANDBOX_PROXY_URL)."
    ),
) -> None:
    """Accept the pending iCloud terms of a sandbox account, as its owner would at
    icloud.com, in the running sandbox (``cloudtap serve`` or ``cloudtap sandbox serve``)."""
    import httpx

    from cloudtap.sandbox.hosts import CONTROL

    proxy_url = proxy or get_settings().sandbox_proxy_url
    if not proxy_url:
        typer.echo(
            "error: no sandbox proxy: pass --proxy or set CLOUDTAP_SANDBOX_PROXY_URL", err=True
        )
        raise typer.Exit(2)
    url = f"http://{CONTROL}/accounts/{quote(apple_id, safe='@')}/accept-terms"
    try:
        reply = httpx.post(url, proxy=proxy_url, timeout=10)
    except httpx.HTTPError as exc:
        typer.echo(
            f"error: the sandbox at {proxy_url} did not answer ({type(exc).__name__})", err=True
        )
        raise typer.Exit(1) from exc
    if reply.status_code != 200:
        typer.echo(f"error: {reply.json().get('message', reply.text)}", err=True)
        raise typer.Exit(1)
    typer.echo(f"terms accepted for {apple_id}")


@sandbox_app.command("approve")
def approve(
    apple_id: str = typer.Argument(..., help="The sandbox Apple ID whose device approves."),
) -> None:
    """Approve a waiting web-access consent (ADP) as the account's trusted device would."""
    import httpx

    from cloudtap.icloud.transport import ssl_context
    from cloudtap.jobs.sandbox_endpoint import discover
    from cloudtap.sandbox.hosts import CONTROL

    transport = discover(get_settings())
    if transport is None or transport.proxy_url is None:
        typer.echo("no running sandbox found (start `cloudtap serve` or set its proxy)", err=True)
        raise typer.Exit(2)
    with httpx.Client(proxy=transport.proxy_url, verify=ssl_context(transport)) as client:
        reply = client.post(f"https://{CONTROL}/devices/approve", json={"apple_id": apple_id})
    body = reply.json()
    if reply.status_code != 200:
        typer.echo(f"not approved: {body.get('reason', reply.status_code)}", err=True)
        raise typer.Exit(1)
    typer.echo(f"approved on {body['apple_id']}'s trusted device")
