"""The web dashboard served by ``cloudtap serve`` at ``/dashboard``.

Server-rendered pages over the same resource handlers the API runs, called with the
signed-in key's ``Caller``: what a page shows or changes is scoped exactly as the API is.
"""

from cloudtap.dashboard.mount import mount_dashboard

__all__ = ["mount_dashboard"]
