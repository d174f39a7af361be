"""Progress of long work: a line rewritten in place on a terminal, nothing anywhere else."""

import io

from hotline_kg import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_nothing_is_written_when_not_on_a_terminal():
    quiet = io.StringIO()
    with progress.step("compacting the store", quiet):
        pass
    reading = progress.Reading(io.BytesIO(b"x" * 1000), "loading", 1000, quiet)
    while reading.read(100):
        pass
    assert quiet.getvalue() == ""


def test_on_a_terminal_the_line_shows_the_share_read_and_the_time_taken(monkeypatch):
    monkeypatch.setattr(progress, "EVERY", 0)  # every read shown
    screen = Terminal()
    reading = progress.Reading(io.BytesIO(b"x" * (3 << 20)), "loading big.nq.gz", 3 << 20, screen)
    while reading.read(1 << 20):
        pass
    reading.read(1)  # read past the end again: still one line of its end
    shown = screen.getvalue()
    assert shown.startswith("\r\x1b[Kloading big.nq.gz …")
    assert "33 % (1.0 MB)" in shown and "100 % (3.0 MB)" in shown
    assert shown.count("read in") == 1 and shown.endswith(" s\n")


def test_a_step_says_when_it_is_done():
    screen = Terminal()
    with progress.step("compacting the store", screen):
        pass
    assert screen.getvalue().startswith("\r\x1b[Kcompacting the store …")
    assert "compacting the store: done in 0.0 s\n" in screen.getvalue()


def test_work_stopped_by_an_error_leaves_its_line_ended_for_the_error():
    screen = Terminal()
    try:
        with progress.step("compacting the store", screen):
            raise OSError("disk full")
    except OSError:
        pass
    assert screen.getvalue().endswith("compacting the store …\n") and "done" not in screen.getvalue()
    screen = Terminal()
    reading = progress.Reading(io.BytesIO(b"x" * 1000), "loading", 1000, screen)
    reading.read(10)
    reading.close()  # the parser stopped before the end
    assert screen.getvalue().endswith("\n") and "read in" not in screen.getvalue()
