"""Progbar prints Keras 3's text: exact lines, in-place redraws only on terminals."""

import io
import re
import sys

import pytest

from microkeras.utils.progbar import Progbar

BAR = "\u2501"  # ━, Keras 3's bar character
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class FakeClock:
    """A clock the test moves by hand; times are binary fractions so text is exact."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class FakeTTY(io.StringIO):
    def __init__(self):
        super().__init__()
        self.isatty_calls = 0

    def isatty(self):
        self.isatty_calls += 1
        return True


def make_bar(target, **kwargs):
    clock, stream = FakeClock(), io.StringIO()
    kwargs.setdefault("dynamic", False)
    bar = Progbar(target, stream=stream, clock=clock, **kwargs)
    return bar, clock, stream


def run_steps(bar, clock, first, rest, steps, values):
    """First step takes `first` seconds, the others `rest` seconds each."""
    for step in range(1, steps + 1):
        clock.now += first if step == 1 else rest
        bar.update(step, values)


def test_file_output_is_one_clean_final_line():
    bar, clock, stream = make_bar(25, stateful_metrics=["accuracy", "loss"])
    # A slow first step (1 s) then 24 steps of 1/64 s: the per-step estimate
    # skips step 1, so 15.625 ms -> "16ms"; elapsed 1.375 s -> "%.0f" -> "1s".
    run_steps(bar, clock, 1.0, 1 / 64, 25, {"accuracy": 0.91, "loss": 0.3102})
    assert stream.getvalue() == (
        f"25/25 {BAR * 20} 1s 16ms/step - accuracy: 0.9100 - loss: 0.3102\n")


def test_file_output_stays_silent_until_the_bar_finishes():
    bar, clock, stream = make_bar(10)
    run_steps(bar, clock, 1.0, 1.0, 9, [("loss", 0.5)])
    assert stream.getvalue() == ""
    clock.now += 1.0
    bar.update(10, [("loss", 0.5)])
    assert stream.getvalue().count("\n") == 1


def test_verbose_2_prints_keras_one_line_summary():
    bar, clock, stream = make_bar(25, verbose=2,
                                  stateful_metrics=["accuracy", "loss"])
    # 25 steps of 2**-11 s = 488.28 us each; elapsed 0.012 s -> "0s".
    run_steps(bar, clock, 2**-11, 2**-11, 25,
              [("accuracy", 0.3338), ("loss", 1.1084)])
    assert stream.getvalue() == (
        "25/25 - 0s - 488us/step - accuracy: 0.3338 - loss: 1.1084\n")


def test_verbose_2_ignores_dynamic_and_prints_plain_text():
    bar, clock, stream = make_bar(2, verbose=2, dynamic=True)
    run_steps(bar, clock, 0.5, 0.5, 2, None)
    assert stream.getvalue() == "2/2 - 1s - 500ms/step\n"


def test_verbose_0_prints_nothing():
    for dynamic in (True, False):
        bar, clock, stream = make_bar(3, verbose=0, dynamic=dynamic)
        run_steps(bar, clock, 1.0, 1.0, 3, [("loss", 1.0)])
        assert stream.getvalue() == ""


def test_dynamic_redraw_is_carriage_return_plus_ansi_keras_line():
    bar, clock, stream = make_bar(10, dynamic=True, stateful_metrics=["loss"])
    clock.now = 0.5
    bar.update(5, [("loss", 0.25)])
    # 0.1 s/step, 5 steps left -> ETA 0.5 s -> "%ds" -> "0s"; done = 20*5/10 = 10.
    assert stream.getvalue() == (
        "\r\x1b[1m 5/10\x1b[0m "
        f"\x1b[32m{BAR * 10}\x1b[0m\x1b[37m{BAR * 10}\x1b[0m "
        "\x1b[1m0s\x1b[0m 100ms/step - loss: 0.2500")


def test_dynamic_final_update_shows_elapsed_time_and_ends_the_line():
    bar, clock, stream = make_bar(4, dynamic=True)
    run_steps(bar, clock, 1.0, 1.0, 4, None)
    last = stream.getvalue().split("\r")[-1]
    assert last == f"\x1b[1m4/4\x1b[0m \x1b[32m{BAR * 20}\x1b[0m \x1b[1m4s\x1b[0m 1s/step\n"
    assert "\b" not in stream.getvalue()


def test_dynamic_redraw_pads_with_spaces_over_a_longer_previous_line():
    bar, clock, stream = make_bar(10, dynamic=True, stateful_metrics=["loss"])
    clock.now = 1.0
    bar.update(1, [("loss", 100.0)])
    clock.now = 2.0
    bar.update(2, [("loss", 1.0)])
    first, second = stream.getvalue().split("\r")[1:]
    # "100.0000" -> "1.0000": two characters shorter, so two spaces erase them.
    assert second.endswith("loss: 1.0000  ")
    assert len(ANSI.sub("", first)) == len(ANSI.sub("", second))


def test_tty_stream_is_dynamic_and_plain_stream_is_not():
    tty = FakeTTY()
    bar = Progbar(3, stream=tty, clock=FakeClock())
    bar.update(1)
    assert tty.getvalue().startswith("\r\x1b[1m")

    plain = io.StringIO()
    bar = Progbar(3, stream=plain, clock=FakeClock())
    bar.update(1)
    bar.update(3)
    assert plain.getvalue() == f"3/3 {BAR * 20} 0s 0s/step\n"


def test_quick_updates_are_throttled_to_one_redraw_per_interval():
    tty = FakeTTY()
    clock = FakeClock()
    bar = Progbar(100, stream=tty, clock=clock, interval=0.05)
    for step in range(1, 51):  # 50 updates within 0.049 s
        clock.now = step * 0.001 - 0.001
        bar.update(step)
    assert tty.getvalue().count("\r") == 1
    assert tty.isatty_calls == 1  # between redraws update() does no I/O at all
    clock.now = 0.05
    bar.update(51)
    assert tty.getvalue().count("\r") == 2
    bar.update(100)  # the final update draws even with no time elapsed
    assert tty.getvalue().count("\r") == 3 and tty.getvalue().endswith("\n")


@pytest.mark.parametrize("target, seconds_per_step, eta, per_step", [
    (5, 0.5, "2s", "500ms/step"),            # ETA 4 * 0.5 = 2 s
    (131, 0.5, "1:05", "500ms/step"),        # ETA 130 * 0.5 = 65 s
    (3724, 1.0, "1:02:03", "1s/step"),       # ETA 3723 s
    (1025, 2**-12, "0s", "244us/step"),      # 244.14 us; ETA 0.25 s
])
def test_eta_and_time_per_step_formats(target, seconds_per_step, eta, per_step):
    bar, clock, stream = make_bar(target, dynamic=True)
    clock.now = seconds_per_step
    bar.update(1)
    count = f"{1:{len(str(target))}d}/{target}"
    assert ANSI.sub("", stream.getvalue()) == f"\r{count} {BAR * 20} {eta} {per_step}"


def test_small_values_use_e_notation_and_others_four_decimals():
    bar, clock, stream = make_bar(
        1, verbose=2, stateful_metrics=["a", "b", "c", "d"])
    clock.now = 1.0
    bar.update(1, [("a", 1e-4), ("b", 0.5), ("c", -0.25), ("d", 0.0)])
    assert stream.getvalue() == (
        "1/1 - 1s - 1s/step - a: 1.0000e-04 - b: 0.5000 - c: -0.2500"
        " - d: 0.0000e+00\n")


def test_unknown_target_shows_count_and_unknown():
    bar, clock, stream = make_bar(None, dynamic=True)
    clock.now = 2.0
    bar.update(7)
    assert ANSI.sub("", stream.getvalue()) == "\r      7/Unknown 2s 286ms/step"


def test_unknown_target_in_a_file_prints_only_when_finalized():
    bar, clock, stream = make_bar(None)
    clock.now = 1.0
    bar.update(4)
    assert stream.getvalue() == ""
    bar.update(4, finalize=True)
    assert stream.getvalue() == "      4/Unknown 1s 250ms/step\n"


def test_stateless_values_are_averaged_weighted_by_step_increment():
    bar, clock, stream = make_bar(10, dynamic=True, interval=0.0,
                                  stateful_metrics=["acc"])
    bar.update(2, [("loss", 1.0), ("acc", 1.0)])
    bar.update(3, [("loss", 4.0), ("acc", 4.0)])
    # loss: (1.0 * 2 steps + 4.0 * 1 step) / 3 steps = 2.0; acc shown as given.
    assert stream.getvalue().split("\r")[-1].endswith(" - loss: 2.0000 - acc: 4.0000")


def test_final_update_shows_stateless_value_as_given_like_keras_3():
    bar, clock, stream = make_bar(2)
    bar.update(1, [("loss", 1.0)])
    bar.update(2, [("loss", 3.0)])
    assert stream.getvalue().endswith(" - loss: 3.0000\n")


def test_add_advances_by_n_steps():
    bar, clock, stream = make_bar(6, verbose=2)
    bar.add(2)
    bar.add(4)
    assert stream.getvalue().startswith("6/6 - ")


def test_default_stream_is_stdout_at_write_time(monkeypatch):
    bar = Progbar(1, clock=FakeClock())
    captured = io.StringIO()
    monkeypatch.setattr(sys, "stdout", captured)
    bar.update(1)
    assert captured.getvalue() == f"1/1 {BAR * 20} 0s 0s/step\n"


@pytest.mark.parametrize("kwargs", [{"verbose": 3}, {"target": -1}, {"target": 2.5}])
def test_invalid_arguments_raise_value_error_naming_them(kwargs):
    args = {"target": 10, **kwargs}
    with pytest.raises(ValueError, match="verbose" if "verbose" in kwargs else "target"):
        Progbar(**args)
