"""microkeras.allocator: a step's freed buffers are reused, not faulted back in page by page."""

import os
import platform
import subprocess
import sys

import pytest

from microkeras import allocator

glibc_only = pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                                reason="the thresholds are glibc's")

# Four 16 MB arrays made, written and freed, as a training step does with its temporaries: with glibc's
# default policy the freed 64 MB is returned to the system and the next "step" faults it back in.
STEP_FAULTS = """
import resource, numpy
import microkeras
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
def step():
    arrays = [numpy.ones(4 << 20, numpy.float32) for _ in range(4)]
    del arrays
step()
before = faults()
for _ in range(10):
    step()
print((faults() - before) / 10)
"""


def faults_per_step(**env):
    clean = {k: v for k, v in os.environ.items()
             if k not in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES",
                          "MICROKERAS_RETAIN_FREED_MEMORY")}
    result = subprocess.run([sys.executable, "-c", STEP_FAULTS], env={**clean, **env}, capture_output=True,
                            text=True, check=True, timeout=120)
    return float(result.stdout)


@glibc_only
def test_a_step_reuses_the_memory_the_previous_step_freed():
    assert faults_per_step() < 50
    # The same loop with the setting turned off shows what the test guards against.
    assert faults_per_step(MICROKERAS_RETAIN_FREED_MEMORY="0") > 500


@pytest.mark.parametrize("env", [{"MICROKERAS_RETAIN_FREED_MEMORY": "0"}, {"MALLOC_TRIM_THRESHOLD_": "131072"},
                                 {"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=131072"}])
def test_the_user_s_choice_is_left_alone(monkeypatch, env):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert allocator.retain_freed_memory() is False
