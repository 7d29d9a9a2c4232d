"""Tests for microkeras.metrics: values, weighting, accumulation and name resolution.

Expected numbers are worked out by hand from Keras's formulas (derivations in
the comments) or, for AUC, by an independent loop over thresholds in this file.
"""

import math

import numpy
import pytest

from microkeras import metrics
from microkeras.config import make_rng

# ------------------------------------------------------------ functions


def test_binary_accuracy_thresholds_strictly_above_and_averages_last_axis():
    # y_pred > 0.5 -> [[1, 0], [0, 1]]; y_pred == 0.5 is NOT positive.
    # matches: row 0 = [1==1, 0==0] -> 1.0; row 1 = [0==1, 1==1] -> 0.5
    y_true = [[1, 0], [1, 1]]
    y_pred = [[0.9, 0.5], [0.2, 0.7]]
    numpy.testing.assert_allclose(metrics.binary_accuracy(y_true, y_pred), [1.0, 0.5])
    # threshold 0.1 -> [[1, 1], [1, 1]]: row 0 = 0.5, row 1 = 1.0
    numpy.testing.assert_allclose(metrics.binary_accuracy(y_true, y_pred, threshold=0.1), [0.5, 1.0])


def test_binary_accuracy_expands_rank_1_labels_against_column_predictions():
    # (N,) labels vs (N, 1) scores give one value per sample: 0.8 > .5 == 1, 0.3 <= .5 != 1
    numpy.testing.assert_allclose(metrics.binary_accuracy([1, 1], [[0.8], [0.3]]), [1.0, 0.0])


def test_categorical_and_sparse_accuracy_compare_argmax():
    y_pred = [[0.1, 0.9, 0.8], [0.05, 0.95, 0.0], [0.6, 0.3, 0.1]]
    # argmax(y_pred) = [1, 1, 0]; labels [2, 1, 0] -> [0, 1, 1]
    numpy.testing.assert_allclose(metrics.categorical_accuracy(numpy.eye(3)[[2, 1, 0]], y_pred), [0, 1, 1])
    numpy.testing.assert_allclose(metrics.sparse_categorical_accuracy([2, 1, 0], y_pred), [0, 1, 1])
    numpy.testing.assert_allclose(metrics.sparse_categorical_accuracy([[2], [1], [0]], y_pred), [0, 1, 1])


def test_top_k_accuracy_counts_ties_at_the_boundary_as_hits():
    # Row 0: label 0 has score 0.1; two scores (0.5, 0.4) are strictly above -> in top 3, not top 2.
    # Row 1: label 2 has score 0.3, tied with class 1; only 0.4 is strictly above -> in top 2.
    y_pred = [[0.1, 0.5, 0.4], [0.4, 0.3, 0.3]]
    numpy.testing.assert_allclose(metrics.sparse_top_k_categorical_accuracy([0, 2], y_pred, k=2), [0, 1])
    numpy.testing.assert_allclose(metrics.sparse_top_k_categorical_accuracy([[0], [2]], y_pred, k=3), [1, 1])
    one_hot = numpy.eye(3)[[0, 2]]
    numpy.testing.assert_allclose(metrics.top_k_categorical_accuracy(one_hot, y_pred, k=2), [0, 1])
    # k defaults to 5 (Keras): with 3 classes everything is a hit.
    numpy.testing.assert_allclose(metrics.top_k_categorical_accuracy(one_hot, y_pred), [1, 1])


def test_accuracy_is_exact_equality():
    # [1==0, 2==2, 3==3, 4==4] -> [0, 1, 1, 1]
    numpy.testing.assert_allclose(metrics.accuracy([[1], [2], [3], [4]], [[0], [2], [3], [4]]), [0, 1, 1, 1])


