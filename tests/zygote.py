"""The crash trials' forking server: one spawned process that forks a child per trial.

A spawned "zygote" imports care-trust once; forking a child from it per trial is cheap.
The child runs the trial and writes what its caller was told to a pipe; the zygote
answers with how the child ended (killed by SIGKILL at its chosen point, or not) and
what it wrote. `serve` is the zygote's side, `Zygote` the test's.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable
from typing import Any

TIMEOUT = 120  # seconds a trial may take: a stuck child fails the run instead of hanging it


def serve(conn: Any, run: Callable[[tuple[Any, ...], int], None]) -> None:
    """Fork a child per trial asked for on ``conn`` (``run(asked, fd)``), until None."""
    while True:
        asked = conn.recv()
        if asked is None:
            return
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child
            os.close(read_fd)
            code = 0
            try:
                run(asked, write_fd)
            except BaseException:  # reported by its exit code; the parent fails the trial
                import traceback

                traceback.print_exc()
                code = 1
            os._exit(code)
        os.close(write_fd)
        chunks = []
        while chunk := os.read(read_fd, 65536):
            chunks.append(chunk)
        os.close(read_fd)
        _, status = os.waitpid(pid, 0)
        conn.send((status, b"".join(chunks).decode()))


class Zygote:
    """A spawned zygote running ``target`` (a worker module's function calling `serve`)."""

    def __init__(self, target: Callable[[Any], None]) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, theirs = ctx.Pipe()
        self._process = ctx.Process(target=target, args=(theirs,))
        self._process.start()

    def ask(self, *trial: object) -> None:
        self._conn.send(trial)

    def answer(self, where: str) -> tuple[int, str]:
        """The wait status and the words of the trial asked for last."""
        if not self._conn.poll(TIMEOUT):
            raise AssertionError(f"a crash trial on {where} did not end within {TIMEOUT} s")
        result: tuple[int, str] = self._conn.recv()
        return result

    def close(self) -> None:
        self._conn.send(None)
        self._process.join(60)


class KillSwitch:
    """A store's fault hook for a trial: SIGKILL at ``point`` of write ``kill_at``.

    Writes are counted from when it is ``armed`` (after the trial's set-up writes).
    """

    def __init__(self, point: str, kill_at: int) -> None:
        self.point, self.kill_at = point, kill_at
        self.armed = False
        self.writes = 0

    def __call__(self, name: str) -> None:
        if not self.armed:
            return
        if name == "begun":
            self.writes += 1
        elif name == self.point and self.writes == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
