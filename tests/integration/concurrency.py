"""Two things at once, for the tests of double submits and concurrent edits."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session


def waits_for(first: Session, action: Callable[[], Any], patience: float = 0.5) -> Any:
    """`first` has changed a row and not committed. Run `action` in another thread: check that it
    is still waiting after `patience` seconds (it needs that row), commit `first`, and return what
    `action` returned once it could go on."""
    outcome: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: outcome.setdefault("result", action()))
    thread.start()
    thread.join(patience)
    waited = thread.is_alive()
    first.commit()
    first.close()
    thread.join(20)
    assert waited, "the second request did not wait for the first one to finish"
    return outcome["result"]


def at_the_same_moment(*actions: Callable[[], Any]) -> list[Any]:
    """Start every action in its own thread, released together; their results, in order."""
    barrier = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)

    def run(index: int, action: Callable[[], Any]) -> None:
        barrier.wait()
        results[index] = action()

    threads = [threading.Thread(target=run, args=(n, action)) for n, action in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