def test_regression_functions_match_hand_arithmetic():
    y_true = numpy.array([[1.0, 2.0], [0.0, 4.0]])
    y_pred = numpy.array([[2.0, 2.0], [1.0, 1.0]])
    # errors: [[1, 0], [1, -3]]
    # mse: [(1 + 0) / 2, (1 + 9) / 2] = [0.5, 5.0]; mae: [(1 + 0) / 2, (1 + 3) / 2] = [0.5, 2.0]
    numpy.testing.assert_allclose(metrics.mean_squared_error(y_true, y_pred), [0.5, 5.0])
    numpy.testing.assert_allclose(metrics.mean_absolute_error(y_true, y_pred), [0.5, 2.0])
    # mape: 100 * mean(|err| / max(|y|, 1e-7)): row 0 = 100 * (1/1 + 0/2) / 2 = 50;
    # row 1 = 100 * (1/1e-7 + 3/4) / 2 = 5e8 + 37.5
    numpy.testing.assert_allclose(metrics.mean_absolute_percentage_error(y_true, y_pred), [50.0, 5e8 + 37.5])
    # msle row 0: ((log 3 - log 2)^2 + 0) / 2; row 1: ((log 2 - log(1 + 1e-7))^2 + (log 2 - log 5)^2) / 2
    expected = [
        (math.log(3) - math.log(2)) ** 2 / 2,
        ((math.log(2) - math.log(1 + 1e-7)) ** 2 + (math.log(2) - math.log(5)) ** 2) / 2,
    ]
    numpy.testing.assert_allclose(metrics.mean_squared_logarithmic_error(y_true, y_pred), expected)


# --------------------------------------------- Mean and the wrapper classes


def test_mean_with_scalar_value_and_batch_size_weight_gives_sample_weighted_epoch_mean():
    # The trainer's loss tracker: batches of 32 and 8 with losses 1.0 and 2.0
    # -> (32 * 1 + 8 * 2) / 40 = 48 / 40 = 1.2 (not the batch average 1.5).
    loss = metrics.Mean(name="loss")
    loss.update_state(numpy.float32(1.0), sample_weight=32)
    loss.update_state(2.0, sample_weight=8)
    assert loss.result() == pytest.approx(1.2)
    assert loss.name == "loss"


def test_mean_and_sum_weight_values():
    # Keras docstring example: values [1, 3, 5, 7], weights [1, 1, 0, 0]
    # mean = (1 + 3) / 2 = 2; sum = 1 + 3 = 4
    assert metrics.Mean()([1, 3, 5, 7], sample_weight=[1, 1, 0, 0]) == 2.0
    assert metrics.Sum()([1, 3, 5, 7], sample_weight=[1, 1, 0, 0]) == 4.0
    assert metrics.Mean()([1, 3, 5, 7]) == 4.0


def test_wrapper_accumulates_across_updates_weighted_by_sample_count():
    m = metrics.BinaryAccuracy()
    m.update_state([[1], [0]], [[0.9], [0.2]])  # 2 hits of 2
    m.update_state([[1], [1], [0], [0]], [[0.1], [0.2], [0.3], [0.9]])  # 1 hit of 4
    # (2 + 1) / (2 + 4) = 0.5, not the mean of batch means (1.0 + 0.25) / 2
    assert m.result() == pytest.approx(0.5)
    m.reset_state()
    assert m.result() == 0.0
    m.update_state([[1]], [[0.9]])
    assert m.result() == 1.0
    m.reset_states()  # Keras 2 spelling
    assert m.result() == 0.0


def test_call_updates_then_returns_running_result():
    m = metrics.MeanAbsoluteError()
    assert m([[0.0]], [[2.0]]) == 2.0  # |2 - 0| = 2
    assert m([[0.0]], [[4.0]]) == 3.0  # (2 + 4) / 2


def test_per_sample_weights_weight_samples():
    # CategoricalAccuracy (Keras docstring): hits [0, 1], weights [0.7, 0.3] -> 0.3 / 1.0 = 0.3
    m = metrics.CategoricalAccuracy()
    m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], sample_weight=[0.7, 0.3])
    assert m.result() == pytest.approx(0.3)
    # MSE: per-sample [0.5, 5.0] (see above), weights [3, 1] -> (1.5 + 5) / 4 = 1.625
    m = metrics.MeanSquaredError()
    m.update_state([[1.0, 2.0], [0.0, 4.0]], [[2.0, 2.0], [1.0, 1.0]], sample_weight=[3, 1])
    assert m.result() == pytest.approx(1.625)


