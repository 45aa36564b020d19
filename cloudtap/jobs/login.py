"""The session job: one Apple login attempt per ``POST /sessions``.

A login waiting for a 2FA code or 2SV choice is kept sealed on the source for a bounded
time and handed back as ``saved_state`` to the next attempt, so the code completes the
login that sent it. An active session's state is sealed on the session and, as the
trusted state, on the source, so a later login can skip 2FA.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session as DbSession

from cloudtap.config import Settings, get_settings
from cloudtap.crypto.sealing import Sealed, SealError
from cloudtap.icloud.auth.pcs import WaitNotice, login_waiting
from cloudtap.icloud.connector import Credentials, LoginOutcome
from cloudtap.icloud.errors import ICloudError
from cloudtap.icloud.retry import retry_after_of
from cloudtap.jobs.connectors import connector_for
from cloudtap.jobs.locks import lock_provider_for
from cloudtap.jobs.password_change import (
    REASON as PASSWORD_CHANGED,
)
from cloudtap.jobs.password_change import (
    REASONS as REFUSAL_REASONS,
)
from cloudtap.jobs.password_change import (
    expire_with_password,
    sessions_refused_with_password,
)
from cloudtap.jobs.session_horizon import set_horizon
from cloudtap.jobs.signin_cooldown import SigninCooldown, retry_info
from cloudtap.jobs.vault import (
    CREDENTIALS_TTL_SECONDS,
    CredentialsExpired,
    open_credentials,
    open_state,
    seal_state,
    session_context,
    source_login_context,
    source_trust_context,
)
from cloudtap.publish.events import emit
from cloudtap.store.db import transaction
from cloudtap.store.ids import utcnow
from cloudtap.store.models import Session, Source
from cloudtap.wire.sessions import serialize_session

log = logging.getLogger(__name__)

# How long a login waiting for a code or choice stays usable (Apple's codes live ~10 min).
LOGIN_IN_PROGRESS_TTL = timedelta(minutes=10)
# The longest one login attempt may run: past it the attempt fails as Apple being
# unavailable, so a session still pending this long after its credentials expired
# (``CREDENTIALS_TTL_SECONDS``) lost its worker and can never complete.
LOGIN_RUN_SECONDS = 300
# Errors after which the login in progress is useless and is dropped.
_TERMINAL_ERRORS = {
    "invalid-credentials",
    "account-locked",
    "adp-enabled",
    "mfa-unsupported",
    "login-expired",
    "consent-timeout",
}
# The event action announcing what a running login waits for.
_WAIT_ACTIONS = {"device-consent": "consent_required"}


def _load(db: DbSession, session_id: str) -> tuple[Session, Source] | None:
    session = db.scalars(select(Session).where(Session.id == session_id)).first()
    if session is None:
        return None
    source = db.scalars(select(Source).where(Source.id == session.source_id)).first()
    return (session, source) if source is not None else None


def _saved_state(settings: Settings, source: Source) -> dict[str, Any] | None:
    """The login in progress if still fresh, else the last trusted session, else None."""
    try:
        if source.login_sealed and source.login_expires and source.login_expires > utcnow():
            state = open_state(
                settings, source_login_context(source.id), source.login_key_id, source.login_sealed
            )
            if state is not None:
                return dict(state)
        trusted = open_state(
            settings, source_trust_context(source.id), source.trust_key_id, source.trust_sealed
        )
        return dict(trusted) if trusted is not None else None
    except SealError:
        log.warning("sealed login state of source %s is unreadable; starting afresh", source.id)
        return None


async def _attempt(
    environment: str,
    source_type: str,
    credentials: Credentials,
    saved: dict[str, Any] | None,
    notice: WaitNotice | None = None,
) -> LoginOutcome:
    connector = connector_for(environment, source_type)
    login_waiting.set(notice)
    try:
        return await asyncio.wait_for(connector.login(credentials, saved), LOGIN_RUN_SECONDS)
    except TimeoutError:
        return LoginOutcome(state="failed", error="apple-unavailable")


def _outcome_of(
    environment: str,
    source_type: str,
    credentials: Credentials,
    saved: dict[str, Any] | None,
    notice: WaitNotice | None = None,
) -> LoginOutcome:
    try:
        return asyncio.run(_attempt(environment, source_type, credentials, saved, notice))
    except ICloudError as exc:
        return LoginOutcome(state="failed", error=exc.code, error_info=exc.info)
    except Exception as exc:
        # Never log the exception text: a client library might echo request data into it.
        log.error("login job failed unexpectedly: %s", type(exc).__name__)
        return LoginOutcome(state="failed", error="internal-error")


def _reported(error: str, info: dict[str, Any] | None) -> tuple[str, dict[str, Any] | None]:
    """The error as ricloud clients read it. ricloud-py asks for the code again only on
    ``code-required``, so a wrong code is reported as that, its reason kept in
    ``error_info``."""
    if error != "code-invalid":
        return error, info
    return "code-required", {**(info or {}), "reason": "code-invalid"}


def _fail(db: DbSession, session: Session, error: str, info: dict[str, Any] | None = None) -> None:
    error, info = _reported(error, info)
    session.state, session.error, session.error_info = "failed", error, info
    _emit_session(db, session, "failed")


def _emit_session(db: DbSession, session: Session, action: str) -> None:
    emit(
        db,
        session.organisation_id,
        session.key_id,
        "session",
        action,
        serialize_session(db, session),
    )


def _apply(
    settings: Settings, db: DbSession, session: Session, source: Source, outcome: LoginOutcome
) -> None:
    if outcome.account:
        source.account = {**(source.account or {}), **outcome.account}
    if outcome.state == "active":
        state = outcome.session_state or {}
        sealed = seal_state(settings, session_context(session.id), state)
        session.state_sealed, session.state_key_id = sealed.blob, sealed.key_id
        trusted = seal_state(settings, source_trust_context(source.id), state)
        source.trust_sealed, source.trust_key_id = trusted.blob, trusted.key_id
        source.login_sealed = source.login_key_id = source.login_expires = None
        source.state = "active"
        session.state, session.error, session.error_info = "active", None, None
        set_horizon(session, outcome.trust_expires)
        _emit_session(db, session, "active")
        return
    error = outcome.error or "login-failed"
    if outcome.session_state is not None and error not in _TERMINAL_ERRORS:
        pending = seal_state(settings, source_login_context(source.id), outcome.session_state)
        source.login_sealed, source.login_key_id = pending.blob, pending.key_id
        source.login_expires = utcnow() + LOGIN_IN_PROGRESS_TTL
    elif error in _TERMINAL_ERRORS:
        source.login_sealed = source.login_key_id = source.login_expires = None
    if error == "account-locked":
        source.state = "locked"
    _fail(db, session, error, outcome.error_info)


def run_login(session_id: str, key_id: str, blob: bytes) -> None:
    settings = get_settings()
    log.info("login job for %s", session_id)  # ids only: which worker ran what
    with transaction(settings.database_url) as db:
        loaded = _load(db, session_id)
        if loaded is None or loaded[0].state != "pending":
            return  # deleted meanwhile, or a duplicate delivery of this job
        session, source = loaded
        try:
            credentials = open_credentials(settings, session_id, Sealed(key_id, blob))
        except (CredentialsExpired, SealError):
            _fail(db, session, "login-expired")
            return
        cooldown = _cooldown(settings)
        waiting = cooldown.remaining(source.identifier)
        if waiting > 0:
            # Apple refused this account's sign-in lately: asking again before the
            # cool-down ends would only make its lockout longer.
            _fail(db, session, "rate-limited", retry_info(waiting))
            return
        environment, saved = session.environment, _saved_state(settings, source)
        source_type, apple_id = source.type, source.identifier
        source_id, source_was_active = source.id, source.state == "active"
    # Apple is called outside any transaction: a slow login must not hold the database.
    notice = _waiting_notice(settings, session_id)
    outcome = _outcome_of(environment, source_type, credentials, saved, notice)
    del credentials
    if outcome.error == "rate-limited":
        wait = cooldown.refused(apple_id, retry_after_of(outcome.error_info))
        outcome = replace(outcome, error_info=retry_info(wait))
    ended: list[str] = []
    reason = REFUSAL_REASONS.get(outcome.error or "")
    if reason is not None and source_was_active:
        ended = sessions_refused_with_password(settings, source_id, session_id)
        if ended and reason == PASSWORD_CHANGED:
            outcome = replace(outcome, error_info={"reason": PASSWORD_CHANGED})
    with transaction(settings.database_url) as db:
        loaded = _load(db, session_id)
        if loaded is None or loaded[0].state != "pending":
            return
        expire_with_password(db, ended, reason or PASSWORD_CHANGED)
        _apply(settings, db, loaded[0], loaded[1], outcome)


def _cooldown(settings: Settings) -> SigninCooldown:
    return SigninCooldown(lock_provider_for(settings).store, settings.signin_cooldown_seconds)


def _waiting_notice(settings: Settings, session_id: str) -> WaitNotice:
    """Show, while the login still runs, what it waits for: the session stays ``pending``
    with no ``error`` and ``error_info.waiting_for`` says what the account holder must do;
    ``session.consent_required`` announces it."""

    def notice(reason: str, info: dict[str, Any]) -> None:
        with transaction(settings.database_url) as db:
            loaded = _load(db, session_id)
            if loaded is None or loaded[0].state != "pending":
                return
            session = loaded[0]
            session.error_info = {"waiting_for": reason, **info}
            _emit_session(db, session, _WAIT_ACTIONS.get(reason, "waiting"))

    return notice


def fail_lapsed_logins(settings: Settings, limit: int = 200) -> int:
    """Fail the sessions whose login can no longer run (its worker died with the only copy
    of the sealed password, now expired anyway) with ``login-expired``, as the job itself
    would; the conditional update keeps concurrent sweepers from announcing one twice."""
    lapsed = utcnow() - timedelta(seconds=CREDENTIALS_TTL_SECONDS + LOGIN_RUN_SECONDS)
    failed = 0
    with transaction(settings.database_url) as db:
        candidates = db.scalars(
            select(Session.id)
            .where(Session.state == "pending", Session.date_created < lapsed)
            .limit(limit)
        ).all()
    for session_id in candidates:
        with transaction(settings.database_url) as db:
            claimed = db.execute(
                update(Session)
                .where(Session.id == session_id, Session.state == "pending")
                .values(state="failed", error="login-expired")
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                continue
            session = db.scalars(select(Session).where(Session.id == session_id)).one()
            log.warning("session %s failed: its login job was lost", session_id)
            _emit_session(db, session, "failed")
            failed += 1
    return failed


def run_logout(session_id: str, key_id: str, blob: bytes) -> None:
    """Best effort: tell Apple the web session is over (its sealed state is already gone)."""
    settings = get_settings()
    try:
        state = open_state(settings, session_context(session_id), key_id, blob)
        environment = "sandbox"
        with transaction(settings.database_url) as db:
            row = db.scalars(select(Session).where(Session.id == session_id)).first()
            if row is not None:
                environment = row.environment
        if state is not None:
            source_type = str(state.get("mock") or "icloud.account")
            asyncio.run(connector_for(environment, source_type).logout(dict(state)))
    except Exception as exc:
        log.info("logout of session %s did not complete: %s", session_id, type(exc).__name__)
