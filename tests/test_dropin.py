"""The drop-in suite: Keras 3 programs in ``tests/dropin/`` run unchanged with ``keras`` resolved to microkeras.

Each program is a plain Keras 3 script (``import keras``, ``from keras import
layers``) that ends with assertions on what it trained, saved or computed.  It
runs in a subprocess through ``tests/dropin/run_with_microkeras.py``, in a fresh
working directory.  ``tests/dropin/run_with_keras.py`` runs the same files with
real Keras 3, which shows they are valid Keras programs.

``MISSING`` is the one list of programs that do not run yet, each with what
microkeras lacks; they are strict xfails, so one that starts to pass fails here
until it is taken off the list.
"""

import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DROPIN = ROOT / "tests" / "dropin"
RUNNER = DROPIN / "run_with_microkeras.py"
PROGRAMS = sorted(path.name for path in DROPIN.glob("*.py") if not path.name.startswith("run_with_"))

MISSING = {}


def run_program(path, cwd, timeout=300):
    """Run ``path`` with ``keras`` resolved to microkeras; return the completed process."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return subprocess.run([sys.executable, str(RUNNER), str(path)], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def _param(name):
    marks = [pytest.mark.xfail(strict=True, reason=MISSING[name])] if name in MISSING else []
    return pytest.param(name, marks=marks, id=name[:-3])


@pytest.mark.parametrize("name", [_param(name) for name in PROGRAMS])
def test_keras_program_runs_unchanged(name, tmp_path):
    result = run_program(DROPIN / name, tmp_path)
    output = "\n".join((result.stdout + result.stderr).strip().splitlines()[-25:])
    assert result.returncode == 0, f"{name} failed with keras = microkeras:\n{output}"


def test_the_suite_holds_at_least_twenty_programs():
    assert len(PROGRAMS) >= 20, PROGRAMS


def test_every_missing_entry_names_a_program():
    assert set(MISSING) <= set(PROGRAMS), set(MISSING) - set(PROGRAMS)


def test_readme_states_how_many_programs_run_unchanged():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    claim = re.search(r"(\d+) of (\d+) Keras 3 programs in `tests/dropin/` run unchanged", readme)
    assert claim, "README.md should say how many drop-in programs run unchanged"
    assert (int(claim.group(1)), int(claim.group(2))) == (len(PROGRAMS) - len(MISSING), len(PROGRAMS))


def test_keras_and_its_submodules_are_microkeras_in_a_program(tmp_path):
    program = tmp_path / "imports.py"
    program.write_text(
        "import keras\n"
        "import keras.optimizers.schedules\n"
        "from keras import layers, ops\n"
        "from keras.layers import Dense\n"
        "from keras.optimizers.schedules import ExponentialDecay\n"
        "import microkeras\n"
        "assert keras is microkeras and layers is microkeras.layers and ops is microkeras.ops\n"
        "assert Dense is microkeras.layers.Dense\n"
        "assert ExponentialDecay is microkeras.optimizers.schedules.ExponentialDecay\n"
        "assert keras.layers.__spec__.name == 'microkeras.layers'\n"
        "try:\n"
        "    import keras.not_a_module\n"
        "except ModuleNotFoundError as error:\n"
        "    print(error)\n"
    )
    result = run_program(program, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "No module named 'keras.not_a_module'"
