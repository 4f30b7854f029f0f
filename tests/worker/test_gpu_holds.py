"""The host's record of the cards each session holds, shared by the slots of one host
(farmstead.worker.gpu_holds): real files and locks, several holders as the slot processes are."""

import json
import subprocess
import sys

from farmstead.worker.gpu_holds import HOLDS_FILE, GpuHolds
from farmstead.worker.gpus import Gpu

ONE_CARD = [Gpu(0, "NVIDIA L4", 23034)]
TWO_CARDS = [Gpu(0, "NVIDIA L4", 23034), Gpu(1, "NVIDIA L4", 23034)]


def indices(cards):
    return None if cards is None else [card.index for card in cards]


def test_two_slots_sessions_share_a_card_only_when_both_steps_ask_for_a_fraction(tmp_path):
    first, second = GpuHolds(tmp_path, ONE_CARD, ONE_CARD), GpuHolds(tmp_path, ONE_CARD, [])
    assert indices(first.take("session-a", 0.5)) == [0]
    assert indices(second.take("session-b", 0.5)) == [0]  # the same card, half each
    assert second.take("session-c", 0.25) is None  # full
    assert first.take("session-d", 1) is None  # a whole card: only when nobody shares it
    first.release("session-a")
    second.release("session-b")
    assert indices(first.take("session-d", 1)) == [0]
    assert second.take("session-e", 0.5) is None  # held whole: never shared


def test_a_step_without_a_gpu_requirement_holds_the_slots_own_cards_whole(tmp_path):
    first, second = GpuHolds(tmp_path, TWO_CARDS, TWO_CARDS[:1]), GpuHolds(tmp_path, TWO_CARDS, TWO_CARDS[1:])
    assert indices(first.take("cpu-step", None)) == [0]
    assert indices(second.take("other", None)) == [1]
    assert GpuHolds(tmp_path, TWO_CARDS, []).take("no-own-card", None) == ()  # sees none, as before sharing


def test_holds_of_a_process_that_is_gone_are_forgotten(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / HOLDS_FILE).write_text(json.dumps({"holds": [
        {"pid": int(dead.stdout), "session": "killed-slot", "cards": {"0": 1.0}}]}))
    assert indices(GpuHolds(tmp_path, ONE_CARD, ONE_CARD).take("session-a", 1)) == [0]


def test_a_waiting_session_gets_its_cards_when_they_free_and_gives_up_when_stopping(tmp_path):
    holds = GpuHolds(tmp_path, ONE_CARD, ONE_CARD)
    holds.take("whole", 1)
    notes: list[str] = []
    asked = []

    def stopping():
        asked.append(1)
        if len(asked) == 2:
            holds.release("whole")  # the other session ends while this one waits
        return len(asked) > 5

    assert indices(holds.wait("half", 0.5, stopping, notes.append)) == [0]
    assert len(notes) == 1 and "Waiting for GPUs" in notes[0]
    assert holds.wait("another-whole", 1, lambda: True, notes.append) is None
