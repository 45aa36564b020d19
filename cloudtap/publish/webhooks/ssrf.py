"""The webhook face of the outbound guard (see :mod:`cloudtap.publish.outbound`).

Kept so webhook code and tests read naturally; the rules live in one place.
"""

from __future__ import annotations

from cloudtap.publish.outbound import OutboundURLGuard, SafeTarget
from cloudtap.publish.outbound import UnsafeURL as UnsafeWebhookURL

__all__ = ["SafeTarget", "UnsafeWebhookURL", "WebhookURLGuard"]


class WebhookURLGuard(OutboundURLGuard):
    label = "webhook URL"
