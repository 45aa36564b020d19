"""The shared albums (shared streams) of a sandbox account: its world, not its wire.

Every account with a generated photo library owns one shared album; ``rich`` libraries
also subscribe to one a friend owns, which both of them contributed to and commented
on (two contributors, comments from each). A shared album's photos are copies, not
library records (Apple keeps them apart, under their own ids): each is generated from
``(seed, album guid, position)`` as library assets are from ``(seed, zone, index)``,
so its bytes are a pure function too (``urls`` source ``s``).

The wire (``sandbox.services.sharedstreams``) and the ground-truth tests read this.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from cloudtap.sandbox.accounts.model import GeneratedLibrary, SandboxAccount
from cloudtap.sandbox.photos import generator
from cloudtap.sandbox.photos.generator import AssetSpec
from cloudtap.sandbox.world import SandboxWorld

DAY_MS = 24 * 3600 * 1000
# A content token's index for photo ``j`` of the account's album ``a``: a * ALBUM_STRIDE + j.
ALBUM_STRIDE = 100_000


@dataclass(frozen=True)
class Person:
    dsid: str
    first_name: str
    last_name: str

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class SharedComment:
    guid: str
    author: Person
    text: str
    created_ms: int


@dataclass(frozen=True)
class SharedPhoto:
    spec: AssetSpec  # names, dates and resources, generated as a library asset's are
    contributor: Person
    added_ms: int  # when it was added to the album (the album's order)
    comments: tuple[SharedComment, ...] = ()


@dataclass(frozen=True)
class SharedStream:
    ordinal: int  # position in the account's list; also in its content tokens
    guid: str
    name: str
    owner: Person
    sharing_type: Literal["owned", "subscribed"]
    created_ms: int
    photos: tuple[SharedPhoto, ...]
    allow_contributions: bool = False
    public: bool = False

    @property
    def ctag(self) -> str:
        """Changes whenever the album's content does (assumed: Apple's ``albumctag``)."""
        return self.ctag_of(self.photos)

    def ctag_of(self, photos: tuple[SharedPhoto, ...]) -> str:
        parts = [(p.spec.asset_name, p.added_ms, len(p.comments)) for p in photos]
        return "FT;" + uuid.uuid5(uuid.NAMESPACE_OID, repr((self.guid, parts))).hex[:12]


def holder(account: SandboxAccount) -> Person:
    return Person(account.dsid, account.first_name, account.last_name)


def friend_of(account: SandboxAccount) -> Person:
    """Someone who shares an album with ``rich`` accounts (not a sandbox account)."""
    dsid = str(10**10 + int(uuid.uuid5(uuid.NAMESPACE_OID, account.dsid).int % 10**9))
    return Person(dsid, "Dana", "Weber")


def _guid(account: SandboxAccount, label: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"cloudtap-stream:{account.dsid}:{label}")).upper()


def _photos(
    seed: int,
    guid: str,
    ordinal: int,
    created_ms: int,
    contributors: list[Person],
) -> tuple[SharedPhoto, ...]:
    photos = []
    for j, contributor in enumerate(contributors):
        spec = generator.asset(seed, guid, j)
        photos.append(SharedPhoto(spec, contributor, created_ms + (j + 1) * 3_600_000))
    return tuple(photos)


@lru_cache(maxsize=256)
def shared_streams(account: SandboxAccount) -> tuple[SharedStream, ...]:
    """The account's shared albums, in the order Apple lists them (assumed: by creation)."""
    library = account.photos
    if not account.photos_enabled or not isinstance(library, GeneratedLibrary):
        return ()
    if library.count == 0:
        return ()
    me = holder(account)
    created = generator.NEWEST_MS - 30 * DAY_MS
    family_guid = _guid(account, "family")
    streams = [
        SharedStream(
            ordinal=0,
            guid=family_guid,
            name="Shared with Family",
            owner=me,
            sharing_type="owned",
            created_ms=created,
            photos=_photos(library.seed, family_guid, 0, created, [me, me, me]),
        )
    ]
    if library.album_plan == "rich":
        dana = friend_of(account)
        ski_guid = _guid(account, "ski")
        ski_created = generator.NEWEST_MS - 20 * DAY_MS
        photos = list(_photos(library.seed, ski_guid, 1, ski_created, [dana, me, dana, me, dana]))
        # Comments from both contributors: two on the first photo, one on the second.
        remarks = [
            (0, me, "What a view!"),
            (0, dana, "Told you the early lift was worth it ⛷"),
            (1, dana, "Is that the same slope as last year?"),
        ]
        for n, (position, author, text) in enumerate(remarks):
            photo = photos[position]
            comment = SharedComment(
                guid=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{ski_guid}:comment:{n}")).upper(),
                author=author,
                text=text,
                created_ms=photo.added_ms + (n + 1) * 600_000,
            )
            photos[position] = SharedPhoto(
                photo.spec, photo.contributor, photo.added_ms, (*photo.comments, comment)
            )
        streams.append(
            SharedStream(
                ordinal=1,
                guid=ski_guid,
                name="Ski trip ❄️",
                owner=dana,
                sharing_type="subscribed",
                created_ms=ski_created,
                photos=tuple(photos),
                allow_contributions=True,
            )
        )
    return tuple(streams)


def listed_photos(
    world: SandboxWorld, account: SandboxAccount, stream: SharedStream
) -> list[tuple[int, SharedPhoto]]:
    """The album's photos still in it (none removed by ``world.remove_shared_photo``),
    each with its generated position (its content token's, which removals do not move)."""
    removed = {
        p for d, g, p in world.shared_photo_removals if (d, g) == (account.dsid, stream.guid)
    }
    added = [
        (p, text)
        for d, g, p, text in world.shared_comments_added
        if (d, g) == (account.dsid, stream.guid)
    ]
    return [
        (j, _with_comments(account, stream.guid, j, photo, [t for p, t in added if p == j]))
        for j, photo in enumerate(stream.photos)
        if j not in removed
    ]


def _with_comments(
    account: SandboxAccount, guid: str, position: int, photo: SharedPhoto, texts: list[str]
) -> SharedPhoto:
    """The photo with the holder's comments added by ``world.comment_shared_photo``."""
    if not texts:
        return photo
    later = photo.comments[-1].created_ms if photo.comments else photo.added_ms
    extra = tuple(
        SharedComment(
            guid=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{guid}:added:{position}:{n}")).upper(),
            author=holder(account),
            text=text,
            created_ms=later + (n + 1) * 60_000,
        )
        for n, text in enumerate(texts)
    )
    return SharedPhoto(photo.spec, photo.contributor, photo.added_ms, photo.comments + extra)


def listed_ctag(world: SandboxWorld, account: SandboxAccount, stream: SharedStream) -> str:
    return stream.ctag_of(tuple(photo for _, photo in listed_photos(world, account, stream)))


def stream_photo(account: SandboxAccount, token_index: int) -> SharedPhoto | None:
    """The photo a content token's index names, if the account still shares it."""
    ordinal, position = divmod(token_index, ALBUM_STRIDE)
    streams = shared_streams(account)
    if not 0 <= ordinal < len(streams) or not 0 <= position < len(streams[ordinal].photos):
        return None
    return streams[ordinal].photos[position]
