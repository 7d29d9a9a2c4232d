"""Losses: Keras's formulas and reductions, gradients, float32 end to end, and name resolution.

Expected numbers are derived by hand from Keras 3's published formulas
(keras/src/losses/losses.py, backend/numpy/nn.py); several are the values
printed in Keras's own docstrings.
"""

import math

import autograd.numpy as anp
import numpy
import pytest

from microkeras import losses
from microkeras.testing import assert_float32_backward, check_gradient

EPS = 1e-7
rng = numpy.random.default_rng(0)


def _one_hot(labels, num_classes):
    return numpy.eye(num_classes)[labels]


LABELS = numpy.array([0, 2, 1, 2])
ONE_HOT = _one_hot(LABELS, 3)
SIGNS = numpy.array([[1.0, -1.0, 1.0], [-1.0, 1.0, 1.0], [1.0, 1.0, -1.0], [-1.0, -1.0, 1.0]])
# Hinge predictions chosen so every margin 1 - y*p is at least 0.3 away from the kink at 0.
HINGE_PRED = numpy.array([[1.6, 0.3, -0.4], [-1.7, 0.2, 1.5], [0.4, -0.5, 2.1], [0.3, -1.4, 0.6]])
# Huber errors on both sides of delta=1, none near |e| = 1.
HUBER_ERRORS = numpy.array([[0.3, -2.5, 1.8], [-0.4, 0.7, -1.6], [2.2, 0.1, -0.6], [-0.2, 1.4, 0.5]])
SOFT = rng.uniform(0.1, 1.0, (4, 3))

# (case id, class name, constructor kwargs, y_true, y_pred); inputs keep clear of kinks and clip bounds.
CASES = [
    ("mse", "MeanSquaredError", {}, rng.normal(size=(4, 3)), rng.normal(size=(4, 3))),
    ("mae", "MeanAbsoluteError", {}, rng.normal(size=(4, 3)), rng.normal(size=(4, 3))),
    ("mape", "MeanAbsolutePercentageError", {}, rng.uniform(0.5, 2, (4, 3)), rng.normal(size=(4, 3))),
    ("msle", "MeanSquaredLogarithmicError", {}, rng.uniform(0, 2, (4, 3)), rng.uniform(0.1, 2, (4, 3))),
    ("bce", "BinaryCrossentropy", {}, rng.integers(0, 2, (4, 3)), rng.uniform(0.1, 0.9, (4, 3))),
    ("bce_logits", "BinaryCrossentropy", {"from_logits": True}, rng.integers(0, 2, (4, 3)),
     rng.normal(size=(4, 3))),
    ("bce_smooth", "BinaryCrossentropy", {"label_smoothing": 0.2}, rng.integers(0, 2, (4, 3)),
     rng.uniform(0.1, 0.9, (4, 3))),
    ("cce", "CategoricalCrossentropy", {}, ONE_HOT, rng.uniform(0.1, 1.0, (4, 3))),
    ("cce_logits", "CategoricalCrossentropy", {"from_logits": True}, ONE_HOT, rng.normal(size=(4, 3))),
    ("cce_smooth", "CategoricalCrossentropy", {"label_smoothing": 0.1}, ONE_HOT,
     rng.uniform(0.1, 1.0, (4, 3))),
    ("scce", "SparseCategoricalCrossentropy", {}, LABELS, rng.uniform(0.1, 1.0, (4, 3))),
    ("scce_logits", "SparseCategoricalCrossentropy", {"from_logits": True}, LABELS[:, None],
     rng.normal(size=(4, 3))),
    ("hinge", "Hinge", {}, SIGNS, HINGE_PRED),
    ("squared_hinge", "SquaredHinge", {}, SIGNS, HINGE_PRED),
    ("categorical_hinge", "CategoricalHinge", {}, ONE_HOT, rng.normal(size=(4, 3))),
    ("kld", "KLDivergence", {}, SOFT / SOFT.sum(-1, keepdims=True), rng.uniform(0.1, 0.9, (4, 3))),
    ("poisson", "Poisson", {}, rng.uniform(0, 3, (4, 3)), rng.uniform(0.5, 3, (4, 3))),
    ("huber", "Huber", {"delta": 1.0}, numpy.zeros((4, 3)), HUBER_ERRORS),
    ("log_cosh", "LogCosh", {}, rng.normal(size=(4, 3)), rng.normal(size=(4, 3))),
    ("cosine", "CosineSimilarity", {}, rng.normal(size=(4, 3)), rng.normal(size=(4, 3))),
]
CASE_IDS = [case[0] for case in CASES]
WEIGHTS = numpy.array([0.5, 2.0, 0.0, 1.5])


