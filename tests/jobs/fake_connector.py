"""A test double of our own edge, the :class:`Connector` protocol.

It follows the seed's login flows (password, 2FA code, 2SV choice) for a few fixed
accounts and serves deterministic info, items and file bytes, so job and API tests can
run the whole poll → tasks → results flow without Apple or the sandbox.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from cloudtap.icloud.connector import Credentials, FileInfo, Filters, LoginOutcome
from cloudtap.icloud.errors import (
    AccountLocked,
    CodeInvalid,
    InvalidCredentials,
    NotFound,
    SessionExpired,
)

PASSWORD = "correct horse"
CODE = "123456"
FILE_ID = "icpl://AbCdEf"
FILE_SIZE = 300_000  # several chunks, so streaming is exercised


def file_bytes(file_id: str, size: int = FILE_SIZE) -> bytes:
    seed = hashlib.sha256(file_id.encode()).digest()
    return (seed * (size // len(seed) + 1))[:size]


@dataclass
class FakeFile:
    info: FileInfo

    async def iter_bytes(self, offset: int = 0) -> AsyncIterator[bytes]:
        data = file_bytes(self.info.file_id)[offset:]
        for start in range(0, len(data), 65536):
            yield data[start : start + 65536]


@dataclass
class FakeConnector:
    """Accounts: ``plain@`` (password only), ``twofa@`` (code), ``twosv@`` (choice then code),
    ``locked@`` (locked by Apple)."""

    logins: list[dict[str, Any]] = field(default_factory=list)
    expired_tokens: set[str] = field(default_factory=set)

    async def login(
        self, credentials: Credentials, saved_state: dict[str, Any] | None
    ) -> LoginOutcome:
        self.logins.append({"apple_id": credentials.apple_id, "saved": saved_state})
        user = credentials.apple_id.split("@")[0]
        if user == "locked":
            raise AccountLocked("locked")
        if saved_state and saved_state.get("kind") == "session" and saved_state.get("trusted"):
            return self._active(credentials.apple_id)
        if credentials.password != PASSWORD:
            raise InvalidCredentials("bad password")
        if user == "twofa" or (user == "twosv" and saved_state and saved_state.get("chosen")):
            if credentials.code is None:
                return LoginOutcome(
                    "failed", "code-required", None, {"kind": "login", "chosen": True}
                )
            if saved_state is None or saved_state.get("kind") != "login":
                return LoginOutcome(
                    "failed", "code-required", None, {"kind": "login", "chosen": True}
                )
            if credentials.code != CODE:
                raise CodeInvalid("wrong code")
            return self._active(credentials.apple_id)
        if user == "twosv":
            if credentials.choice is None:
                return LoginOutcome(
                    "failed", "choice-required", {"choices": ["+44 ••• 12"]}, {"kind": "login"}
                )
            return LoginOutcome("failed", "code-required", None, {"kind": "login", "chosen": True})
        return self._active(credentials.apple_id)

    @staticmethod
    def token_for(apple_id: str) -> str:
        return hashlib.sha256(apple_id.encode()).hexdigest()[:16]

    def _active(self, apple_id: str) -> LoginOutcome:
        state = {"kind": "session", "token": self.token_for(apple_id), "trusted": True}
        return LoginOutcome("active", session_state=state, account={"full_name": "Test User"})

    async def validate(self, session_state: dict[str, Any]) -> dict[str, Any]:
        if session_state.get("token") in self.expired_tokens:
            raise SessionExpired("expired")
        return {**session_state, "validated": True}

    async def logout(self, session_state: dict[str, Any]) -> None:
        self.expired_tokens.add(session_state.get("token", ""))

    def info_types(self) -> list[str]:
        return ["account.info", "devices.info"]

    def data_types(self) -> list[str]:
        return ["icpl.photos", "mme_contacts.contacts"]

    async def fetch_info(self, session_state: dict[str, Any], info_type: str) -> dict[str, Any]:
        return {"type": info_type, "full_name": "Test User"}

    async def fetch_items(
        self, session_state: dict[str, Any], data_type: str, filters: Filters
    ) -> AsyncIterator[dict[str, Any]]:
        for index in range(3):
            yield {"id": f"{data_type}-{index}", "files": [{"id": FILE_ID, "extension": "jpg"}]}

    async def open_file(self, session_state: dict[str, Any], file_id: str) -> FakeFile:
        if not file_id.startswith("icpl://"):
            raise NotFound(file_id)
        return FakeFile(FileInfo(file_id=file_id, size=FILE_SIZE, extension="jpg"))
