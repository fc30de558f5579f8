"""A private, inspectable task queue for tests that need to see work wait before it runs."""

from __future__ import annotations

import pytest
from flask import Flask
from huey.storage import MemoryStorage

from repository.tasks import huey


class Queue:
    """The app's queue while the test runs: tasks wait in memory until ``run`` is called."""

    def names(self) -> list[str]:
        return [task.name.rsplit(".", 1)[-1] for task in huey.pending()]

    def args(self) -> list[tuple]:
        return [tuple(task.args) for task in huey.pending()]

    def run(self) -> int:
        """Run every waiting task, as a worker would; returns how many ran."""
        ran = 0
        while (task := huey.dequeue()) is not None:
            huey.execute(task)
            ran += 1
        return ran

    def lose(self) -> None:
        """What a Redis restart without persistence, or a killed worker, does to waiting tasks."""
        huey.flush()


@pytest.fixture(name="queue")
def task_queue(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Queue:
    """Tasks are enqueued rather than run inline (``TASKS_IMMEDIATE`` off) for this test."""
    monkeypatch.setitem(app.config, "TASKS_IMMEDIATE", False)
    monkeypatch.setitem(app.extensions, "huiku.tasks", MemoryStorage("huiku-test"))
    return Queue()
