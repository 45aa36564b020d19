"""The ``cloudtap`` command: serve, worker, keys, db (and the sandbox's own commands)."""

from __future__ import annotations

import logging
from dataclasses import replace
from enum import StrEnum

import typer

from cloudtap.config import SettingError, Settings, get_settings
from cloudtap.extras import MissingExtra, check_urls

app = typer.Typer(
    help="cloudtap: a self-hostable iCloud data API (ricloud v3 compatible).", no_args_is_help=True
)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(db_app, name="db")

from cloudtap.cli.pull import pull as pull_command  # noqa: E402

# ``cloudtap pull code <apple id> <code>`` rides on the same command (extra arguments).
app.command("pull", context_settings={"allow_extra_args": True})(pull_command)

from cloudtap.cli.capture import capture as capture_command  # noqa: E402

app.command("capture")(capture_command)

try:
    from cloudtap.cli.sandbox import sandbox_app

    app.add_typer(sandbox_app, name="sandbox")
except ImportError:  # the sandbox CLI is optional
    pass


def _print_version(asked: bool) -> None:
    if asked:
        from importlib.metadata import version

        typer.echo(f"cloudtap {version('cloudtap')}")
        raise typer.Exit()


@app.callback()
def main(
    _version: bool = typer.Option(
        False,
        "--version",
        callback=_print_version,
        is_eager=True,
        help="Print cloudtap's version and exit.",
    ),
) -> None:
    """cloudtap: a self-hostable iCloud data API (ricloud v3 compatible)."""


def checked_settings() -> Settings:
    """The settings, once their engines' clients are known to be installed: a missing
    extra or an unusable ``CLOUDTAP_*`` value is one line on stderr and exit status 2,
    not a traceback."""
    try:
        settings = get_settings()
        check_urls(settings.database_url, settings.queue_url)
    except (MissingExtra, SettingError) as refused:
        typer.echo(f"cloudtap: {refused}", err=True)
        raise typer.Exit(2) from None
    return settings


class KeyEnvironment(StrEnum):
    sandbox = "sandbox"
    live = "live"


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    no_worker: bool = typer.Option(False, "--no-worker", help="Do not run jobs in this process."),
    workers: int = typer.Option(2, help="Job threads when running jobs in-process."),
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Also log start-up internals and every request line."
    ),
) -> None:
    """Run the API and the deployment's sandbox (and, unless --no-worker, the job consumer)."""
    import uvicorn

    from cloudtap.api.server import HTTP_PROTOCOL, WILDCARD_HOSTS, bind_url
    from cloudtap.app import create_app
    from cloudtap.cli.runtime import (
        exit_cleanly_on_sigterm,
        prepare_database,
        start_sandbox,
        stop_sandbox,
    )
    from cloudtap.jobs.consumer import start_embedded_consumer, stop_consumer
    from cloudtap.ops.allocator import limit_arenas
    from cloudtap.ops.gc_tuning import tune_for_server
    from cloudtap.ops.logs import configure_logging, json_logs

    limit_arenas()  # before any thread starts (ops/allocator.py)
    configure_logging(verbose=verbose)
    settings = replace(checked_settings(), bind_url=bind_url(host, port))
    token = prepare_database(settings)
    exit_cleanly_on_sigterm()
    # The sandbox runs here even with --no-worker: workers find it through the data dir.
    sandbox = start_sandbox(settings)
    consumer = None if no_worker else start_embedded_consumer(settings, workers)
    try:
        api = create_app(settings)
        tune_for_server()  # startup is done: what it built lives as long as the process
        # The lines a newcomer needs come last, after everything start-up logs.
        typer.echo(f"cloudtap API on http://{host}:{port} (data dir {settings.data_dir})")
        typer.echo(f"Dashboard: http://{host}:{port}/dashboard")
        if not settings.public_url and host in WILDCARD_HOSTS:
            typer.echo(
                f"Signed download links name {settings.bind_url}: set CLOUDTAP_PUBLIC_URL to "
                "the address clients reach this server at."
            )
        if token is not None:
            typer.echo(f"New sandbox API key. Token (shown once): {token}")
        # Requests uvicorn's parser refuses get ricloud's JSON error too.
        uvicorn.run(
            api,
            host=host,
            port=port,
            log_level="info" if verbose else "warning",
            http=HTTP_PROTOCOL,
            # JSON logs: the API's own request line (with its id) replaces uvicorn's.
            log_config=None if json_logs() else uvicorn.config.LOGGING_CONFIG,
            access_log=verbose and not json_logs(),
        )
    finally:
        if consumer is not None:
            stop_consumer(consumer)
        stop_sandbox(sandbox)


@app.command()
def worker(workers: int = typer.Option(2, help="Job threads.")) -> None:
    """Run the job consumer on its own (e.g. with CLOUDTAP_QUEUE_URL=redis://...).

    Sandbox keys use the sandbox `cloudtap serve` publishes in the data dir (or
    CLOUDTAP_SANDBOX_PROXY_URL): a worker never starts one of its own.
    """
    from cloudtap.cli.runtime import describe_worker_sandbox
    from cloudtap.jobs.consumer import run_worker
    from cloudtap.ops.allocator import limit_arenas
    from cloudtap.ops.gc_tuning import tune_for_server
    from cloudtap.ops.logs import configure_logging
    from cloudtap.store.migrate import upgrade

    limit_arenas()  # before any thread starts (ops/allocator.py)
    configure_logging()
    settings = checked_settings()
    upgrade(settings.database_url)
    logging.getLogger("cloudtap.worker").info(describe_worker_sandbox(settings))
    tune_for_server()
    run_worker(settings, workers)


@keys_app.command("create")
def keys_create(
    organisation: str | None = typer.Option(None, help="Organisation name (created if new)."),
    env: KeyEnvironment = typer.Option(KeyEnvironment.sandbox, "--env", help="sandbox or live."),
) -> None:
    """Create an API key and print only its token."""
    from cloudtap.store.accounts import (
        create_organisation,
        first_organisation,
        issue_key,
        organisation_by_name,
    )
    from cloudtap.store.db import transaction
    from cloudtap.store.migrate import upgrade

    settings = checked_settings()
    upgrade(settings.database_url)
    with transaction(settings.database_url) as db:
        if organisation is None:
            org = first_organisation(db) or create_organisation(db, "default")
        else:
            org = organisation_by_name(db, organisation) or create_organisation(db, organisation)
        token = issue_key(db, org.id, "live" if env is KeyEnvironment.live else "sandbox").token
    typer.echo(token)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations."""
    from cloudtap.store.migrate import upgrade

    settings = checked_settings()
    upgrade(settings.database_url)
    typer.echo("database is up to date")


if __name__ == "__main__":
    app()
