"""Reading a child process's output while it still runs, for tests that drive the real command."""

from __future__ import annotations

import os
import threading
from typing import IO


class Output:
    """Everything a child writes to a pipe, readable while it still runs (no newline needed)."""

    def __init__(self, pipe: IO[bytes]) -> None:
        self.data = b""
        self.changed = threading.Condition()
        threading.Thread(target=self._read, args=(pipe,), daemon=True).start()

    def _read(self, pipe: IO[bytes]) -> None:
        while chunk := os.read(pipe.fileno(), 4096):
            with self.changed:
                self.data += chunk
                self.changed.notify_all()

    def wait_for(self, text: str, timeout: float = 10.0) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: text.encode() in self.data, timeout):
                raise AssertionError(f"{text!r} never came; output so far: {self.data!r}")