def test_per_timestep_weights_apply_to_each_entry():
    # Sparse accuracy over (N=2, T=2) steps: hits [[1, 0], [1, 1]], weights [[1, 0], [1, 1]].
    # Keras: per-sample mean of (hit * w) = [0.5, 1.0]; per-sample mean of w = [0.5, 1.0]
    # -> (0.5 + 1.0) / (0.5 + 1.0) = 1.0 (the masked miss does not count).
    y_true = [[0, 1], [2, 0]]
    y_pred = numpy.eye(3)[[[0, 0], [2, 0]]]  # argmax [[0, 0], [2, 0]]
    m = metrics.SparseCategoricalAccuracy()
    m.update_state(y_true, y_pred, sample_weight=[[1, 0], [1, 1]])
    assert m.result() == pytest.approx(1.0)
    m.reset_state()
    m.update_state(y_true, y_pred)  # unweighted: (0.5 + 1.0) / 2
    assert m.result() == pytest.approx(0.75)


def test_root_mean_squared_error_is_sqrt_of_weighted_mean_square():
    # Keras docstring: squared errors [[1, 0], [0, 0]] -> per sample [0.5, 0]
    # unweighted sqrt(0.25) = 0.5; weights [1, 0] -> sqrt(0.5 / 1)
    m = metrics.RootMeanSquaredError()
    assert m([[0, 1], [0, 0]], [[1, 1], [0, 0]]) == pytest.approx(0.5)
    m.reset_state()
    assert m([[0, 1], [0, 0]], [[1, 1], [0, 0]], sample_weight=[1, 0]) == pytest.approx(math.sqrt(0.5))


def test_mismatched_sample_weight_names_the_argument():
    with pytest.raises(ValueError, match="sample_weight"):
        metrics.MeanSquaredError().update_state([[1.0], [2.0]], [[1.0], [2.0]], sample_weight=[1, 2, 3])


def test_default_names_follow_keras():
    expected = {
        metrics.Accuracy: "accuracy",
        metrics.BinaryAccuracy: "binary_accuracy",
        metrics.CategoricalAccuracy: "categorical_accuracy",
        metrics.SparseCategoricalAccuracy: "sparse_categorical_accuracy",
        metrics.TopKCategoricalAccuracy: "top_k_categorical_accuracy",
        metrics.SparseTopKCategoricalAccuracy: "sparse_top_k_categorical_accuracy",
        metrics.MeanSquaredError: "mean_squared_error",
        metrics.MeanAbsoluteError: "mean_absolute_error",
        metrics.MeanAbsolutePercentageError: "mean_absolute_percentage_error",
        metrics.MeanSquaredLogarithmicError: "mean_squared_logarithmic_error",
        metrics.RootMeanSquaredError: "root_mean_squared_error",
        metrics.Precision: "precision",
        metrics.Recall: "recall",
        metrics.AUC: "auc",
        metrics.Mean: "mean",
        metrics.Sum: "sum",
    }
    assert {cls: cls().name for cls in expected} == expected
    assert metrics.TopKCategoricalAccuracy().k == 5
    assert metrics.BinaryAccuracy().threshold == 0.5


def test_binary_accuracy_rejects_threshold_outside_open_unit_interval():
    with pytest.raises(ValueError, match="threshold"):
        metrics.BinaryAccuracy(threshold=1.0)


# ------------------------------------------------------ Precision / Recall


def test_precision_and_recall_default_threshold_half():
    # Keras docstring: y_true [0, 1, 1, 1], y_pred [1, 0, 1, 1]
    # tp = 2 (last two), fp = 1 (first), fn = 1 (second)
    # precision = 2 / 3, recall = 2 / 3; with weights [0, 0, 1, 0] only entry 3 (a tp) counts -> 1.0
    for cls in (metrics.Precision, metrics.Recall):
        m = cls()
        assert m([0, 1, 1, 1], [1, 0, 1, 1]) == pytest.approx(2 / 3)
        m.reset_state()
        assert m([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0]) == 1.0


