"""A workstation's idle rule (farmstead.worker.input_idle): input idle time from xprintidle or the PS/2
controller's interrupts, and the rule that lets the host work only after N minutes without input."""

from farmstead.worker.input_idle import InputIdleRule, InterruptCounter, input_interrupts, xprintidle_seconds

INTERRUPTS = """           CPU0       CPU1
   1:         10          0  IO-APIC   1-edge      i8042
  12:        200         35  IO-APIC  12-edge      i8042
  16:       5000       7000  IO-APIC  16-fasteoi   xhci_hcd
 NMI:          0          0   Non-maskable interrupts
"""


def test_keyboard_and_mouse_interrupts_are_the_i8042_lines_summed_over_every_cpu():
    assert input_interrupts(INTERRUPTS) == 245
    assert input_interrupts(INTERRUPTS.replace("i8042", "virtio")) is None  # a VM or a USB-only desktop


def test_xprintidle_prints_milliseconds():
    assert xprintidle_seconds("123456\n") == 123.456
    assert xprintidle_seconds("couldn't open display") is None


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_input_is_a_change_of_the_count_and_the_first_reading_counts_as_input_now():
    text, clock = [INTERRUPTS], Ticks()
    counter = InterruptCounter(read=lambda: text[0], clock=clock)
    assert counter.idle_seconds() == 0
    clock.now += 90
    assert counter.idle_seconds() == 90
    text[0] = INTERRUPTS.replace("200", "201")  # a key pressed
    clock.now += 5
    assert counter.idle_seconds() == 0


class Source:
    name = "a test source"

    def __init__(self, idle: float | None) -> None:
        self.idle = idle

    def idle_seconds(self) -> float | None:
        return self.idle


def test_the_rule_lets_the_host_work_after_n_minutes_without_input_and_stops_it_when_input_comes():
    source = Source(idle=119.0)
    rule = InputIdleRule(2, source)
    assert not rule.ready()
    assert rule.reason() == "input 119 s ago; it works after 2 minutes without input (a test source)"
    source.idle = 120.0
    assert rule.ready()
    source.idle = None  # unreadable for a moment: the last answer stands
    assert rule.ready()
    source.idle = 3.0
    assert not rule.ready()
