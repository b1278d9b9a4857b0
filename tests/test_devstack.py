"""When `./dev run` starts again a process that exited: backoff, and its reset."""

from services.devstack import Restarts


class CrashingProcess:
    """Drives `Restarts` as the supervisor does, on a clock of our own."""

    def __init__(self) -> None:
        self.now = 0.0
        self.restarts = Restarts(self.now)

    def crash_after(self, uptime: float) -> float:
        """It runs `uptime` seconds then exits; return the delay before its restart."""
        self.now += uptime
        delay = self.restarts.exited(self.now)
        assert self.restarts.due == self.now + delay
        self.now += delay
        self.restarts.started(self.now)
        assert self.restarts.due is None
        return delay


def test_a_crash_looping_process_waits_twice_as_long_each_time_up_to_30_seconds():
    process = CrashingProcess()
    assert [process.crash_after(0.5) for _ in range(7)] == [1, 2, 4, 8, 16, 30, 30]


def test_a_process_that_stayed_up_a_minute_is_restarted_after_one_second_again():
    process = CrashingProcess()
    assert [process.crash_after(0.5) for _ in range(4)] == [1, 2, 4, 8]
    assert process.crash_after(59) == 16  # not yet a minute
    assert process.crash_after(60) == 1
    assert process.crash_after(0.5) == 2


def test_failing_to_start_keeps_backing_off_however_long_ago_the_last_start_was():
    restarts = Restarts(now=0)
    assert restarts.exited(now=600) == 1  # it had run ten minutes
    assert restarts.start_failed(now=601) == 2
    assert restarts.start_failed(now=603) == 4
    assert restarts.due == 607
