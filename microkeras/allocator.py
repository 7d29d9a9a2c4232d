"""Keeping freed step-sized buffers in the process heap, so that the next step reuses them.

A training step allocates the same large temporaries every time (a
convolution's columns and outputs, pooling masks, their gradients: several
megabytes each) and frees them at its end.  With glibc's default policy the
freed memory goes back to the operating system (the heap top is trimmed once
more than a few megabytes are free, and an array above the dynamic mmap
threshold is unmapped when freed), so the next step takes the same memory back
page by page: about 6,000 page faults per step of the W5 CNN, 20-30% of its
time.  A hand-written numpy loop avoids them by preallocating every buffer;
frameworks with their own allocator (PyTorch, XLA) keep freed blocks for
reuse.  :func:`retain_freed_memory` gets the same effect from glibc itself:

- arrays up to :data:`MMAP_THRESHOLD` come from the heap (larger ones, such as
  a whole dataset, are still mapped and unmapped on their own);
- freed memory at the top of the heap is kept until more than
  :data:`TRIM_THRESHOLD` is free.

The process's resident memory then stays at the peak of a step instead of
dropping between steps.  It runs once, when microkeras is imported, on Linux
with glibc; elsewhere, when the user chose glibc's malloc settings already
(``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_``, ``GLIBC_TUNABLES``),
or with ``MICROKERAS_RETAIN_FREED_MEMORY=0`` it does nothing.
"""

import ctypes
import os
import platform

MMAP_THRESHOLD = 64 << 20
TRIM_THRESHOLD = 512 << 20

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameter numbers in glibc's malloc.h
_USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES")


def retain_freed_memory():
    """Set glibc's malloc thresholds as described in the module; return whether they were set."""
    if os.environ.get("MICROKERAS_RETAIN_FREED_MEMORY", "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    if any(name in os.environ for name in _USER_SETTINGS):
        return False
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    # The trim threshold first: setting either one turns off glibc's dynamic adjustment of both.
    return bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) and mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
