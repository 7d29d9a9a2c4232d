"""The benchmark suite runs end to end in quick mode (a smoke test: nothing is asserted on time)."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_quick_benchmarks_write_every_workload(tmp_path):
    # One BLAS thread: a smoke run on a busy machine with threads fighting for its cores can take
    # many minutes; the timeout only guards against a hang.
    subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--out", str(tmp_path)],
                   cwd=ROOT, check=True, capture_output=True, text=True, timeout=1200,
                   env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"})
    results = json.loads((tmp_path / "results.json").read_text())["results"]
    assert [r["id"] for r in results] == ["W1", "W2", "W3", "W4", "W5", "W5P", "W6"]
    for result in results[:3] + results[4:]:
        names = [row["implementation"] for row in result["rows"]]
        assert names[:2] == ["numpy (hand-written)", "microkeras"]
        assert all(row["ratio"] > 0 for row in result["rows"])
    assert {"microkeras (functional)", "microkeras fit call"} <= {row["implementation"] for row in results[0]["rows"]}
    assert len(results[3]["rows"]) == 2  # two file sizes
    assert "| microkeras |" in (tmp_path / "results.md").read_text()


def test_handwritten_baseline_matches_microkeras_on_one_step():
    # The baseline must do the same work: same initial weights, one Adam step on one batch
    # gives the same loss and the same new weights as microkeras's train_on_batch.
    import numpy

    from benchmarks.handwritten import HandwrittenMLP
    from benchmarks.workloads import mlp

    rng = numpy.random.default_rng(0)
    x = rng.random((16, 8), dtype=numpy.float32)
    y = numpy.eye(3, dtype=numpy.float32)[rng.integers(0, 3, 16)]
    model, net = mlp([8, 5, 3]), HandwrittenMLP([8, 5, 3])
    net.params = [w.copy() for w in model.get_weights()]
    hand_loss = net.train_step(x, y)
    assert model.train_on_batch(x, y) == pytest.approx(hand_loss, rel=1e-5)
    for mine, theirs in zip(model.get_weights(), net.params):
        numpy.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-7)