def test_precision_recall_on_probabilities_with_ties_and_weights():
    # y_pred > 0.5: [1, 0 (0.5 is not above), 1, 0, 1]
    # y_true:       [1, 1,                    0, 1, 1]; weights [1, 2, 3, 1, 2]
    # tp = w0 + w4 = 3; fp = w2 = 3; fn = w1 + w3 = 3
    y_true = [[1], [1], [0], [1], [1]]
    y_pred = [[0.9], [0.5], [0.7], [0.2], [0.6]]
    weights = [1, 2, 3, 1, 2]
    assert metrics.Precision()(y_true, y_pred, sample_weight=weights) == pytest.approx(3 / 6)
    assert metrics.Recall()(y_true, y_pred, sample_weight=weights) == pytest.approx(3 / 6)


def test_precision_with_several_thresholds_returns_one_float_per_threshold_in_given_order():
    # y_true [1, 0, 1], y_pred [0.2, 0.4, 0.8]
    # t = 0.7: positives {0.8}            -> tp 1, fp 0 -> 1.0
    # t = 0.1: positives {0.2, 0.4, 0.8}  -> tp 2, fp 1 -> 2/3
    # t = 0.3: positives {0.4, 0.8}       -> tp 1, fp 1 -> 0.5
    m = metrics.Precision(thresholds=[0.7, 0.1, 0.3])
    result = m([1, 0, 1], [0.2, 0.4, 0.8])
    assert result == pytest.approx([1.0, 2 / 3, 0.5])
    assert all(type(v) is float for v in result)


def test_precision_recall_top_k_counts_only_the_k_highest_scores():
    # Row 0 scores [0.2, 0.5, 0.3], labels [0, 1, 1]: top-2 = classes 1, 2 -> tp 2, fp 0, fn 0
    # Row 1 scores [0.6, 0.1, 0.3], labels [0, 1, 0]: top-2 = classes 0, 2 -> tp 0, fp 2, fn 1
    # precision = 2 / 4 = 0.5; recall = 2 / 3
    y_true = [[0, 1, 1], [0, 1, 0]]
    y_pred = [[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]]
    assert metrics.Precision(top_k=2)(y_true, y_pred) == pytest.approx(0.5)
    assert metrics.Recall(top_k=2)(y_true, y_pred) == pytest.approx(2 / 3)
    # Keras docstring: equal scores keep the lowest indices -> positives at [0, 1], labels 0 there
    assert metrics.Precision(top_k=2)([0, 0, 1, 1], [1, 1, 1, 1]) == 0.0


def test_precision_recall_class_id_restricts_to_one_column():
    # Column 1: labels [1, 1, 0], scores [0.5, 0.6, 0.9] -> positives (> 0.5) at rows 1, 2
    # tp = 1 (row 1), fp = 1 (row 2), fn = 1 (row 0: 0.5 is not above 0.5)
    y_true = [[0, 1], [0, 1], [1, 0]]
    y_pred = [[0.5, 0.5], [0.4, 0.6], [0.1, 0.9]]
    assert metrics.Precision(class_id=1)(y_true, y_pred) == pytest.approx(0.5)
    assert metrics.Recall(class_id=1)(y_true, y_pred) == pytest.approx(0.5)
    # Per-sample weights [1, 3, 0] follow the row: tp = 3, fp = 0, fn = 1
    assert metrics.Precision(class_id=1)(y_true, y_pred, sample_weight=[1, 3, 0]) == 1.0
    assert metrics.Recall(class_id=1)(y_true, y_pred, sample_weight=[1, 3, 0]) == pytest.approx(3 / 4)


def test_precision_with_no_predicted_positives_is_zero_not_nan():
    assert metrics.Precision()([1, 0], [0.1, 0.2]) == 0.0
    assert metrics.Recall()([0, 0], [0.9, 0.2]) == 0.0


def test_precision_rejects_thresholds_outside_unit_interval():
    with pytest.raises(ValueError, match="thresholds"):
        metrics.Precision(thresholds=[0.5, 1.5])


# -------------------------------------------------------------------- AUC


def _reference_counts(y_true, y_pred, weights, thresholds):
    """tp, fp, tn, fn per threshold by a plain loop (independent of metrics.py)."""
    rows = []
    for t in thresholds:
        positive = y_pred > t
        rows.append(
            [
                numpy.sum(weights * (y_true == 1) * positive),
                numpy.sum(weights * (y_true == 0) * positive),
                numpy.sum(weights * (y_true == 0) * ~positive),
                numpy.sum(weights * (y_true == 1) * ~positive),
            ]
        )
    return numpy.array(rows, dtype=numpy.float64).T


