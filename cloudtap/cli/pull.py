"""``cloudtap pull``: the thin command over :mod:`cloudtap.pull`."""

from __future__ import annotations

import logging
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any, cast

import typer

from cloudtap.pull.login import Prompter, TerminalPrompter

SANDBOX_DOMAIN = "@sandbox.cloudtap.dev"
SANDBOX_DEMO_ACCOUNT = f"rich{SANDBOX_DOMAIN}"


class _SandboxPrompter(TerminalPrompter):
    """The sandbox's password is public (docs/sandbox.md); codes are still asked."""

    def password(self, apple_id: str) -> str:
        from cloudtap.sandbox.accounts.scenarios import PASSWORD

        return PASSWORD


def _data_types(text: str | None) -> tuple[str, ...]:
    from cloudtap.pull.runner import ALL_TYPES

    if not text:
        return ALL_TYPES
    wanted = tuple(t.strip() for t in text.split(",") if t.strip())
    unknown = [t for t in wanted if t not in ALL_TYPES]
    if unknown:
        raise typer.BadParameter(f"unknown: {', '.join(unknown)} (known: {', '.join(ALL_TYPES)})")
    return wanted


def _folder_time_zone(text: str) -> str:
    from cloudtap.pull.exporters.photos import TIME_ZONES

    if text.lower() not in TIME_ZONES:
        raise typer.BadParameter(f"--folder-time-zone: one of {', '.join(TIME_ZONES)}")
    return text.lower()


def _layout(text: str) -> str:
    from cloudtap.pull.runner import LAYOUTS

    if text.lower() not in LAYOUTS:
        raise typer.BadParameter(f"--layout: one of {', '.join(LAYOUTS)}")
    return text.lower()


def _token(ctx: typer.Context, token: str | None, token_file: Path | None) -> str | None:
    """The API token: from --token-file, else CLOUDTAP_TOKEN or --token (with a warning:
    a command line is readable by every user of the machine)."""
    if token_file is not None:
        try:
            text = sys.stdin.read() if str(token_file) == "-" else token_file.read_text()
        except OSError as exc:
            raise typer.BadParameter(f"--token-file: {exc.strerror}") from None
        return text.strip() or None
    source = ctx.get_parameter_source("token")
    if token and source is not None and source.name == "COMMANDLINE":
        typer.echo(
            "cloudtap pull: warning: --token is visible to other users of this machine "
            "(ps); use CLOUDTAP_TOKEN or --token-file instead",
            err=True,
        )
    return token


def _private_server(root: Path) -> tuple[Path, Path | None]:
    """The embedded server's data dir in the folder's private state, owner-only, and
    the key sealing its Apple session, kept outside the folder (None: CLOUDTAP_MASTER_KEY)."""
    import os

    from cloudtap.pull.keys import folder_key
    from cloudtap.pull.state import private_databases, state_dir, tighten

    def say(text: str) -> None:
        typer.echo(f"cloudtap pull: {text}", err=True)

    try:
        state = state_dir(root)
    except ValueError as exc:
        say(str(exc))
        raise typer.Exit(1) from None
    server_dir = state / "server"
    key = None if os.environ.get("CLOUDTAP_MASTER_KEY") else folder_key(server_dir, say)
    private_databases(server_dir, ("cloudtap.db", "queue.db"))
    tighten(state)
    return server_dir, key


