"""The collector tuning `cloudtap serve` and `cloudtap worker` apply once started."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cloudtap.ops.gc_tuning import YOUNG_THRESHOLD

# In a process of its own: the tuning is process-wide.
PROBE = """
import gc
from cloudtap.ops.gc_tuning import tune_for_server
born_before = [object() for _ in range(10)], {"kept": []}
tune_for_server()
print(gc.get_threshold()[0], gc.get_freeze_count() > 1000, gc.is_tracked(born_before[1]))
print(any(o is born_before[1] for o in gc.get_objects(generation=2)))
"""


def test_startup_objects_are_frozen_and_young_collections_are_rarer() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    ).stdout.split()
    # The threshold is raised; what startup built is frozen (tracked, but no longer in
    # any generation a collection walks).
    assert out == [str(YOUNG_THRESHOLD), "True", "True", "False"]


def test_serve_and_worker_tune_the_collector() -> None:
    from cloudtap.cli import main

    source = Path(main.__file__).read_text()
    assert source.count("tune_for_server()") == 2
