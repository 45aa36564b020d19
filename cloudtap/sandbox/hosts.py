"""Apple's host names, as the sandbox serves them.

Service hosts follow Apple's ``pNN-<host label>.icloud.com`` shape; the partition number
is per account, as on real iCloud, so clients must take URLs from ``webservices``. The
label is Apple's, not the ``webservices`` key: ``findme`` lives on ``pNN-fmipweb``
(every captured ``accountLogin`` reply, docs/apple-evidence.md "Service host names").
"""

from __future__ import annotations

import re

IDMSA = "idmsa.apple.com"
SETUP = "setup.icloud.com"
SETUP_CN = "setup.icloud.com.cn"
CONTENT = "cvws.icloud-content.com"
CONTENT_CN = "cvws.icloud-content.com.cn"
WWW = "www.icloud.com"
WWW_CN = "www.icloud.com.cn"
GATEWAY = "gatewayws.icloud.com"
# cloudtap's own, not Apple's: the sandbox's buttons (a trusted device's approval).
CONTROL = "control.sandbox.cloudtap.dev"

# webservices key → Apple's host label, where they differ (captured accountLogin replies).
HOST_LABELS: dict[str, str] = {
    "reminders": "remindersws",
    "photosupload": "uploadphotosws",
    "photos": "photosws",
    "cksharews": "ckshare",
    "findme": "fmipweb",
    "ckdeviceservice": "ckdevice",
    "calendar": "calendarws",
    "settings": "settingsws",
    "premiummailsettings": "maildomainws",
    "ubiquity": "ubiquityws",
    "keyvalue": "keyvalueservice",
    "push": "pushws",
    "account": "setup",
    "contacts": "contactsws",
}
# webservices entries Apple serves from a fixed host, not an account partition.
FIXED_SERVICE_URLS: dict[str, str] = {
    "mpp": "https://relay.icloud-mpp.com",
    "sharedlibrary": "https://sharedlibrary.icloud.com:443",
    "developerapi": "https://developer-api.icloud.com:443",
}

_SERVICE_HOST = re.compile(r"^p(?P<partition>\d+)-(?P<service>[a-z]+)\.icloud\.com(?P<cn>\.cn)?$")


def service_host(key: str, partition: int, china: bool = False) -> str:
    """The host of webservices ``key`` on ``partition``: ``findme`` → ``p61-fmipweb…``."""
    label = HOST_LABELS.get(key, key)
    return f"p{partition:02d}-{label}.icloud.com" + (".cn" if china else "")


def service_url(key: str, partition: int, china: bool = False) -> str:
    fixed = FIXED_SERVICE_URLS.get(key)
    if fixed is not None:
        # No China capture: assume its .icloud.com hosts move to .icloud.com.cn like the rest.
        return fixed.replace(".icloud.com", ".icloud.com.cn") if china else fixed
    return f"https://{service_host(key, partition, china)}:443"


def parse_service_host(host: str) -> str | None:
    """``p61-fmipweb.icloud.com`` → ``fmipweb`` (the host label); ``None`` if not one."""
    match = _SERVICE_HOST.match(host)
    return match.group("service") if match else None