def _reference_roc_auc(y_true, y_pred, weights, num_thresholds):
    """Trapezoids under (fpr, tpr) at Keras's thresholds [-eps, 1/(n-1), ..., 1 + eps]."""
    inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    thresholds = [-1e-7] + inner + [1 + 1e-7]
    tp, fp, tn, fn = _reference_counts(y_true, y_pred, weights, thresholds)
    tpr = numpy.where(tp + fn > 0, tp / numpy.maximum(tp + fn, 1e-300), 0.0)
    fpr = numpy.where(fp + tn > 0, fp / numpy.maximum(fp + tn, 1e-300), 0.0)
    return sum((fpr[i] - fpr[i + 1]) * (tpr[i] + tpr[i + 1]) / 2 for i in range(len(thresholds) - 1))


def test_auc_roc_keras_docstring_example_by_hand():
    # thresholds [-1e-7, 0.5, 1 + 1e-7]; y_true [0, 0, 1, 1], y_pred [0, 0.5, 0.3, 0.9]
    # tp = [2, 1, 0], fp = [2, 0, 0], fn = [0, 1, 2], tn = [0, 2, 2]
    # tpr = [1, 0.5, 0], fpr = [1, 0, 0]
    # auc = (1 - 0) * (1 + 0.5) / 2 + (0 - 0) * (0.5 + 0) / 2 = 0.75
    m = metrics.AUC(num_thresholds=3)
    assert m([0, 0, 1, 1], [0, 0.5, 0.3, 0.9]) == pytest.approx(0.75)
    # weights [1, 0, 0, 1]: only (y=0, p=0) and (y=1, p=0.9) remain -> perfectly separated -> 1.0
    m.reset_state()
    assert m([0, 0, 1, 1], [0, 0.5, 0.3, 0.9], sample_weight=[1, 0, 0, 1]) == pytest.approx(1.0)


