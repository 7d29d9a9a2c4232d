"""The bundled digits dataset: shapes, dtypes, ranges, the fixed stratified split."""

import numpy as np
import pytest

from microkeras.datasets import digits

# Per-class row counts of the 1,797-sample UCI test set (sklearn's digits.csv.gz).
CLASS_SIZES = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


@pytest.fixture(scope="module")
def split():
    return digits.load_data()


def test_load_data_returns_mnist_style_uint8_arrays(split):
    (x_train, y_train), (x_test, y_test) = split
    assert x_train.shape == (1438, 8, 8) and y_train.shape == (1438,)
    assert x_test.shape == (359, 8, 8) and y_test.shape == (359,)
    for array in (x_train, y_train, x_test, y_test):
        assert array.dtype == np.uint8


def test_pixels_span_0_to_16_and_labels_0_to_9(split):
    (x_train, y_train), (x_test, y_test) = split
    for x in (x_train, x_test):
        assert x.min() == 0 and x.max() == 16
    for y in (y_train, y_test):
        assert set(np.unique(y)) == set(range(10))


def test_split_is_stratified_with_a_fifth_of_each_class_in_test(split):
    (_, y_train), (_, y_test) = split
    test_counts = np.bincount(y_test, minlength=10)
    train_counts = np.bincount(y_train, minlength=10)
    assert (train_counts + test_counts).tolist() == CLASS_SIZES
    assert test_counts.tolist() == [round(0.2 * n) for n in CLASS_SIZES]


def test_train_and_test_partition_all_1797_rows_without_overlap(split):
    (x_train, _), (x_test, _) = split
    assert len(x_train) + len(x_test) == 1797
    # All 1,797 source images are distinct, so a row shared by both parts
    # (or repeated within one) would show as fewer unique rows.
    rows = np.concatenate([x_train, x_test]).reshape(-1, 64)
    assert len(np.unique(rows, axis=0)) == 1797


def test_first_training_sample_is_the_first_source_row(split):
    # Row 0 of digits.csv.gz is a 0 and fell in train; train keeps source order.
    (x_train, y_train), _ = split
    assert y_train[0] == 0
    assert x_train[0, 0].tolist() == [0, 0, 5, 13, 9, 1, 0, 0]
    assert x_train[0, 7].tolist() == [0, 0, 6, 13, 10, 0, 0, 0]


def test_two_loads_give_equal_arrays(split):
    again = digits.load_data()
    for first, second in zip(sum(split, ()), sum(again, ())):
        np.testing.assert_array_equal(first, second)


def test_loads_return_independent_arrays(split):
    (x_train, _), _ = split
    (x_again, _), _ = digits.load_data()
    assert not np.shares_memory(x_train, x_again)