def _loss_object(class_name, kwargs, dtype=None):
    return getattr(losses, class_name)(**kwargs, dtype=dtype)


@pytest.mark.parametrize("case_id, class_name, kwargs, y_true, y_pred", CASES, ids=CASE_IDS)
def test_per_sample_gradient_matches_finite_differences(case_id, class_name, kwargs, y_true, y_pred):
    loss = _loss_object(class_name, kwargs)
    check_gradient(lambda p: loss.fn(y_true, p, **loss.fn_kwargs), y_pred)


@pytest.mark.parametrize("case_id, class_name, kwargs, y_true, y_pred", CASES, ids=CASE_IDS)
def test_weighted_loss_gradient_matches_finite_differences(case_id, class_name, kwargs, y_true, y_pred):
    # dtype="float64": a Loss casts plain-array predictions to its dtype, and finite differences need float64.
    loss = _loss_object(class_name, kwargs, dtype="float64")
    check_gradient(lambda p: loss(y_true, p, sample_weight=WEIGHTS), y_pred)


@pytest.mark.parametrize("case_id, class_name, kwargs, y_true, y_pred", CASES, ids=CASE_IDS)
def test_float32_in_gives_float32_per_sample_and_reduced(case_id, class_name, kwargs, y_true, y_pred):
    loss = _loss_object(class_name, kwargs)
    y_pred32 = y_pred.astype("float32")
    per_sample = loss.fn(y_true.astype("float32"), y_pred32, **loss.fn_kwargs)
    assert per_sample.dtype == numpy.float32
    assert per_sample.shape == (4,)
    assert loss(y_true, y_pred32).dtype == numpy.float32
    assert loss(y_true, y_pred32, sample_weight=WEIGHTS).dtype == numpy.float32


@pytest.mark.parametrize("case_id, class_name, kwargs, y_true, y_pred", CASES, ids=CASE_IDS)
def test_backward_pass_stays_float32(case_id, class_name, kwargs, y_true, y_pred):
    loss = _loss_object(class_name, kwargs)
    y_true32 = y_true.astype("float32")
    assert_float32_backward(lambda p: loss(y_true32, p, sample_weight=WEIGHTS), y_pred.astype("float32"))


def test_float64_lists_become_float32_like_keras_convert_to_tensor():
    assert losses.mean_squared_error([[1.0, 2.0]], [[0.0, 0.0]]).dtype == numpy.float32


# --------------------------------------------------------------------------- crossentropies

KERAS_CCE_TRUE = numpy.array([[0, 1, 0], [0, 0, 1]])
KERAS_CCE_PRED = numpy.array([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])


def test_categorical_crossentropy_matches_keras_docstring_example():
    # Rows already sum to 1. l = [-log 0.95, -log 0.1] = [0.0512933, 2.3025851].
    # sum_over_batch_size: (0.0512933 + 2.3025851) / 2 = 1.1769392; sum: 2.3538784.
    # sample_weight [0.3, 0.7]: (0.3*0.0512933 + 0.7*2.3025851) / 2 = 0.8135988
    # (Keras 3 divides by the 2 samples, not by sum(w) = 1).
    per_sample = losses.categorical_crossentropy(KERAS_CCE_TRUE, KERAS_CCE_PRED)
    numpy.testing.assert_allclose(per_sample, [0.0512933, 2.3025851], rtol=1e-6)
    cce = losses.CategoricalCrossentropy()
    numpy.testing.assert_allclose(cce(KERAS_CCE_TRUE, KERAS_CCE_PRED), 1.1769392, rtol=1e-6)
    numpy.testing.assert_allclose(cce(KERAS_CCE_TRUE, KERAS_CCE_PRED, sample_weight=[0.3, 0.7]), 0.8135988,
                                  rtol=1e-6)
    summed = losses.CategoricalCrossentropy(reduction="sum")(KERAS_CCE_TRUE, KERAS_CCE_PRED)
    numpy.testing.assert_allclose(summed, 2.3538784, rtol=1e-6)


