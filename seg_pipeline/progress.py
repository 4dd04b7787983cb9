"""Progress of long work (embedding, training, SegRec) as log lines at a sane rate, or a tqdm bar.

`Progress(total, "embedding", log).update(n)` prints "embedding: 40/100 segments (40%), 12.3/s,
ETA 5s" to `log` (the Dagster log in an asset) every 10 % of the total or every 30 s, whichever
comes first, and once at the end. No Dagster inside: the caller hands in the log function.
"""
from __future__ import annotations

import contextlib
import sys
import threading
import time
from typing import Callable, Iterator, Optional

Log = Callable[[str], None]
EVERY_FRACTION = 0.1
EVERY_SECONDS = 30.0


def format_seconds(seconds: float) -> str:
    if seconds != seconds or seconds == float("inf"):  # NaN or unknown
        return "?"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class Progress:
    """Counts items done of `total`; logs a line when 10 % more is done or 30 s passed."""

    def __init__(self, total: int, label: str, log: Optional[Log] = None, unit: str = "items",
                 every_fraction: float = EVERY_FRACTION, every_seconds: float = EVERY_SECONDS,
                 clock: Callable[[], float] = time.monotonic, bar: bool = False):
        self.total, self.label, self.log, self.unit = max(int(total), 0), label, log, unit
        self.every_items = max(1, int(self.total * every_fraction))
        self.every_seconds, self.clock = every_seconds, clock
        self.done, self.started = 0, clock()
        self._last_items, self._last_time, self._closed = 0, self.started, False
        self._bar = _tqdm(self.total, label, unit) if bar else None

    def line(self) -> str:
        elapsed = self.clock() - self.started
        rate = self.done / elapsed if elapsed > 0 else float("nan")
        eta = (self.total - self.done) / rate if rate and rate == rate and rate > 0 else float("nan")
        percent = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
        return (f"{self.label}: {self.done}/{self.total} {self.unit}{percent}, {rate:.1f} {self.unit}/s, "
                f"elapsed {format_seconds(elapsed)}, ETA {format_seconds(eta) if self.done < self.total else '0s'}")

    def update(self, n: int = 1) -> None:
        self.done += int(n)
        if self._bar is not None:
            self._bar.update(int(n))
        now = self.clock()
        if (self.done - self._last_items >= self.every_items or now - self._last_time >= self.every_seconds
                or self.done >= self.total):
            self._emit(now)

    def close(self) -> None:
        """The last line (if the last update did not already say it) and the bar closed."""
        if not self._closed and self.done != self._last_items:
            self._emit(self.clock())
        self._closed = True
        if self._bar is not None:
            self._bar.close()

    def _emit(self, now: float) -> None:
        self._last_items, self._last_time = self.done, now
        if self.log is not None:
            self.log(self.line())

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _tqdm(total: int, label: str, unit: str):
    """A tqdm bar on stderr (hidden when stderr is not a terminal, so pipes and tests stay clean)."""
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit=unit, file=sys.stderr, disable=not sys.stderr.isatty(),
                dynamic_ncols=True, leave=False)


@contextlib.contextmanager
def spinner(label: str, delay_s: float = 2.0, stream=None) -> Iterator[None]:
    """An elapsed-time bar on stderr for work of unknown length (loading torch and a model); it
    appears only after `delay_s` and only on a terminal, and is wiped when the work ends."""
    from tqdm import tqdm

    stream = stream or sys.stderr
    if not stream.isatty():
        yield
        return
    bar = tqdm(total=None, desc=label, bar_format="{desc}: {elapsed}", file=stream, delay=delay_s, leave=False)
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(0.25):
            bar.refresh()

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        bar.close()
