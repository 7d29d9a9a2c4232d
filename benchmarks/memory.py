"""W4 in a fresh process: peak resident memory of ``fit`` on a memory-mapped file.

``python -m benchmarks.memory PATH SIZE_MB`` writes a float32 ``.npy`` of about
SIZE_MB megabytes at PATH (784 features per row), then, in this process, opens
it with ``numpy.load(mmap_mode='r')``, resets the kernel's peak-RSS mark, runs
one shuffled epoch of ``fit``, and prints one JSON line: the RSS before
``fit`` and the peak growth during it, in MB.  Linux only (reads /proc).
"""

import json
import sys

import numpy


def _status(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # kB -> MB
    raise RuntimeError(f"{field} not found in /proc/self/status")


def write_file(path, size_mb, features=784):
    rows = int(size_mb * 2**20 // (4 * features))
    array = numpy.lib.format.open_memmap(path, mode="w+", dtype=numpy.float32, shape=(rows, features))
    rng = numpy.random.default_rng(0)
    for start in range(0, rows, 8192):
        array[start:start + 8192] = rng.random((min(8192, rows - start), features), dtype=numpy.float32)
    array.flush()
    del array


def main(path, size_mb):
    from microkeras.layers import Dense, Input
    from microkeras.models import Sequential

    write_file(path, size_mb)
    x = numpy.load(path, mmap_mode="r")
    y = numpy.random.default_rng(1).integers(0, 10, len(x))
    model = Sequential([Input((x.shape[1],)), Dense(64, activation="relu"), Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x[:1024], y[:1024], batch_size=256, verbose=0)  # warm up, allocate the optimizer slots
    with open("/proc/self/clear_refs", "w") as clear:  # reset VmHWM, the peak-RSS mark, to the current RSS
        clear.write("5")
    baseline = _status("VmRSS")
    model.fit(x, y, batch_size=256, epochs=1, shuffle=True, verbose=0)
    peak = _status("VmHWM")
    print(json.dumps({"file_mb": round(x.nbytes / 2**20, 1), "baseline_mb": round(baseline, 1),
                      "peak_mb": round(peak, 1), "growth_mb": round(peak - baseline, 1)}))


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