def pull(
    ctx: typer.Context,
    apple_id: str | None = typer.Argument(None, help="The Apple ID (not needed with --sandbox)."),
    to: Path | None = typer.Option(None, "--to", help="Directory that holds the copy."),
    data_types: str | None = typer.Option(
        None, "--data-types", help="Comma-separated data types (default: all nine)."
    ),
    since: str | None = typer.Option(None, help="First pull: only items after this date."),
    watch: str | None = typer.Option(None, help="Repeat at this interval (90s, 15m, 6h)."),
    server: str | None = typer.Option(
        None, help="A running cloudtap's URL (default: the embedded one, in-process)."
    ),
    token: str | None = typer.Option(
        None,
        envvar="CLOUDTAP_TOKEN",
        help="API key token for --server. Prefer CLOUDTAP_TOKEN or --token-file: a "
        "command line is visible to other users (ps).",
    ),
    token_file: Path | None = typer.Option(
        None,
        "--token-file",
        help="Read the API key token for --server from this file ('-': stdin).",
    ),
    password_env: str | None = typer.Option(
        None, "--password-env", help="Read the Apple password from this environment variable."
    ),
    sandbox: bool = typer.Option(False, help="Use the built-in sandbox (no Apple ID needed)."),
    folder_structure: str = typer.Option(
        "{:%Y/%m/%d}", help="Photo folders, as icloudpd's (or 'none')."
    ),
    folder_time_zone: str = typer.Option(
        "local",
        "--folder-time-zone",
        help="Photo folders' days in the machine's local zone (as icloudpd) or 'utc'.",
    ),
    apply_deletions: bool = typer.Option(
        False, "--apply-deletions", help="Remove what was deleted on Apple's side."
    ),
    full: bool = typer.Option(False, help="List everything again (also finds deletions)."),
    verify: bool = typer.Option(False, help="Check every file's MD5, not only its size."),
    album: list[str] = typer.Option(
        [], "--album", help="Photos only from this album (repeatable), as icloudpd's."
    ),
    list_albums: bool = typer.Option(
        False, "--list-albums", help="Print the account's album names, one a line, and stop."
    ),
    layout: str = typer.Option(
        "dates",
        "--layout",
        help="'dates' (the photos' date tree) or 'albums' (also albums/<Folder>/<Album>/, "
        "links to the date tree's files).",
    ),
    notify_command: str | None = typer.Option(
        None,
        "--notify-command",
        help="Run this when a login needs you, the trust nears its end or a pull fails "
        "(CLOUDTAP_EVENT, CLOUDTAP_APPLE_ID, CLOUDTAP_MESSAGE in its environment).",
    ),
    notify_url: str | None = typer.Option(
        None, "--notify-url", help="POST the same notifications as JSON to this URL."
    ),
    code_file: Path | None = typer.Option(
        None, "--code-file", help="Without a terminal: also take the 2FA code from this file."
    ),
    code_wait: float = typer.Option(
        900.0, "--code-wait", help="Without a terminal: seconds to wait for a 2FA code."
    ),
    notify_email: str | None = typer.Option(
        None,
        "--notify-email",
        help="Also e-mail the notifications to this address (SMTP server: "
        "CLOUDTAP_SMTP_URL, e.g. smtps://user:password@smtp.example.com).",
    ),
    notify_each_pull: bool = typer.Option(
        False, "--notify-each-pull", help="Also notify after each pull, with its counts."
    ),
    notify_days: float = typer.Option(
        7.0, "--notify-days", help="Notify this many days before Apple's trust ends."
    ),
) -> None:
    """Copy a whole iCloud account into DIR in open formats, and keep it in sync.

    ``cloudtap pull code APPLE_ID CODE`` hands a 2FA code to a pull of that Apple ID that
    has no terminal (another shell, another process)."""
    if apple_id == "code":
        _leave_code(ctx.args)
        return
    if ctx.args:
        raise typer.BadParameter(f"unexpected arguments: {' '.join(ctx.args)}")
    if to is None:
        raise typer.BadParameter("--to DIR is required")
    # Imported here: every other command would otherwise load the export libraries.
    import httpx

    from cloudtap.pull.client import ApiError, CloudtapClient
    from cloudtap.pull.login import LoginFailed, PasswordSources
    from cloudtap.pull.progress import progress_for
    from cloudtap.pull.pulling import list_albums as list_albums_once
    from cloudtap.pull.pulling import pull as pull_once
    from cloudtap.pull.runner import STATE_DIR, PullOptions
    from cloudtap.pull.schedule import parse_interval
    from cloudtap.pull.state import tighten

    if apple_id is None:
        if not sandbox:
            raise typer.BadParameter("give an Apple ID, or --sandbox to try the sandbox")
        apple_id = SANDBOX_DEMO_ACCOUNT
    # --sandbox answers the (public) sandbox password itself; a sandbox Apple ID alone
    # still goes to the sandbox, but asks like a real one would.
    known_password = sandbox and password_env is None
    sandbox = sandbox or apple_id.endswith(SANDBOX_DOMAIN)
    token = _token(ctx, token, token_file)
    if server and not token:
        raise typer.BadParameter("--server needs CLOUDTAP_TOKEN, --token-file or --token")
    interval = parse_interval(watch) if watch else None
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    root = to.expanduser().resolve()
    options = PullOptions(
        root=root,
        data_types=_data_types(data_types),
        since=since,
        folder_structure=folder_structure,
        folder_time_zone=_folder_time_zone(folder_time_zone),
        apply_deletions=apply_deletions,
        full=full,
        verify=verify,
        albums=tuple(dict.fromkeys(album)),
        layout=_layout(layout),
    )
    from cloudtap.pull.code_drop import WaitingPrompter
    from cloudtap.pull.horizon import TrustWatch
    from cloudtap.pull.notify import PULL_DONE, PULL_FAILED, TRUST_EXPIRING, Notifier

    notifier = Notifier(notify_command, notify_url, notify_email)
    trust = TrustWatch(notify_days)
    prompter: Prompter = _SandboxPrompter() if known_password else TerminalPrompter()
    if not known_password and not sys.stdin.isatty():
        # No terminal (a NAS, a container, cron): notify, and wait for the code.
        def say(text: str) -> None:
            typer.echo(f"cloudtap pull: {text}", err=True)

        prompter = WaitingPrompter(apple_id, notifier, code_wait, code_file, say)
    # The keyring is asked for every Apple ID, sandbox ones too (so its path is the one
    # tested); only --sandbox's demo, whose password is public, skips it.
    sources = PasswordSources(env_name=password_env, use_keyring=not known_password)
    with ExitStack() as stack:
        if server:
            url, api_token = server, cast(str, token)
        else:
            from cloudtap.cli.embedded import embedded_api

            server_dir, key_file = _private_server(root)
            stack.callback(tighten, root / STATE_DIR)  # once the server has stopped
            api = stack.enter_context(
                embedded_api(server_dir, "sandbox" if sandbox else "live", key_file),
            )
            url, api_token = api.url, api.token
        client = CloudtapClient(url, api_token, local_results=not server)
        stack.callback(client.close)
        if list_albums:
            progress = progress_for(sys.stderr)
            try:
                albums = list_albums_once(client, apple_id, options, sources, prompter, progress)
            except (LoginFailed, ApiError, ValueError) as exc:
                progress.close()
                typer.echo(f"cloudtap pull: {exc}", err=True)
                raise typer.Exit(1) from None
            progress.close()
            for listed in albums:
                if listed.get("kind") != "shared_library":
                    typer.echo(str(listed.get("name")))
            return
        while True:
            progress = progress_for(sys.stderr)
            try:
                summary = pull_once(client, apple_id, options, sources, prompter, progress)
            except (LoginFailed, ApiError, ValueError, httpx.HTTPError) as exc:
                progress.close()
                typer.echo(f"cloudtap pull: {exc or type(exc).__name__}", err=True)
                if isinstance(exc, LoginFailed):
                    _explain_login_failure(exc.error, exc.info)
                what = exc.error if isinstance(exc, LoginFailed) else type(exc).__name__
                notifier.send(PULL_FAILED, apple_id, f"the pull of {apple_id} failed: {what}")
                if interval is None:
                    raise typer.Exit(1) from None
                time.sleep(interval)  # --watch keeps its schedule: the next run tries again
                continue
            progress.close()
            tighten(root / STATE_DIR)
            told = trust.message(_session_of(client, root))
            if told:
                typer.echo(f"cloudtap pull: {told}", err=True)
                notifier.send(TRUST_EXPIRING, apple_id, told)
            failed = {k: v["error"] for k, v in summary.data_types.items() if v.get("error")}
            refused = (
                f"; refused {len(summary.refused)} unsafe paths (named above)"
                if summary.refused
                else ""
            )
            typer.echo(
                f"pulled into {root}: {summary.files_fetched} files fetched "
                f"({summary.bytes_fetched} bytes)"
                + (f"; failed: {failed}" if failed else "")
                + refused
            )
            for data_type, error in failed.items():
                _explain_failed_type(data_type, error)
            if failed:
                what = ", ".join(sorted(failed))
                notifier.send(PULL_FAILED, apple_id, f"the pull of {apple_id} failed for {what}")
            elif notify_each_pull:
                counts = f"{summary.files_fetched} files ({summary.bytes_fetched} bytes)"
                notifier.send(PULL_DONE, apple_id, f"pulled {apple_id}: {counts} fetched")
            if interval is None:
                if failed:
                    raise typer.Exit(2)
                return
            time.sleep(interval)


