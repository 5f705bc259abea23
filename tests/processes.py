"""A subprocess the tests start (the CLI, a server), its output read line by line as it comes."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import threading
import time
from pathlib import Path


class OutputProcess:
    """``args`` run in its own session (so a reloader's children stop with it), its standard
    output and error collected."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            args,
            cwd=cwd,
            env={**env, "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def wait_for(self, pattern: str, timeout: float = 20) -> re.Match[str]:
        """Read output until a line matches ``pattern``; fail with the output if none does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                if self.proc.poll() is not None and self.lines.empty():
                    break
                continue
            self.output.append(line)
            match = re.search(pattern, line)
            if match:
                return match
        raise AssertionError(f"{pattern!r} not printed; output:\n{''.join(self.output)}")

    def finish(self, timeout: float = 20) -> tuple[int, str]:
        """Wait for the process to exit; return its exit code and whole output."""
        code = self.proc.wait(timeout)
        while not self.lines.empty() or (self.proc.stdout and not self.proc.stdout.closed):
            try:
                self.output.append(self.lines.get(timeout=0.5))
            except queue.Empty:
                break
        return code, "".join(self.output)

    def stop(self) -> None:
        """Stop the whole session: TERM, then KILL after ten seconds."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()