def test_categorical_crossentropy_zero_probability_costs_minus_log_epsilon():
    # p of the true class is 0, clipped up to 1e-7: -log(1e-7) = 16.1180957 (Keras 3 run: 16.118).
    loss = losses.categorical_crossentropy([[1.0, 0.0, 0.0]], numpy.array([[0.0, 1.0, 0.0]], "float32"))
    numpy.testing.assert_allclose(loss, [-math.log(EPS)], rtol=1e-6)


def test_categorical_crossentropy_renormalizes_probabilities():
    # [2, 6, 2] is renormalized to [0.2, 0.6, 0.2]: -log 0.6 = 0.5108256.
    loss = losses.categorical_crossentropy([[0.0, 1.0, 0.0]], [[2.0, 6.0, 2.0]])
    numpy.testing.assert_allclose(loss, [0.5108256], rtol=1e-6)


def test_categorical_crossentropy_label_smoothing():
    # ls = 0.3, 3 classes: y = [0,1,0]*0.7 + 0.1 = [0.1, 0.8, 0.1].
    # -(0.1 log 0.2 + 0.8 log 0.5 + 0.1 log 0.3) = 0.1609438 + 0.5545177 + 0.1203973 = 0.8358588.
    loss = losses.categorical_crossentropy([[0, 1, 0]], [[0.2, 0.5, 0.3]], label_smoothing=0.3)
    numpy.testing.assert_allclose(loss, [0.8358588], rtol=1e-6)


def test_categorical_crossentropy_from_logits_equals_probability_version():
    logits = rng.normal(size=(5, 4)).astype("float32")
    probs = numpy.exp(logits) / numpy.exp(logits).sum(-1, keepdims=True)
    y = _one_hot([0, 3, 1, 2, 3], 4)
    numpy.testing.assert_allclose(losses.categorical_crossentropy(y, logits, from_logits=True),
                                  losses.categorical_crossentropy(y, probs), rtol=1e-5)


def test_categorical_crossentropy_from_logits_is_stable_for_huge_logits():
    # log_softmax([1000, 0]) = [0, -1000]: the loss of class 1 is 1000, not inf/nan.
    loss = losses.categorical_crossentropy([[0.0, 1.0]], numpy.array([[1000.0, 0.0]], "float32"),
                                           from_logits=True)
    numpy.testing.assert_allclose(loss, [1000.0])


def test_binary_crossentropy_means_over_last_axis_like_keras_docstring():
    # Row 1: y=[0,1], p=[.6,.4]: mean(-log .4, -log .4) = 0.9162907.
    # Row 2: y=[0,0], p=[.4,.6]: mean(-log .6, -log .4) = (0.5108256 + 0.9162907)/2 = 0.7135582.
    loss = losses.binary_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    numpy.testing.assert_allclose(loss, [0.9162907, 0.7135582], rtol=1e-6)


def test_binary_crossentropy_clips_probabilities():
    # p = 0 for y = 1 is clipped to 1e-7: -log(1e-7) = 16.1180957; p = 1 for y = 1 costs ~1e-7.
    loss = losses.binary_crossentropy([[1.0], [1.0]], numpy.array([[0.0], [1.0]], "float32"))
    numpy.testing.assert_allclose(loss, [-math.log(EPS), 0.0], rtol=1e-6, atol=2e-7)