def _session_of(client: Any, root: Path) -> dict[str, Any]:
    """The session the last run used (its id is in the manifest), or {} if unknown."""
    from cloudtap.pull.manifest import Manifest

    session_id = Manifest.load(root).data.get("account", {}).get("session")
    try:
        return dict(client.session(session_id)) if session_id else {}
    except Exception:  # telling about the trust must never fail a pull
        return {}


def _leave_code(args: list[str]) -> None:
    """``cloudtap pull code APPLE_ID CODE``: leave the code for that Apple ID's pull."""
    from cloudtap.pull.code_drop import put_code

    if len(args) != 2 or not args[1].strip():
        raise typer.BadParameter("usage: cloudtap pull code APPLE_ID CODE")
    put_code(args[0], args[1])
    typer.echo(f"cloudtap pull: code left for the pull of {args[0]}", err=True)


def _explain_failed_type(data_type: str, error: str) -> None:
    """Why a data type was not copied, in plain words (nothing of it was published as
    empty: its earlier copy, if any, is kept)."""
    from cloudtap.dashboard.explain import explain

    words = explain(error)
    if words is not None:
        typer.echo(f"  {data_type}: {words.summary} {words.next_step}", err=True)


def _explain_login_failure(error: str, info: dict[str, Any] | None) -> None:
    """The session error in plain words, and when to try again if Apple said."""
    from cloudtap.dashboard.explain import explain

    words = explain(error, info)
    if words is not None:
        typer.echo(f"  {words.summary}\n  {words.next_step}", err=True)
    retry_at = (info or {}).get("retry_at")
    if retry_at:
        typer.echo(f"  Do not retry before {retry_at}.", err=True)