def test_auc_summation_methods_and_pr_interpolation_by_hand():
    # Keras's test case: y_true [0, 0, 1, 1], y_pred [0, 0.5, 0.3, 0.9], weights [1, 2, 3, 4], 3 thresholds
    # tp = [7, 4, 0], fp = [3, 0, 0], fn = [0, 3, 7], tn = [0, 3, 3]
    # recall = [1, 4/7, 0], fpr = [1, 0, 0], precision = [0.7, 1, 0]
    args = ([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    weights = [1, 2, 3, 4]

    def auc(**kwargs):
        return metrics.AUC(num_thresholds=3, **kwargs)(*args, sample_weight=weights)

    # ROC interpolation: (1 - 0) * (1 + 4/7) / 2 = 11/14
    assert auc() == pytest.approx(11 / 14)
    # ROC minoring: (1 - 0) * min(1, 4/7) = 4/7; majoring: 1 * max(1, 4/7) = 1
    assert auc(summation_method="minoring") == pytest.approx(4 / 7)
    assert auc(summation_method="majoring") == pytest.approx(1.0)
    # PR minoring: widths [1 - 4/7, 4/7 - 0], heights [min(0.7, 1), min(1, 0)] -> 3/7 * 0.7 = 0.3
    assert auc(curve="PR", summation_method="minoring") == pytest.approx(0.3)
    # PR majoring: heights [1, 1] -> 3/7 + 4/7 = 1
    assert auc(curve="PR", summation_method="majoring") == pytest.approx(1.0)
    # PR interpolation (Davis & Goadrich): P = tp + fp = [10, 4, 0], dTP = [3, 4], dP = [6, 4]
    # slope = [0.5, 1], intercept = tp[1:] - slope * P[1:] = [4 - 2, 0 - 0] = [2, 0]
    # ratio P_a / P_b = [10 / 4, 1 (P_b = 0)] ; area = slope * (dTP + intercept * log ratio) / 7
    # = [0.5 * (3 + 2 log 2.5), 1 * 4] / 7
    expected = (0.5 * (3 + 2 * math.log(2.5)) + 4) / 7
    assert auc(curve="PR") == pytest.approx(expected)


def test_auc_roc_matches_independent_trapezoid_and_accumulates_over_batches():
    rng = make_rng(0)
    y_true = (rng.random(300) < 0.4).astype(numpy.float32)
    # Scores correlated with the label, with exact 0.0, 1.0 and threshold-valued entries too.
    y_pred = numpy.clip(0.3 * y_true + 0.7 * rng.random(300), 0, 1).astype(numpy.float32)
    y_pred[:3] = [0.0, 1.0, 0.5]
    weights = rng.random(300)
    expected = _reference_roc_auc(y_true, y_pred.astype(numpy.float64), weights, 50)

    m = metrics.AUC(num_thresholds=50)
    for start in range(0, 300, 64):
        batch = slice(start, start + 64)
        m.update_state(y_true[batch, None], y_pred[batch, None], sample_weight=weights[batch])
    assert m.result() == pytest.approx(expected, rel=1e-12)
    # State is one count per threshold, whatever the number of samples seen.
    assert m._confusion().shape == (4, 50)


def test_auc_with_200_thresholds_approximates_rank_statistic():
    # Exact ROC-AUC = P(score of a positive > score of a negative) (Mann-Whitney).
    rng = make_rng(1)
    y_true = rng.random(400) < 0.5
    y_pred = numpy.clip(0.2 * y_true + 0.8 * rng.random(400), 0, 1)
    pos, neg = y_pred[y_true], y_pred[~y_true]
    exact = numpy.mean(pos[:, None] > neg[None, :])
    assert metrics.AUC()(y_true, y_pred) == pytest.approx(exact, abs=5e-3)


def test_auc_thresholds_default_to_200_evenly_spaced_with_epsilon_endpoints():
    thresholds = metrics.AUC().thresholds
    assert len(thresholds) == 200
    assert thresholds[0] == -1e-7 and thresholds[-1] == 1 + 1e-7
    assert thresholds[1] == pytest.approx(1 / 199) and thresholds[198] == pytest.approx(198 / 199)
    # Given thresholds are sorted and framed by the same endpoints.
    assert metrics.AUC(thresholds=[0.6, 0.2]).thresholds == [-1e-7, 0.2, 0.6, 1 + 1e-7]


def test_auc_from_logits_applies_sigmoid_first():
    logits = numpy.array([-3.0, 0.4, -0.5, 2.0])
    probabilities = 1 / (1 + numpy.exp(-logits))
    y_true = [0, 0, 1, 1]
    expected = metrics.AUC(num_thresholds=7)(y_true, probabilities)
    assert metrics.AUC(num_thresholds=7, from_logits=True)(y_true, logits) == pytest.approx(expected)


def test_auc_multi_label_averages_per_label_aucs():
    # 5 thresholds [-eps, .25, .5, .75, 1 + eps]; y_true [[0, 1], [1, 0]], y_pred [[.1, .2], [.9, .3]]
    # Label 0: (y, p) = (0, .1), (1, .9): tpr [1, 1, 1, 1, 0], fpr [1, 0, 0, 0, 0]
    #   auc = (1 - 0) * (1 + 1) / 2 = 1
    # Label 1: (1, .2), (0, .3): tpr [1, 0, 0, 0, 0], fpr [1, 1, 0, 0, 0]
    #   auc = (1 - 1) * (1 + 0) / 2 + (1 - 0) * (0 + 0) / 2 = 0
    # multi_label: mean(1, 0) = 0.5
    y_true = numpy.array([[0, 1], [1, 0]])
    y_pred = numpy.array([[0.1, 0.2], [0.9, 0.3]])
    assert metrics.AUC(num_thresholds=5, multi_label=True)(y_true, y_pred) == pytest.approx(0.5)
    # Pooled: positives .9, .2; negatives .1, .3 -> tp [2, 1, 1, 1, 0], fp [2, 1, 0, 0, 0]
    # tpr [1, .5, .5, .5, 0], fpr [1, .5, 0, 0, 0]
    # auc = (1 - .5) * (1 + .5) / 2 + (.5 - 0) * (.5 + .5) / 2 = 0.375 + 0.25 = 0.625
    assert metrics.AUC(num_thresholds=5)(y_true, y_pred) == pytest.approx(0.625)


def test_auc_without_data_is_zero_and_validates_arguments():
    assert metrics.AUC().result() == 0.0
    with pytest.raises(ValueError, match="num_thresholds"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="curve"):
        metrics.AUC(curve="ROCK")
    with pytest.raises(ValueError, match="summation_method"):
        metrics.AUC(summation_method="trapezoid")


# ---------------------------------------------------- accuracy resolution


@pytest.mark.parametrize(
    "y_true_shape, y_pred_shape, expected",
    [
        ((32, 1), (32, 1), metrics.BinaryAccuracy),  # one output unit
        ((32,), (32, 1), metrics.BinaryAccuracy),
        ((32,), (32, 10), metrics.SparseCategoricalAccuracy),  # lower-rank labels
        ((32, 1), (32, 10), metrics.SparseCategoricalAccuracy),  # (N, 1) labels vs many outputs
        ((32, 10), (32, 10), metrics.CategoricalAccuracy),  # one-hot
    ],
)
def test_get_accuracy_follows_keras_shape_rule(y_true_shape, y_pred_shape, expected):
    for name in ("accuracy", "acc"):
        metric = metrics.get_accuracy(name, y_true_shape, y_pred_shape)
        assert type(metric) is expected
        assert metric.name == name  # History keys are the user's string


def test_get_accuracy_names_the_metric_as_the_user_wrote_it():
    assert metrics.get_accuracy("acc", (8,), (8, 3)).name == "acc"
    assert metrics.get_accuracy("Accuracy", (8, 3), (8, 3)).name == "Accuracy"


def test_is_accuracy_name_is_case_insensitive_and_exact():
    assert all(metrics.is_accuracy_name(s) for s in ("accuracy", "acc", "ACC", "Accuracy"))
    assert not any(metrics.is_accuracy_name(s) for s in ("binary_accuracy", "accu", None, 3))


# -------------------------------------------------------------------- get


@pytest.mark.parametrize(
    "identifier, cls",
    [
        ("binary_accuracy", metrics.BinaryAccuracy),
        ("categorical_accuracy", metrics.CategoricalAccuracy),
        ("sparse_categorical_accuracy", metrics.SparseCategoricalAccuracy),
        ("top_k_categorical_accuracy", metrics.TopKCategoricalAccuracy),
        ("sparse_top_k_categorical_accuracy", metrics.SparseTopKCategoricalAccuracy),
        ("mean_squared_error", metrics.MeanSquaredError),
        ("mean_absolute_error", metrics.MeanAbsoluteError),
        ("mean_absolute_percentage_error", metrics.MeanAbsolutePercentageError),
        ("mean_squared_logarithmic_error", metrics.MeanSquaredLogarithmicError),
        ("root_mean_squared_error", metrics.RootMeanSquaredError),
        ("precision", metrics.Precision),
        ("recall", metrics.Recall),
        ("auc", metrics.AUC),
        ("mse", metrics.MeanSquaredError),
        ("MSE", metrics.MeanSquaredError),
        ("mae", metrics.MeanAbsoluteError),
        ("MAE", metrics.MeanAbsoluteError),
        ("mape", metrics.MeanAbsolutePercentageError),
        ("MAPE", metrics.MeanAbsolutePercentageError),
        ("msle", metrics.MeanSquaredLogarithmicError),
        ("MSLE", metrics.MeanSquaredLogarithmicError),
        ("BinaryAccuracy", metrics.BinaryAccuracy),
        ("AUC", metrics.AUC),
    ],
)
def test_get_resolves_string_to_new_metric_named_by_that_string(identifier, cls):
    metric = metrics.get(identifier)
    assert type(metric) is cls
    assert metric.name == identifier
    assert metrics.get(identifier) is not metric


def test_get_passes_instances_through_and_wraps_functions():
    auc = metrics.AUC(name="my_auc")
    assert metrics.get(auc) is auc

    def hits(y_true, y_pred):
        return (numpy.asarray(y_true) == numpy.round(y_pred))[:, 0]

    wrapped = metrics.get(hits)
    assert isinstance(wrapped, metrics.MeanMetricWrapper) and wrapped.name == "hits"
    # hits = [1, 0, 1] with weights [1, 1, 2] -> (1 + 2) / 4
    assert wrapped([[1], [0], [1]], [[0.9], [0.8], [0.7]], sample_weight=[1, 1, 2]) == pytest.approx(0.75)


def test_get_unknown_string_names_metrics_and_lists_choices():
    with pytest.raises(ValueError, match="`metrics`") as info:
        metrics.get("accuarcy")
    assert "'accuarcy'" in str(info.value) and "'binary_accuracy'" in str(info.value)


def test_get_refers_accuracy_strings_to_get_accuracy():
    with pytest.raises(ValueError, match="get_accuracy"):
        metrics.get("acc")


def test_get_rejects_other_types():
    with pytest.raises(TypeError, match="metrics"):
        metrics.get(3)
    with pytest.raises(TypeError):
        metrics.get(None)


# --------------------------------------------------- results and configs


def _every_metric():
    return [
        metrics.Accuracy(),
        metrics.BinaryAccuracy(threshold=0.3),
        metrics.CategoricalAccuracy(),
        metrics.SparseCategoricalAccuracy(),
        metrics.TopKCategoricalAccuracy(k=2),
        metrics.SparseTopKCategoricalAccuracy(k=2),
        metrics.MeanSquaredError(),
        metrics.MeanAbsoluteError(),
        metrics.MeanAbsolutePercentageError(),
        metrics.MeanSquaredLogarithmicError(),
        metrics.RootMeanSquaredError(),
        metrics.Precision(class_id=1),
        metrics.Recall(top_k=1),
        metrics.AUC(num_thresholds=20, curve="PR"),
    ]


def test_every_result_is_a_python_float_before_and_after_updates():
    y_true = numpy.eye(3, dtype=numpy.float32)[[0, 2, 1, 2]]
    y_pred = numpy.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.5, 0.4, 0.1], [0.2, 0.2, 0.6]], numpy.float32)
    sparse = numpy.argmax(y_true, axis=1)
    for metric in _every_metric():
        assert type(metric.result()) is float, metric
        labels = sparse if "Sparse" in type(metric).__name__ else y_true
        metric.update_state(labels, y_pred)
        assert type(metric.result()) is float, metric


