"""The cards each open session on this host holds, shared by every worker (slot) of the host.

Owns: the host's record of held cards (`gpu-holds.json` in the host's work dir, read and rewritten
under an exclusive `flock`, so the slot processes of `--slots N` see each other's sessions); taking a
session's cards (gpus.allocate decides which) and waiting while none fit; giving them back when the
session ends; and forgetting the holds of a process that is gone (a killed slot can't give back).
Must not: decide which cards fit (gpus.py), run sessions (actions.py) or call the server.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from farmstead.worker import gpus

log = logging.getLogger("farmstead.worker")

HOLDS_FILE = "gpu-holds.json"
#: How often a session waiting for cards looks again (another session's end frees them).
WAIT_SECONDS = 0.5


class GpuHolds:
    """This worker's sessions' part of the host's record. `cards` are the host's GPUs this worker may
    use, `own` the ones it reports (its slot's), which a session takes first."""

    def __init__(self, host_dir: Path, cards: Sequence[gpus.Gpu], own: Sequence[gpus.Gpu]) -> None:
        self._path = host_dir / HOLDS_FILE
        self._lock_path = host_dir / (HOLDS_FILE + ".lock")
        own_indices = [card.index for card in own]
        self._order = own_indices + [card.index for card in cards if card.index not in own_indices]
        self._by_index = {card.index: card for card in cards}
        self._own = len(own)
        self._pid = os.getpid()

    def take(self, session_id: str, gpu_min: float | None) -> tuple[gpus.Gpu, ...] | None:
        """The session's cards, now recorded as held; None when they don't fit now."""
        request = gpus.request_of(gpu_min, self._own)
        with self._record() as holds:
            held: dict[int, float] = {}
            for hold in holds:
                for index, amount in hold["cards"].items():
                    held[int(index)] = held.get(int(index), 0.0) + amount
            chosen = gpus.allocate(self._order, held, request)
            if chosen is None:
                return None
            amount = request.share or 1.0
            holds.append({"pid": self._pid, "session": session_id,
                          "cards": {str(index): amount for index in chosen}})
        return tuple(self._by_index[index] for index in chosen)

    def wait(self, session_id: str, gpu_min: float | None, stopping: Callable[[], bool],
             note: Callable[[str], None]) -> tuple[gpus.Gpu, ...] | None:
        """`take`, again every WAIT_SECONDS until the cards fit; None when `stopping()` says to give up."""
        waited = False
        pause = threading.Event()
        while not stopping():
            chosen = self.take(session_id, gpu_min)
            if chosen is not None:
                return chosen
            if not waited:
                note(f"Waiting for GPUs: the step asks for {gpu_min if gpu_min is not None else 'whole cards'} "
                     "and other sessions on this host hold them.")
                waited = True
            pause.wait(WAIT_SECONDS)
        return None

    def release(self, session_id: str) -> None:
        with self._record() as holds:
            holds[:] = [hold for hold in holds if not (hold["pid"] == self._pid and hold["session"] == session_id)]

    @contextmanager
    def _record(self) -> Iterator[list[dict[str, Any]]]:
        """The live holds under the host's lock; what the block leaves in the list is written back."""
        self._lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self._lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                holds = [hold for hold in self._read() if _alive(hold["pid"])]
                yield holds
                temporary = self._path.with_name(f"{HOLDS_FILE}.{self._pid}")
                temporary.write_text(json.dumps({"holds": holds}))
                os.replace(temporary, self._path)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self) -> list[dict[str, Any]]:
        try:
            return list(json.loads(self._path.read_text())["holds"])
        except FileNotFoundError:
            return []
        except (ValueError, KeyError, TypeError) as error:
            # Only this module writes the file, whole (os.replace): unreadable means edited by hand.
            log.warning("%s is unreadable (%s); starting it afresh", self._path, error)
            return []


def _alive(pid: int) -> bool:
    """Whether the process that recorded a hold still runs (a slot that was killed can't give back)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
