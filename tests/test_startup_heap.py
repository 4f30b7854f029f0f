"""The start-up heap frozen out of the garbage collector's full passes (farmstead/startup_heap.py):
once per process, with what is allocated later still collected; the server does it once it is up."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_freezing_moves_the_start_up_heap_out_once_and_later_cycles_are_still_collected():
    # In a process of its own: freezing the test runner's heap would outlive the test.
    script = textwrap.dedent("""
        import gc, weakref
        from farmstead import startup_heap
        frozen = startup_heap.freeze()
        assert frozen > 1_000 and gc.get_freeze_count() == frozen, frozen
        assert startup_heap.freeze() == 0 and gc.get_freeze_count() == frozen

        class Node:
            pass
        node = Node()
        node.self = node  # a reference cycle made after the freeze: only the collector frees it
        gone = weakref.ref(node)
        del node
        gc.collect()
        assert gone() is None
        print("ok", frozen)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok ")


def test_the_server_freezes_its_start_up_heap_once_it_is_up(server):
    assert "start-up heap frozen:" in server.log_text()
