"""What the sandbox holds and serves, for comparing with what a real client saw."""

from __future__ import annotations

from urllib.parse import urlsplit

from cloudtap.sandbox.accounts.model import GeneratedLibrary, SandboxAccount
from cloudtap.sandbox.photos import generator, media
from cloudtap.sandbox.photos.container import PRIMARY_ZONE, shared_zone_name
from cloudtap.sandbox.photos.content import resolve
from cloudtap.sandbox.photos.urls import decode_token
from cloudtap.sandbox.runtime import RunningSandbox


def served_bytes(sandbox: RunningSandbox, url: str) -> bytes:
    """The exact bytes the content host serves for a ``downloadURL``, resolved in-process."""
    token = urlsplit(url).path.split("/")[2]
    ref = decode_token(token)
    assert ref is not None
    blob = resolve(sandbox.world, ref)
    assert blob is not None
    return media.join(blob.pieces)


def visible_assets(sandbox: RunningSandbox, apple_id: str) -> list[generator.AssetSpec]:
    """The account's private-library assets a client's "All Photos" lists (not hidden)."""
    account = sandbox.world.account(apple_id)
    assert account is not None and isinstance(account.photos, GeneratedLibrary)
    library = account.photos
    return [
        generator.asset(library.seed, "PrimarySync", i)
        for i in range(library.count)
        if not generator.is_hidden(library.seed, i)
    ]


def world_filenames(account: SandboxAccount) -> tuple[list[str], list[str]]:
    """(own library, Shared Library) filenames "All Photos" shows, from the world."""
    library = account.photos
    assert isinstance(library, GeneratedLibrary)
    seed = library.shared_library_seed
    own = [generator.asset(library.seed, PRIMARY_ZONE, i) for i in range(library.count)]
    zone = shared_zone_name(seed)
    shared = [generator.asset(seed, zone, i) for i in range(library.shared_count)]
    return (
        [s.filename for s in own if not s.hidden],
        [s.filename for s in shared if not s.hidden],
    )
