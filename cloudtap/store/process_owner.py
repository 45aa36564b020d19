"""Which process holds an in-flight claim, and whether that process is gone.

An owner is ``host:pid:boot``: the machine's name, the process id and a random token
drawn once per process start. A claim of this machine whose process has died (its pid no
longer runs, or runs as a later start: ``serve`` restarted as the same pid, as in a
container) is abandoned at once. A claim of another machine cannot be judged from here.
"""

from __future__ import annotations

import os
import secrets
import socket

_BOOT = secrets.token_hex(8)


def this_process() -> str:
    # The pid is read each time: a forked worker is a process of its own.
    return f"{socket.gethostname()}:{os.getpid()}:{_BOOT}"


def _runs(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it runs
        return True
    return True


def is_gone(owner: str | None) -> bool:
    """Whether ``owner``'s process has certainly ended (False when it cannot be told)."""
    if not owner:
        return False
    host, _, rest = owner.partition(":")
    pid_text, _, boot = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return boot != _BOOT  # an earlier start of this very pid
    return not _runs(pid)