def test_binary_crossentropy_from_logits_matches_keras_docstring():
    # Stable form max(z,0) - z*y + log(1 + exp(-|z|)):
    # row 1: z=-18.6,y=0 -> 8.4e-9; z=0.51,y=1 -> log(1+e^-0.51) = 0.4703134; mean 0.2351567.
    # row 2: z=2.94,y=0 -> 2.94 + log(1+e^-2.94) = 2.9915167; z=-12.8,y=0 -> 2.8e-6; mean 1.4957597.
    # Keras prints 0.8654 for the mean and 0.243 with sample_weight [0.8, 0.2]:
    # (0.8*0.2351567 + 0.2*1.4957597) / 2 = 0.2436386.
    y, z = [[0, 1], [0, 0]], [[-18.6, 0.51], [2.94, -12.8]]
    numpy.testing.assert_allclose(losses.binary_crossentropy(y, z, from_logits=True),
                                  [0.2351567, 1.4957597], rtol=1e-5)
    bce = losses.BinaryCrossentropy(from_logits=True)
    numpy.testing.assert_allclose(bce(y, z), 0.8654582, rtol=1e-5)
    numpy.testing.assert_allclose(bce(y, z, sample_weight=[0.8, 0.2]), 0.2436386, rtol=1e-5)


def test_binary_crossentropy_label_smoothing_pulls_targets_to_half():
    # ls = 0.2: y=1 -> 0.9. Loss at p=0.5 is -(0.9 log .5 + 0.1 log .5) = log 2 = 0.6931472.
    loss = losses.binary_crossentropy([[1.0]], [[0.5]], label_smoothing=0.2)
    numpy.testing.assert_allclose(loss, [math.log(2.0)], rtol=1e-6)


@pytest.mark.parametrize("labels", [[1, 2], [[1], [2]]], ids=["shape_N", "shape_N1"])
def test_sparse_categorical_crossentropy_accepts_n_and_n1_labels(labels):
    # Same rows as the categorical docstring example: [-log .95, -log .1].
    loss = losses.sparse_categorical_crossentropy(labels, KERAS_CCE_PRED)
    numpy.testing.assert_allclose(loss, [0.0512933, 2.3025851], rtol=1e-6)
    numpy.testing.assert_allclose(losses.SparseCategoricalCrossentropy()(labels, KERAS_CCE_PRED), 1.1769392,
                                  rtol=1e-6)


def test_sparse_categorical_crossentropy_ignore_class_leaves_samples_out_of_the_mean():
    # Sample 2 is ignored: per-sample [-log .95, 0]; Keras's mask makes the mean over 1 valid sample.
    loss = losses.SparseCategoricalCrossentropy(ignore_class=-1)
    numpy.testing.assert_allclose(loss([1, -1], KERAS_CCE_PRED), 0.0512933, rtol=1e-6)
    numpy.testing.assert_allclose(losses.sparse_categorical_crossentropy([1, -1], KERAS_CCE_PRED, ignore_class=-1),
                                  [0.0512933, 0.0], rtol=1e-6)


def test_sparse_categorical_crossentropy_rejects_out_of_range_labels():
    with pytest.raises(ValueError, match=r"label value of 3 .* \[0, 3\)"):
        losses.sparse_categorical_crossentropy([1, 3], KERAS_CCE_PRED)


def test_sparse_categorical_crossentropy_shape_error_names_target_and_output():
    with pytest.raises(ValueError, match=r"up until the last dimension: target.shape=\(3,\), output.shape=\(2, 3\)"):
        losses.sparse_categorical_crossentropy([0, 1, 2], KERAS_CCE_PRED)


# --------------------------------------------------------------------------- regression and margins


def test_mean_squared_and_absolute_error_by_hand():
    # errors: row 1 [0.5, 0], row 2 [-2, 1]; mse = [0.125, 2.5]; mae = [0.25, 1.5].
    y, p = [[1.0, 2.0], [3.0, 4.0]], [[1.5, 2.0], [1.0, 5.0]]
    numpy.testing.assert_allclose(losses.mse(y, p), [0.125, 2.5])
    numpy.testing.assert_allclose(losses.mae(y, p), [0.25, 1.5])


def test_huber_quadratic_and_linear_regions():
    # Keras docstring: y=[[0,1],[0,0]], p=[[.6,.4],[.4,.6]]: 0.5 e^2 everywhere -> [0.18, 0.13], mean 0.155.
    numpy.testing.assert_allclose(losses.huber([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]), [0.18, 0.13],
                                  rtol=1e-6)
    # e = 2 > delta = 1: 1*2 - 0.5*1 = 1.5;  e = 2 with delta = 3: 0.5*4 = 2.
    numpy.testing.assert_allclose(losses.huber([[0.0]], [[2.0]]), [1.5])
    numpy.testing.assert_allclose(losses.Huber(delta=3.0)([[0.0]], [[2.0]]), 2.0)


