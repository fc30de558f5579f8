"""The ``huiku worker`` processes a benchmark starts: stopping them and finding their children."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path


def stop(worker: subprocess.Popen) -> None:
    """Stop the worker's process group as Ctrl-C would, and kill it if it has not ended in 30 s."""
    os.killpg(worker.pid, signal.SIGINT)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


def children(pid: int) -> list[int]:
    """The process's children (Linux: from /proc, thread by thread)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def process_tree(pid: int) -> list[int]:
    """The process and all its descendants."""
    found = [pid]
    for child in children(pid):
        found += process_tree(child)
    return found
