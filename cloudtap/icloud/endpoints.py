"""Apple's fixed hosts and the headers its sign-in service (idmsa) expects.

Mainland-China accounts live on ``.com.cn`` setup and home hosts; the Apple ID sign-in
host is the same for everyone.
"""

from __future__ import annotations

from dataclasses import dataclass

AUTH_ROOT = "https://idmsa.apple.com/appleauth/auth"
# Apple's public web widget key, also used as the OAuth client id.
WIDGET_KEY = "d39ba9916b7251055b22c7f910e2ea796ee65e98b2ddecea8f5dde8d9d1a815d"


@dataclass(frozen=True)
class Endpoints:
    china: bool = False

    @property
    def auth(self) -> str:
        return AUTH_ROOT

    @property
    def home(self) -> str:
        return "https://www.icloud.com.cn" if self.china else "https://www.icloud.com"

    @property
    def setup(self) -> str:
        host = "setup.icloud.com.cn" if self.china else "setup.icloud.com"
        return f"https://{host}/setup/ws/1"


def oauth_headers(client_id: str, home: str) -> dict[str, str]:
    return {
        "Accept": "application/json, text/javascript",
        "Content-Type": "application/json",
        "X-Apple-OAuth-Client-Id": WIDGET_KEY,
        "X-Apple-OAuth-Client-Type": "firstPartyAuth",
        "X-Apple-OAuth-Redirect-URI": home,
        "X-Apple-OAuth-Require-Grant-Code": "true",
        "X-Apple-OAuth-Response-Mode": "web_message",
        "X-Apple-OAuth-Response-Type": "code",
        "X-Apple-OAuth-State": client_id,
        "X-Apple-Widget-Key": WIDGET_KEY,
    }