def test_hinge_converts_zero_one_labels_to_minus_one_one():
    # y=[[0,1],[1,0]] -> [[-1,1],[1,-1]]. Row 1: max(1+0.3,0)=1.3, max(1-0.8,0)=0.2 -> 0.75.
    # Row 2: max(1+0.2,0)=1.2, max(1+0.5,0)=1.5 -> 1.35. Squared: [(1.69+0.04)/2, (1.44+2.25)/2].
    p = [[0.3, 0.8], [-0.2, 0.5]]
    numpy.testing.assert_allclose(losses.hinge([[0, 1], [1, 0]], p), [0.75, 1.35], rtol=1e-6)
    numpy.testing.assert_allclose(losses.hinge([[-1, 1], [1, -1]], p), [0.75, 1.35], rtol=1e-6)
    numpy.testing.assert_allclose(losses.squared_hinge([[0, 1], [1, 0]], p), [0.865, 1.845], rtol=1e-6)


def test_other_losses_by_hand():
    # categorical_hinge: pos = 0.5, neg = max(0.2, 0, 0.4) = 0.4 -> max(0.4 - 0.5 + 1, 0) = 0.9.
    numpy.testing.assert_allclose(losses.categorical_hinge([[0, 1, 0]], [[0.2, 0.5, 0.4]]), [0.9], rtol=1e-6)
    # mape: 100 * mean(|2-1|/2, |4-5|/4) = 37.5.
    numpy.testing.assert_allclose(losses.mape([[2.0, 4.0]], [[1.0, 5.0]]), [37.5], rtol=1e-6)
    # kld: 0.5 log(0.5/0.25) + 0.5 log(0.5/0.75) = 0.5 (0.6931472 - 0.4054651) = 0.1438410 (a sum, not a mean).
    numpy.testing.assert_allclose(losses.kld([[0.5, 0.5]], [[0.25, 0.75]]), [0.1438410], rtol=1e-6)
    # poisson: mean(1 - 1*log(1), 2 - 2*log 2) = (1 + 0.6137056)/2 = 0.8068528.
    numpy.testing.assert_allclose(losses.poisson([[1.0, 2.0]], [[1.0, 2.0]]), [0.8068528], rtol=1e-6)
    # msle: (log(e - 1 + 1) - log(0 -> 1e-7, + 1))^2 = (1 - 1e-7)^2 ~ 1.
    numpy.testing.assert_allclose(losses.msle([[0.0]], [[math.e - 1.0]]), [1.0], rtol=1e-6)
    # log_cosh (Keras docstring): row 1 mean(log cosh 1, 0) = 0.4337808/2 = 0.2168904; mean of rows 0.108.
    numpy.testing.assert_allclose(losses.log_cosh([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]]),
                                  [0.2168904, 0.0], rtol=1e-6, atol=1e-7)
    # cosine_similarity (Keras docstring): [-0, -1, 1].
    numpy.testing.assert_allclose(
        losses.cosine_similarity([[0.0, 1.0], [1.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0], [-1.0, -1.0]]),
        [0.0, -1.0, 1.0], atol=1e-6)


def test_log_cosh_does_not_overflow_for_large_errors():
    # log cosh(200) = 200 - log 2 = 199.3068528, while cosh(200) overflows float32.
    numpy.testing.assert_allclose(losses.log_cosh([[0.0]], numpy.array([[200.0]], "float32")), [199.3068528])


# --------------------------------------------------------------------------- shapes


def test_rank_differing_by_one_is_squeezed_or_expanded_like_keras():
    # (N,) targets against (N, 1) predictions give one loss per sample, not an (N, N) broadcast.
    y, p = numpy.array([0.0, 1.0, 2.0]), numpy.array([[1.0], [1.0], [1.0]])
    numpy.testing.assert_allclose(losses.mean_squared_error(y, p), [1.0, 0.0, 1.0])
    numpy.testing.assert_allclose(losses.MeanSquaredError()(y, p), 2.0 / 3.0, rtol=1e-6)


