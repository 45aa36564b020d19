"""The :class:`~cloudtap.icloud.connector.Connector` of the ``mocks.mock`` test source."""

from __future__ import annotations

from collections.abc import AsyncIterator

from cloudtap.icloud.connector import Credentials, FileStream, Filters, JSONDict, LoginOutcome
from cloudtap.icloud.errors import InvalidCredentials, NotFound

SOURCE_TYPE = "mocks.mock"
INFO_TYPE = "mocks.mock.info"
DATA_TYPE = "mocks.mock.items"
ITEM_COUNT = 3


class MockConnector:
    """Logs in with any non-empty password; answers one info type and one data type."""

    async def login(self, credentials: Credentials, saved_state: JSONDict | None) -> LoginOutcome:
        if not credentials.password:
            raise InvalidCredentials("the mock source needs a password")
        state = {"kind": "session", "mock": SOURCE_TYPE, "identifier": credentials.apple_id}
        return LoginOutcome(state="active", session_state=state)

    async def validate(self, session_state: JSONDict) -> JSONDict:
        return session_state

    async def logout(self, session_state: JSONDict) -> None:
        return None

    def info_types(self) -> list[str]:
        return [INFO_TYPE]

    def data_types(self) -> list[str]:
        return [DATA_TYPE]

    async def fetch_info(self, session_state: JSONDict, info_type: str) -> JSONDict:
        return {
            "data_type": INFO_TYPE,
            "identifier": session_state.get("identifier"),
            "source_type": SOURCE_TYPE,
        }

    async def fetch_items(
        self, session_state: JSONDict, data_type: str, filters: Filters
    ) -> AsyncIterator[JSONDict]:
        for number in range(1, ITEM_COUNT + 1):
            yield {"data_type": DATA_TYPE, "id": f"mock-{number}", "text": f"Mock item {number}"}

    async def open_file(self, session_state: JSONDict, file_id: str) -> FileStream:
        raise NotFound(f"the mock source has no file {file_id}")
