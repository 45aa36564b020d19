"""How many photos an account's library holds, whichever kind of library it is.

Here rather than on the account model: counting a replayed library parses its capture,
which the plain account data must not depend on.
"""

from __future__ import annotations

from cloudtap.sandbox.accounts.model import GeneratedLibrary, ReplayLibrary, SandboxAccount
from cloudtap.sandbox.photos.replay import replay_asset_count


def photo_count(account: SandboxAccount) -> int:
    if isinstance(account.photos, GeneratedLibrary):
        return account.photos.count + account.photos.shared_count
    if isinstance(account.photos, ReplayLibrary):
        return replay_asset_count(account.photos.cassette)
    return 0