def test_shape_mismatch_raises_keras_message():
    with pytest.raises(ValueError) as info:
        losses.binary_crossentropy(numpy.zeros((32, 1)), numpy.full((32, 3), 0.5))
    assert str(info.value) == ("Arguments `target` and `output` must have the same shape. "
                               "Received: target.shape=(32, 1), output.shape=(32, 3)")


# --------------------------------------------------------------------------- reduction and sample weights


def test_sum_over_batch_size_divides_weighted_sum_by_number_of_losses():
    # mse with zero targets: l = [1, 4, 9, 0.25]; w = [0.5, 0.25, 0, 2].
    # sum(w*l) = 0.5 + 1 + 0 + 0.5 = 2.0. Keras 3: sum_over_batch_size = 2.0/4 = 0.5 (not 2.0/sum(w)),
    # sum = 2.0, mean_with_sample_weight = 2.0/2.75 = 0.7272727, None -> [0.5, 1, 0, 0.5].
    y, p, w = numpy.zeros((4, 1)), numpy.array([[1.0], [2.0], [3.0], [0.5]]), numpy.array([0.5, 0.25, 0.0, 2.0])
    expected = {"sum_over_batch_size": 0.5, "sum": 2.0, "mean_with_sample_weight": 2.0 / 2.75}
    for reduction, value in expected.items():
        numpy.testing.assert_allclose(losses.MeanSquaredError(reduction=reduction)(y, p, sample_weight=w), value,
                                      rtol=1e-6)
    numpy.testing.assert_allclose(losses.MeanSquaredError(reduction=None)(y, p, sample_weight=w),
                                  [0.5, 1.0, 0.0, 0.5])
    numpy.testing.assert_allclose(losses.reduce_weighted_values(numpy.array([1.0, 4.0, 9.0, 0.25]), w), 0.5)


def test_two_dimensional_sample_weights_weight_each_timestep():
    # Per-timestep losses (N=2, T=3) = p^2 with p = [[1,2,3],[4,5,6]]: [[1,4,9],[16,25,36]].
    # w (2,3) = [[1,0,1],[0,1,0]]: sum(w*l) = 1 + 9 + 25 = 35 over 6 losses = 5.8333333.
    # w (2,) = [1, 0] covers every step of its sample: (1 + 4 + 9)/6 = 2.3333333.
    p = numpy.arange(1.0, 7.0).reshape(2, 3, 1)
    y = numpy.zeros((2, 3, 1))
    mse = losses.MeanSquaredError()
    numpy.testing.assert_allclose(mse(y, p, sample_weight=[[1, 0, 1], [0, 1, 0]]), 35.0 / 6.0, rtol=1e-6)
    numpy.testing.assert_allclose(mse(y, p, sample_weight=[1, 0]), 14.0 / 6.0, rtol=1e-6)
    numpy.testing.assert_allclose(mse(y, p, sample_weight=[[1], [0]]), 14.0 / 6.0, rtol=1e-6)


def test_scalar_custom_loss_is_spread_over_sample_weights_like_keras():
    # Keras multiplies the scalar l by w (N,) and divides by N: 2 * (1 + 0 + 3 + 0) / 4 = 2.0.
    numpy.testing.assert_allclose(losses.reduce_weighted_values(numpy.float32(2.0), [1.0, 0.0, 3.0, 0.0]), 2.0)


def test_sample_weight_of_wrong_shape_is_rejected():
    with pytest.raises(ValueError, match="`sample_weight` of shape \\(3,\\)"):
        losses.MeanSquaredError()(numpy.zeros((4, 1)), numpy.ones((4, 1)), sample_weight=[1.0, 2.0, 3.0])


def test_unknown_reduction_is_rejected_naming_the_argument():
    with pytest.raises(ValueError, match="argument `reduction`.*reduction='avg'"):
        losses.MeanSquaredError(reduction="avg")


def test_custom_loss_subclass_only_writes_call():
    class ScaledAbsolute(losses.Loss):
        def call(self, y_true, y_pred):
            return 2.0 * anp.sum(anp.abs(y_pred - y_true), axis=-1)

    loss = ScaledAbsolute()
    assert loss.name == "scaled_absolute"
    numpy.testing.assert_allclose(loss([[0.0], [0.0]], [[1.0], [-3.0]]), 4.0)


