"""The delivery pool: a receiver that never answers holds at most its own share."""

from __future__ import annotations

import functools
import threading
import time

from cloudtap.publish.webhooks.pool import DeliveryPool, receiver_of


def test_a_stuck_receiver_holds_only_its_share_and_others_still_run() -> None:
    pool = DeliveryPool(threads=4, per_receiver=2, backlog=3)
    release = threading.Event()
    stuck_started = threading.Semaphore(0)

    def stuck() -> None:
        stuck_started.release()
        release.wait(10)

    try:
        hole = receiver_of("http://127.0.0.1:9/hooks")
        accepted = [pool.submit(hole, stuck) for _ in range(6)]
        # Two run, three wait in the hole's line, the sixth is refused.
        assert accepted == [True, True, True, True, True, False]
        assert stuck_started.acquire(timeout=5) and stuck_started.acquire(timeout=5)
        assert pool.running(hole) == 2

        served = threading.Event()
        started = time.monotonic()
        assert pool.submit(receiver_of("https://example.com/hooks"), served.set)
        assert served.wait(5)
        assert time.monotonic() - started < 1.0
        assert pool.running(hole) == 2  # still only its two
    finally:
        release.set()
        pool.shutdown()


def test_the_line_drains_in_order_once_the_receiver_answers() -> None:
    pool = DeliveryPool(threads=2, per_receiver=1, backlog=10)
    done: list[int] = []
    finished = threading.Event()
    try:
        receiver = receiver_of("http://hooks.example:8080/x")
        for n in range(5):
            pool.submit(receiver, functools.partial(done.append, n))
        pool.submit(receiver, finished.set)
        assert finished.wait(5)
        assert done == [0, 1, 2, 3, 4]
        assert pool.running(receiver) == 0
    finally:
        pool.shutdown()


def test_receivers_are_told_apart_by_scheme_host_and_port() -> None:
    assert receiver_of("https://A.example/x") == "https://a.example:443"
    assert receiver_of("http://a.example/x") == "http://a.example:80"
    assert receiver_of("http://a.example:8080/y") == "http://a.example:8080"