def test_serialize_round_trips_every_metric():
    for metric in _every_metric():
        clone = metrics.deserialize(metrics.serialize(metric))
        assert type(clone) is type(metric)
        assert clone.get_config() == metric.get_config()
    wrapper = metrics.MeanMetricWrapper(metrics.mean_absolute_error, name="l1")
    clone = metrics.deserialize(metrics.serialize(wrapper))
    assert clone.name == "l1" and clone([[0.0]], [[3.0]]) == 3.0


def test_a_custom_metric_keeps_its_state_in_variables_as_in_keras_3():
    # keras.io's BinaryTruePositives: state made with add_variable, assigned in update_state,
    # reset by the default reset_state; History holds floats, not the variable.
    import microkeras
    from microkeras.layers import Dense

    class TruePositives(metrics.Metric):
        def __init__(self, name="true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.count = self.add_variable(shape=(), initializer="zeros", name="count")

        def update_state(self, y_true, y_pred, sample_weight=None):
            hits = numpy.logical_and(numpy.asarray(y_true) > 0.5, numpy.asarray(y_pred) > 0.5)
            self.count.assign(self.count + hits.sum())

        def result(self):
            return self.count

    metric = TruePositives()
    metric.update_state(numpy.array([1, 1, 0, 1]), numpy.array([0.9, 0.2, 0.8, 0.7]))
    assert float(metric.result()) == 2.0 and metric.variables == [metric.count]
    metric.reset_state()
    assert float(metric.result()) == 0.0
    model = microkeras.Sequential([microkeras.Input((3,)), Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy", metrics=[TruePositives()])
    x = numpy.random.default_rng(0).random((16, 3)).astype("float32")
    y = (x.sum(axis=1) > 1.5).astype("float32")
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert all(type(value) is float for value in history.history["true_positives"])
    prediction = model.predict(x, verbose=0)[:, 0]
    assert model.evaluate(x, y, verbose=0, return_dict=True)["true_positives"] == float(((y > 0.5) & (prediction > 0.5)).sum())