# --------------------------------------------------------------------------- names, get, serialization


def test_get_resolves_function_names_aliases_and_keras2_spellings():
    assert losses.get("mean_squared_error") is losses.mean_squared_error
    assert losses.get("mse") is losses.get("MSE") is losses.mean_squared_error
    assert losses.get("bce") is losses.binary_crossentropy
    assert losses.get("kld") is losses.get("kullback_leibler_divergence") is losses.kl_divergence
    assert losses.get("logcosh") is losses.log_cosh
    assert losses.get("cosine_proximity") is losses.cosine_similarity
    assert losses.get(None) is None


def test_get_builds_instances_from_class_names_classes_and_configs():
    assert isinstance(losses.get("CategoricalCrossentropy"), losses.CategoricalCrossentropy)
    assert isinstance(losses.get(losses.Huber), losses.Huber)
    instance = losses.BinaryCrossentropy(from_logits=True)
    assert losses.get(instance) is instance
    custom = lambda y_true, y_pred: y_pred  # noqa: E731
    assert losses.get(custom) is custom
    rebuilt = losses.get({"class_name": "BinaryCrossentropy", "config": {"from_logits": True}})
    assert rebuilt.from_logits is True and rebuilt.fn_kwargs["from_logits"] is True


def test_get_unknown_name_error_names_loss_and_lists_choices():
    with pytest.raises(ValueError) as info:
        losses.get("msee")
    message = str(info.value)
    assert "`loss`" in message and "'msee'" in message
    assert "Did you mean 'mse'?" in message and "'categorical_crossentropy'" in message


def test_get_rejects_other_types():
    with pytest.raises(TypeError, match="`loss`"):
        losses.get(3)


def test_default_names_match_keras():
    assert losses.CategoricalCrossentropy().name == "categorical_crossentropy"
    assert losses.MeanSquaredError().name == "mean_squared_error"
    assert losses.KLDivergence().name == "kl_divergence"
    assert losses.Huber().name == "huber_loss"
    assert losses.CategoricalCrossentropy().fn_kwargs == {"from_logits": False, "label_smoothing": 0.0, "axis": -1}


def test_serialize_round_trips_functions_and_loss_objects():
    assert losses.serialize(losses.mse) == "mean_squared_error"
    assert losses.deserialize("mean_squared_error") is losses.mean_squared_error
    original = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0, reduction="sum")
    config = losses.serialize(original)
    assert config == {"module": "microkeras.losses", "class_name": "SparseCategoricalCrossentropy",
                      "config": {"name": "sparse_categorical_crossentropy", "reduction": "sum",
                                 "from_logits": True, "ignore_class": 0}}
    rebuilt = losses.deserialize(config)
    assert type(rebuilt) is losses.SparseCategoricalCrossentropy and rebuilt.get_config() == config["config"]
    wrapped = losses.deserialize(losses.serialize(losses.LossFunctionWrapper(losses.huber, delta=2.0)))
    assert wrapped.fn is losses.huber and wrapped.fn_kwargs == {"delta": 2.0}


def test_to_loss_always_gives_a_loss_named_as_given():
    assert losses.to_loss("mse").name == "mse"
    assert losses.to_loss(losses.log_cosh).name == "log_cosh"
    cce = losses.CategoricalCrossentropy()
    assert losses.to_loss(cce) is cce
    assert isinstance(losses.to_loss("Hinge"), losses.Hinge)
    numpy.testing.assert_allclose(losses.to_loss("mse")([[1.0, 2.0]], [[1.5, 2.0]]), 0.125)


def test_is_sparse_recognizes_every_form_of_sparse_crossentropy():
    for loss in ("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy",
                 losses.sparse_categorical_crossentropy, losses.SparseCategoricalCrossentropy,
                 losses.SparseCategoricalCrossentropy(), losses.to_loss("sparse_categorical_crossentropy")):
        assert losses.is_sparse(loss)
    for loss in ("categorical_crossentropy", losses.CategoricalCrossentropy(), losses.mse, "nonsense"):
        assert not losses.is_sparse(loss)
