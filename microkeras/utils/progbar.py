"""The Keras 3 progress bar, for fit/evaluate/predict and for users' own loops.

A finished verbose=1 bar reads exactly like Keras 3's::

    25/25 ━━━━━━━━━━━━━━━━━━━━ 1s 20ms/step - accuracy: 0.9100 - loss: 0.3102

and verbose=2 prints one line, ``25/25 - 0s - 504us/step - accuracy: ... - loss: ...``.
Unlike Keras, the bar redraws in place only on a terminal or in Jupyter. Written to a
file, a pipe or a CI log, it stays silent until the bar finishes and then writes one
clean line, with no ``\\r``, ``\\b`` or ANSI codes.
"""

import sys
import time

import numpy as np

_BAR_CHAR = "\u2501"  # ━
_BOLD, _GREEN, _WHITE = "\x1b[1m", "\x1b[32m", "\x1b[37m"
_RESET = "\x1b[0m"


class Progbar:
    """Show the progress of a loop of ``target`` steps, with running metric values.

    Parameters
    ----------
    target : int or None
        Total number of steps; None if unknown (shown as ``      7/Unknown``).
    width : int
        Number of bar characters.
    verbose : {0, 1, 2}
        0 silent, 1 progress bar, 2 a single line when the bar finishes.
    interval : float
        Minimum seconds between two in-place redraws (the final one always draws).
    stateful_metrics : iterable of str, optional
        Names whose values are shown as given. Every other name is shown as its
        average over the updates so far, weighted by the steps each update advanced.
        As in Keras 3, the value passed to the final update is shown as given.
    unit_name : str
        Name of one step in the time-per-step text (``ms/step``).
    stream : file-like, optional
        Where to write; ``sys.stdout`` at the time of each write if None.
    dynamic : bool, optional
        Redraw in place (with ANSI colours) or not. If None: yes when the stream
        is a TTY, or is ``sys.stdout`` inside Jupyter (ipykernel).
    clock : callable
        Returns the time in seconds; tests pass a fake one.
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05,
                 stateful_metrics=None, unit_name="step", stream=None,
                 dynamic=None, clock=time.monotonic):
        if verbose not in (0, 1, 2):
            raise ValueError(
                f"Invalid verbose: {verbose!r}. Expected 0 (silent), 1 (progress "
                "bar) or 2 (one line).")
        if target is not None and (not isinstance(target, (int, np.integer))
                                   or target < 0):
            raise ValueError(
                f"Invalid target: {target!r}. Expected a non-negative int or None.")
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.stateful_metrics = set(stateful_metrics or ())
        self.unit_name = unit_name
        self.stream = stream
        self.dynamic = dynamic
        self._clock = clock
        self._start = clock()
        self._time_after_first_step = None
        self._last_draw = -float("inf")
        self._seen_so_far = 0
        self._values = {}  # name -> [weighted sum, weight]; insertion order = display order
        self._prev_width = 0

    def update(self, current, values=None, finalize=None):
        """Record that ``current`` steps are done, with this step's metric values.

        ``values`` is a list of ``(name, value)`` pairs or a dict. ``finalize``
        defaults to ``current >= target`` (False when the target is unknown).
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        self._record(current, values, finalize)
        now = self._clock()
        time_per_step = self._step_duration(current, now)

        if self.verbose == 1 and (finalize or now - self._last_draw >= self.interval):
            self._last_draw = now
            stream = self.stream or sys.stdout
            dynamic = self._is_dynamic(stream)
            if dynamic or finalize:
                self._write_bar(stream, dynamic, current, now, time_per_step, finalize)
        elif self.verbose == 2 and finalize:
            line = (f"{self._count_text(current)} - {now - self._start:.0f}s - "
                    f"{_format_step_time(time_per_step, self.unit_name)}"
                    f"{self._metrics_text()}\n")
            _write(self.stream or sys.stdout, line)

    def add(self, n, values=None):
        """Advance by ``n`` steps; same ``values`` as :meth:`update`."""
        self.update(self._seen_so_far + n, values)

    def _record(self, current, values, finalize):
        if isinstance(values, dict):
            values = values.items()
        step_weight = max(current - self._seen_so_far, 1)
        for name, value in values or ():
            value = _to_float(value)
            if name in self.stateful_metrics or finalize:
                self._values[name] = [value, 1]
            elif name in self._values:
                total = self._values[name]
                total[0] += value * step_weight
                total[1] += step_weight
            else:
                self._values[name] = [value * step_weight, step_weight]
        self._seen_so_far = current

    def _step_duration(self, current, now):
        # Keras's estimate: once past step 1, leave out the first step, which
        # carries one-off costs (building, first allocations).
        if not current:
            return 0.0
        if self._time_after_first_step is not None and current > 1:
            duration = (now - self._time_after_first_step) / (current - 1)
        else:
            duration = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return duration

    def _is_dynamic(self, stream):
        if self.dynamic is not None:
            return self.dynamic
        isatty = getattr(stream, "isatty", None)
        return bool(isatty and isatty()) or (
            stream is sys.stdout and "ipykernel" in sys.modules)

    def _write_bar(self, stream, dynamic, current, now, time_per_step, finalize):
        def styled(text, code):
            return f"{code}{text}{_RESET}" if dynamic and text else text

        known = self.target is not None and self.target > 0
        if known:
            done = int(self.width * current / self.target)
            head = (styled(self._count_text(current), _BOLD) + " "
                    + styled(_BAR_CHAR * done, _GREEN)
                    + styled(_BAR_CHAR * (self.width - done), _WHITE))
            plain_head_width = len(self._count_text(current)) + 1 + self.width
        else:
            head = self._count_text(current)
            plain_head_width = len(head)
        if known and not finalize:
            clock_text = _format_eta(time_per_step * (self.target - current))
        else:
            clock_text = f"{now - self._start:.0f}s"
        tail = (f" {_format_step_time(time_per_step, self.unit_name)}"
                f"{self._metrics_text()}")

        width = plain_head_width + 1 + len(clock_text) + len(tail)
        line = f"{head} {styled(clock_text, _BOLD)}{tail}"
        if dynamic:
            line = "\r" + line + " " * max(self._prev_width - width, 0)
        self._prev_width = width
        _write(stream, line + "\n" if finalize else line)

    def _count_text(self, current):
        if self.target is None or self.target <= 0:
            return "%7d/Unknown" % current
        return f"{current:{len(str(self.target))}d}/{self.target}"

    def _metrics_text(self):
        return "".join(f" - {name}: {_format_value(total / max(weight, 1))}"
                       for name, (total, weight) in self._values.items())


def _to_float(value):
    if isinstance(value, (int, float)):
        return float(value)
    return float(np.mean(value))


def _format_value(value):
    # Keras's verbose=2 line tests `value > 1e-3` without abs(), so it prints
    # negative numbers in e-notation; we use abs() in both modes.
    return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"


def _format_eta(seconds):
    if seconds > 3600:
        return "%d:%02d:%02d" % (seconds // 3600, (seconds % 3600) // 60, seconds % 60)
    if seconds > 60:
        return "%d:%02d" % (seconds // 60, seconds % 60)
    return "%ds" % seconds


def _format_step_time(seconds, unit_name):
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit_name}"
    return f"{seconds * 1e6:.0f}us/{unit_name}"


def _write(stream, text):
    stream.write(text)
    stream.flush()
