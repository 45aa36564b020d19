"""The world a CloudKit request runs in, for containers that keep per-world state.

Containers are process-wide singletons (``CONTAINERS``) but each ``SandboxWorld`` is
its own Apple: the server sets the current world around every container call so that
mutations (e.g. a Photos delete) stay inside the world where they were made.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, TypeVar

from cloudtap.sandbox.world import SandboxWorld

current_world: ContextVar[SandboxWorld | None] = ContextVar("current_world", default=None)

T = TypeVar("T")


def world_state(key: str, factory: type[T]) -> T:
    """Per-world state object named ``key``, created on first use."""
    world = current_world.get()
    if world is None:
        raise RuntimeError("no CloudKit request in progress")
    return state_of(world, key, factory)


def state_of(world: SandboxWorld, key: str, factory: type[T]) -> T:
    """``world``'s state object named ``key`` (also for whoever stands in for a device
    outside a request, e.g. a test deleting a note)."""
    bag: dict[str, Any] = vars(world).setdefault("_cloudkit_state", {})
    if key not in bag:
        bag[key] = factory()
    value: T = bag[key]
    return value
