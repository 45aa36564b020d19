"""Organisations, API keys, users and sources: the tenancy half of the store."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from cloudtap.crypto.tokens import Environment, hash_token, new_token
from cloudtap.store.dashboard_sessions import end_sessions_of_key
from cloudtap.store.environments import environment_scope
from cloudtap.store.ids import new_id
from cloudtap.store.models import Key, Organisation, Permissions, Source, User


@dataclass(frozen=True)
class IssuedKey:
    key: Key
    # The only time the token exists in clear: hand it to the caller, never store it.
    token: str


def token_hint(token: str) -> str:
    """``ct_live_`` + the last 4 characters; the random part may itself contain ``_``."""
    environment_prefix = "_".join(token.split("_", 2)[:2]) + "_"
    return environment_prefix + token[-4:]


def _slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "organisation"


def create_organisation(db: DbSession, name: str) -> Organisation:
    base = _slugify(name)
    slug = base
    while db.scalar(select(Organisation.id).where(Organisation.slug == slug)) is not None:
        slug = f"{base}-{new_id()[:8]}"
    organisation = Organisation(id=new_id(), name=name, slug=slug, config={})
    db.add(organisation)
    db.flush()
    db.add(Permissions(organisation_id=organisation.id, identifier="default", scopes={}))
    db.flush()
    return organisation


def organisation_by_name(db: DbSession, name: str) -> Organisation | None:
    return db.scalars(
        select(Organisation).where(Organisation.name == name).order_by(Organisation.pk)
    ).first()


def first_organisation(db: DbSession) -> Organisation | None:
    return db.scalars(select(Organisation).order_by(Organisation.pk)).first()


def issue_key(
    db: DbSession, organisation_id: str, environment: Environment, **fields: object
) -> IssuedKey:
    token = new_token(environment)
    key = Key(
        id=new_id(),
        organisation_id=organisation_id,
        environment=environment,
        token_hash=hash_token(token),
        token_hint=token_hint(token),
        config={},
        **fields,
    )
    db.add(key)
    db.flush()
    return IssuedKey(key, token)


def rotate_key(db: DbSession, key: Key) -> str:
    environment: Environment = "live" if key.environment == "live" else "sandbox"
    token = new_token(environment)
    key.token_hash = hash_token(token)
    key.token_hint = token_hint(token)
    # Browsers signed in with the old token are signed out (the rotating one signs in anew).
    end_sessions_of_key(db, key.id)
    db.flush()
    return token


def set_key_state(db: DbSession, key: Key, state: str) -> None:
    """Activate or deactivate a key. Deactivating ends its dashboard sessions for good,
    so reactivating the key later revives none of them."""
    if state != "active":
        end_sessions_of_key(db, key.id)
    key.state = state
    db.flush()


def key_for_token(db: DbSession, token: str) -> Key | None:
    """The active key whose token hashes to ``token``'s hash (constant-time by lookup)."""
    key = db.scalars(select(Key).where(Key.token_hash == hash_token(token))).first()
    if key is None or key.state != "active":
        return None
    return key


def get_or_create_user(
    db: DbSession, organisation_id: str, identifier: str, key_id: str | None
) -> tuple[User, bool]:
    """ricloud's samples POST the same identifier every run: return the existing user."""
    stmt = select(User).where(
        User.organisation_id == organisation_id, User.identifier == identifier
    )
    existing = db.scalars(stmt).first()
    if existing is not None:
        return existing, False
    user = User(id=new_id(), organisation_id=organisation_id, identifier=identifier, key_id=key_id)
    try:
        with db.begin_nested():
            db.add(user)
            db.flush()
    except IntegrityError:  # a concurrent request created it first
        found = db.scalars(stmt).first()
        assert found is not None
        return found, False
    return user, True


def identifier_taken(db: DbSession, organisation_id: str, identifier: str) -> bool:
    """Whether a user of the organisation (of either environment) has this identifier."""
    found = db.scalar(
        select(User.id).where(
            User.organisation_id == organisation_id, User.identifier == identifier
        )
    )
    return found is not None


def find_source(db: DbSession, user_id: str, type_: str, identifier: str) -> Source | None:
    return db.scalars(
        select(Source).where(
            Source.user_id == user_id, Source.type == type_, Source.identifier == identifier
        )
    ).first()


def get_or_create_source(
    db: DbSession,
    organisation_id: str,
    user_id: str,
    type_: str,
    identifier: str,
    key_id: str | None = None,
) -> Source:
    existing = find_source(db, user_id, type_, identifier)
    if existing is not None:
        return existing
    source = Source(
        id=new_id(),
        organisation_id=organisation_id,
        user_id=user_id,
        key_id=key_id,
        type=type_,
        identifier=identifier,
        account={},
    )
    try:
        with db.begin_nested():
            db.add(source)
            db.flush()
    except IntegrityError:  # concurrent first sessions of one Apple ID: one insert wins
        found = find_source(db, user_id, type_, identifier)
        assert found is not None
        return found
    return source


def lock_organisation(db: DbSession, organisation_id: str) -> None:
    """Holds the organisation's write lock until this unit of work ends, so that what it
    counts stays true until it commits: PostgreSQL locks the organisation's row, SQLite
    (one writer at a time) the database. Two units of work that take it run one after the
    other; what the second reads afterwards includes what the first committed."""
    db.execute(
        update(Organisation)
        .where(Organisation.id == organisation_id)
        .values(slug=Organisation.slug)
        .execution_options(synchronize_session=False)
    )


def source_counts(
    db: DbSession,
    organisation_id: str,
    environment: str,
    *,
    key_id: str | None = None,
    user_id: str | None = None,
) -> dict[str, int]:
    """How many sources of each type the organisation has in ``environment``; only those
    created by ``key_id`` / belonging to ``user_id`` when given."""
    query = select(Source.type, func.count()).where(
        Source.organisation_id == organisation_id,
        *environment_scope(Source, organisation_id, environment),
    )
    if key_id is not None:
        query = query.where(Source.key_id == key_id)
    if user_id is not None:
        query = query.where(Source.user_id == user_id)
    rows = db.execute(query.group_by(Source.type))
    return {str(type_): int(count) for type_, count in rows}
