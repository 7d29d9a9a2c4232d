"""Run the drop-in programs with real Keras 3, to show they are valid Keras programs.

    KERAS_BACKEND=jax /path/to/keras-venv/bin/python tests/dropin/run_with_keras.py [PROGRAM.py ...]

Run it with a Python that has ``keras`` (3.x) and a backend installed; without
arguments it runs every program in this directory.  Each program runs as
``python PROGRAM.py`` in a fresh temporary directory (programs write files
such as ``model.keras`` to the working directory), with ``KERAS_BACKEND``
defaulting to ``jax``.  Prints one line per program and exits non-zero if any
failed.  The test suite runs the same programs with ``keras`` resolved to
microkeras (``tests/test_dropin.py``).
"""

import os
import pathlib
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
RUNNERS = {"run_with_keras.py", "run_with_microkeras.py"}


def programs():
    """Every drop-in program in this directory, sorted by name."""
    return sorted(path for path in HERE.glob("*.py") if path.name not in RUNNERS)


def run(program, env):
    """Run ``program`` with real Keras in a fresh directory; return ``(returncode, seconds, output)``."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as workdir:
        result = subprocess.run([sys.executable, str(program)], cwd=workdir, env=env,
                                capture_output=True, text=True)
    return result.returncode, time.perf_counter() - start, result.stdout + result.stderr


def main(argv):
    env = dict(os.environ)
    env.setdefault("KERAS_BACKEND", "jax")
    env.pop("PYTHONPATH", None)  # the programs must see the installed Keras, not a checkout's shims
    version = subprocess.run([sys.executable, "-c", "import keras; print(keras.__version__, keras.backend.backend())"],
                             env=env, capture_output=True, text=True)
    if version.returncode != 0 or not version.stdout.startswith("3."):
        raise SystemExit(f"{sys.executable} has no Keras 3:\n{version.stdout}{version.stderr}")
    print(f"Keras {version.stdout.strip()}")
    chosen = [pathlib.Path(arg).resolve() for arg in argv[1:]] or programs()
    failed = []
    for program in chosen:
        returncode, seconds, output = run(program, env)
        print(f"{'ok  ' if returncode == 0 else 'FAIL'} {program.name} ({seconds:.1f} s)", flush=True)
        if returncode != 0:
            failed.append(program.name)
            print("    " + "\n    ".join(output.strip().splitlines()[-15:]))
    print(f"{len(chosen) - len(failed)} of {len(chosen)} programs pass with real Keras")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
