"""`make run`'s supervisor (bot/server.py): a child that dies is started again after 1 s, 2 s,
4 s …, said with its exit code and when it is back; one that keeps dying is given up on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

import pytest

from bot.server import GaveUp, Supervised, Supervisor, describe_exit, end_process_group


@dataclass
class FakeProcess:
    pid: int
    returncode: int | None = None

    def poll(self) -> int | None:
        return self.returncode


@dataclass
class FakeChild:
    """A child whose process the test kills; restarting it gives a new live process."""

    label: str = "the action server"
    process: FakeProcess = field(default_factory=lambda: FakeProcess(100))
    starts: list[float] = field(default_factory=list)
    answering: bool = False

    def supervised(self, clock: Clock) -> Supervised:
        def restart() -> None:
            self.starts.append(clock.now)
            self.process = FakeProcess(self.process.pid + 1)
            self.answering = False

        return Supervised(self.label, lambda: self.process, restart, lambda: self.answering)


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def supervisor(child: FakeChild, clock: Clock, said: list[str]) -> Supervisor:
    return Supervisor(lambda: [child.supervised(clock)], clock=clock, say=said.append)


def run_for(supervisor: Supervisor, clock: Clock, seconds: float) -> None:
    """Call ``check`` every half second, as run_in_foreground does."""
    end = clock.now + seconds
    while clock.now < end:
        supervisor.check()
        clock.now += 0.5


def test_a_killed_child_is_started_again_after_a_second_and_said_when_it_is_back():
    clock, said, child = Clock(), [], FakeChild()
    watch = supervisor(child, clock, said)
    run_for(watch, clock, 5)
    assert said == [] and child.starts == []
    child.process.returncode = -9  # the OOM killer
    died = clock.now
    run_for(watch, clock, 3)
    assert child.starts == [died + 1.0]
    assert said[0] == (
        "the action server was killed by SIGKILL (exit code -9); restarting it in 1 s "
        "(restart 1 of at most 5 within 120 s)"
    )
    assert said[1] == "the action server: started again (pid 101)"
    child.answering = True
    run_for(watch, clock, 1)
    assert said[2].startswith("the action server is back, ") and len(said) == 3


def test_the_wait_doubles_while_it_keeps_dying_and_it_is_given_up_after_five_restarts():
    clock, said, child = Clock(), [], FakeChild()
    watch = supervisor(child, clock, said)
    delays = []
    for _ in range(5):
        child.process.returncode = 1
        died = clock.now
        run_for(watch, clock, 20)
        delays.append(child.starts[-1] - died)
    assert delays == [1, 2, 4, 8, 16]
    child.process.returncode = 1  # a sixth time within two minutes
    with pytest.raises(GaveUp) as gave_up:
        run_for(watch, clock, 1)
    message = str(gave_up.value)
    assert "the action server exited with code 1" in message
    assert "died 6 times within 120 s" in message and "not restarted again" in message


def test_failures_longer_ago_than_the_window_are_forgotten():
    clock, said, child = Clock(), [], FakeChild()
    watch = supervisor(child, clock, said)
    for _ in range(5):
        child.process.returncode = 1
        run_for(watch, clock, 20)
    clock.now += 121  # a quiet two minutes: the next death is a first one again
    child.process.returncode = -15
    died = clock.now
    run_for(watch, clock, 2)
    assert child.starts[-1] - died == 1
    assert "was killed by SIGTERM" in said[-2] and "restart 1 of at most 5" in said[-2]


def test_each_child_is_watched_on_its_own():
    clock, said = Clock(), []
    actions, rasa = FakeChild(), FakeChild("the Rasa server on 5005", FakeProcess(200))
    watch = Supervisor(
        lambda: [actions.supervised(clock), rasa.supervised(clock)], clock=clock, say=said.append
    )
    rasa.process.returncode = -9
    run_for(watch, clock, 2)
    assert actions.starts == [] and len(rasa.starts) == 1
    assert said[0].startswith("the Rasa server on 5005 was killed by SIGKILL")


@pytest.mark.parametrize(
    ("code", "said"),
    [
        (1, "exited with code 1"),
        (-9, "was killed by SIGKILL (exit code -9)"),
        (0, "exited with code 0"),
    ],
)
def test_exit_codes_are_said_plainly(code, said):
    assert describe_exit(code) == said


def test_what_a_dead_child_leaves_behind_is_ended(tmp_path):
    """A child in a process group of its own whose own child outlives it (as Sanic's workers
    outlive a killed parent, holding its port): ended before the child starts again."""
    pid_file = tmp_path / "grandchild"
    script = (
        "import subprocess, sys, time; "
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
        f"open({str(pid_file)!r}, 'w').write(str(p.pid)); time.sleep(60)"
    )
    child = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    deadline = time.monotonic() + 20
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    grandchild = int(pid_file.read_text())
    end_process_group(child)  # alive: left alone
    os.kill(grandchild, 0)
    child.send_signal(signal.SIGKILL)
    child.wait()
    os.kill(grandchild, 0)  # orphaned, still there
    end_process_group(child)
    deadline = time.monotonic() + 10
    while True:  # gone (a zombie until init reaps it: its state is Z)
        try:
            state = open(f"/proc/{grandchild}/stat").read().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            break
        if state == "Z":
            break
        assert time.monotonic() < deadline, state
        time.sleep(0.05)
