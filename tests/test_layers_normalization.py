"""Normalization layers and the ``ops.standardize`` primitive under them.

Every layer goes through ``check_layer``; outputs for fixed weights are compared
with formulas written here in plain numpy (float64) from Keras 3's documented
behaviour, not with microkeras's own code.
"""

import re

import numpy
import pytest

from microkeras import Input, Sequential, ops
from microkeras.layers import (BatchNormalization, Dense, GroupNormalization, LayerNormalization,
                               UnitNormalization)
from microkeras.testing import (assert_float32_backward, call_with_weights, check_gradient, check_layer,
                                random_input)


def standardized(x, axes, epsilon):
    """``(x - mean) / sqrt(var + epsilon)`` with numpy's mean and biased variance (ddof=0) over ``axes``."""
    x = numpy.asarray(x, numpy.float64)
    return (x - x.mean(axis=axes, keepdims=True)) / numpy.sqrt(x.var(axis=axes, keepdims=True) + epsilon)


def data(shape, seed=0, scale=3.0, shift=1.0):
    """Float32 values far from mean 0 / variance 1, so that normalizing visibly changes them."""
    return (numpy.random.default_rng(seed).normal(size=shape) * scale + shift).astype(numpy.float32)


# ------------------------------------------------------------ ops.standardize
@pytest.mark.parametrize("shape, axes", [((4, 3), (0,)), ((4, 3), (1,)), ((2, 3, 4), (1, 2)), ((2, 3, 4), (0, 1))])
def test_standardize_gradient_matches_finite_differences_in_float64(shape, axes):
    x = data(shape).astype(numpy.float64)
    check_gradient(lambda v: ops.standardize(v, axes, 1e-3)[0], x)


def test_standardize_keeps_every_cotangent_float32():
    x = data((5, 4, 3))
    probe = data((5, 4, 3), seed=1)
    grad = assert_float32_backward(lambda v: (ops.standardize(v, (0, 1), 1e-3)[0] * probe).sum(), x)
    assert grad.dtype == numpy.float32


def test_standardize_returns_numpys_mean_and_biased_variance_as_constants():
    x = data((6, 5))
    normalized, mean, variance = ops.standardize(x, (0,), 1e-3)
    assert normalized.dtype == mean.dtype == variance.dtype == numpy.float32
    numpy.testing.assert_allclose(mean, x.mean(axis=0, keepdims=True), rtol=1e-6)
    numpy.testing.assert_allclose(variance, x.var(axis=0, keepdims=True), rtol=1e-5)
    numpy.testing.assert_allclose(normalized, standardized(x, (0,), 1e-3), rtol=1e-5, atol=1e-6)


# ------------------------------------------------------- ops.standardize_masked
def keras_masked_moments(x, mask, axis, fuzz=1e-7):
    """Keras 3's masked moments (BatchNormalization._moments), written channel by channel in float64.

    The mask has one entry per position of every axis of ``x`` but the last,
    and is shared by the last axis.  For each channel along ``axis``, over the
    entries of that channel the mask keeps: mean = sum(values) / (count + fuzz)
    and variance = sum((values - mean) ** 2) / (count + fuzz), with Keras's
    ``epsilon()`` (1e-7) as the fuzz, so a channel with nothing kept gets 0 and 0.
    """
    x = numpy.asarray(x, numpy.float64)
    kept = numpy.broadcast_to(numpy.asarray(mask, bool)[..., None], x.shape)
    means, variances = [], []
    for channel in range(x.shape[axis]):
        values = numpy.take(x, channel, axis)[numpy.take(kept, channel, axis)]
        mean = values.sum() / (values.size + fuzz)
        means.append(mean)
        variances.append(((values - mean) ** 2).sum() / (values.size + fuzz))
    return numpy.array(means), numpy.array(variances)


def padded_batch(shape=(4, 5, 3), seed=0):
    """``(x, mask)``: float32 data whose masked positions hold 50, far from the rest, so that statistics
    taking them in would be far off; step 4 is masked in every sample and sample 3 is all masked."""
    x = data(shape, seed)
    mask = numpy.random.default_rng(seed + 1).random(shape[:2]) > 0.4
    mask[:, 0], mask[:, 4], mask[3] = True, False, False
    x[~mask] = 50.0
    return x, mask


def along(values, axis, ndim):
    """Per-channel ``values`` shaped to broadcast along ``axis`` of an array of rank ``ndim``."""
    shape = [1] * ndim
    shape[axis] = -1
    return numpy.reshape(values, shape)


@pytest.mark.parametrize("axis", [-1, 1])
def test_standardize_masked_returns_keras_masked_moments_and_normalizes_every_entry(axis):
    x, mask = padded_batch()
    axes = tuple(a for a in range(3) if a != axis % 3)
    weights = mask[..., None].astype(numpy.float32)
    normalized, mean, variance = ops.standardize_masked(x, weights, axes, 1e-3, 1e-7)
    assert normalized.dtype == mean.dtype == variance.dtype == numpy.float32
    expected_mean, expected_variance = keras_masked_moments(x, mask, axis)
    if axis == 1:  # step 4 keeps nothing: 0 / (0 + 1e-7)
        assert expected_mean[4] == expected_variance[4] == 0.0
    numpy.testing.assert_allclose(mean.ravel(), expected_mean, rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(variance.ravel(), expected_variance, rtol=1e-5, atol=1e-6)
    # Masked entries are normalized too, by the statistics of the kept ones.
    expected = (x - along(expected_mean, axis, 3)) / numpy.sqrt(along(expected_variance, axis, 3) + 1e-3)
    numpy.testing.assert_allclose(normalized, expected, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("axes", [(0, 1), (0, 2), (1,)])
@pytest.mark.parametrize("fuzz", [1e-7, 0.5])
def test_standardize_masked_gradient_matches_finite_differences_in_float64(axes, fuzz):
    # A large fuzz makes visible the term it adds to the gradient (the kept deviations no longer sum to 0).
    x, mask = padded_batch()
    x = data(x.shape).astype(numpy.float64)  # no outsized values: finite differences stay accurate
    weights = mask[..., None].astype(numpy.float64)
    check_gradient(lambda v: ops.standardize_masked(v, weights, axes, 1e-3, fuzz)[0], x)


def test_standardize_masked_keeps_every_cotangent_float32():
    x, mask = padded_batch()
    probe = data(x.shape, seed=1)
    weights = mask[..., None].astype(numpy.float32)
    grad = assert_float32_backward(lambda v: (ops.standardize_masked(v, weights, (0, 1), 1e-3, 1e-7)[0]
                                              * probe).sum(), x)
    assert grad.dtype == numpy.float32


# --------------------------------------------------------- BatchNormalization
@pytest.mark.parametrize("training", [True, False])
def test_batch_normalization_passes_layer_checks(training):
    check_layer(BatchNormalization, (6, 4), (6, 4), 2, 2, training=training, input_data=data((6, 4)))


@pytest.mark.parametrize("kwargs, n_trainable", [({"axis": 1}, 2), ({"center": False}, 1), ({"scale": False}, 1),
                                                 ({"center": False, "scale": False}, 0)])
def test_batch_normalization_variants_pass_layer_checks(kwargs, n_trainable):
    check_layer(lambda: BatchNormalization(**kwargs), (3, 4, 5), (3, 4, 5), n_trainable, 2, training=True,
                input_data=data((3, 4, 5)))


def test_batch_normalization_has_keras_defaults_and_weights_gamma_beta_moving_mean_moving_variance():
    layer = BatchNormalization()
    assert (layer.axis, layer.momentum, layer.epsilon, layer.center, layer.scale) == (-1, 0.99, 1e-3, True, True)
    layer(numpy.zeros((2, 3, 5), numpy.float32))
    assert [w.name for w in layer.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.shape for w in layer.weights] == [(5,)] * 4
    assert [w.name for w in layer.trainable_weights] == ["gamma", "beta"]
    # Keras initializes gamma and moving_variance to ones, beta and moving_mean to zeros.
    for weight, value in zip(layer.get_weights(), (1.0, 0.0, 0.0, 1.0)):
        numpy.testing.assert_array_equal(weight, numpy.full(5, value, numpy.float32))


def set_bn_weights(layer, seed=5):
    rng = numpy.random.default_rng(seed)
    size = layer.gamma.shape[0]
    gamma, beta = rng.uniform(0.5, 2.0, size), rng.normal(size=size)
    moving_mean, moving_variance = rng.normal(size=size), rng.uniform(0.5, 2.0, size)
    layer.set_weights([gamma, beta, moving_mean, moving_variance])
    return gamma, beta, moving_mean, moving_variance


def test_batch_normalization_training_output_uses_the_batch_mean_and_biased_variance():
    layer = BatchNormalization()
    x = data((8, 3))
    layer(x)
    gamma, beta, _, _ = set_bn_weights(layer)
    # Keras: (x - mean) / sqrt(var + epsilon) * gamma + beta, statistics of the batch over axis 0.
    expected = standardized(x, (0,), 1e-3) * gamma + beta
    numpy.testing.assert_allclose(layer(x, training=True), expected, rtol=1e-5, atol=1e-5)


def test_batch_normalization_inference_output_uses_the_moving_statistics():
    layer = BatchNormalization(epsilon=0.01)
    x = data((8, 3))
    layer(x)
    gamma, beta, moving_mean, moving_variance = set_bn_weights(layer)
    expected = (x - moving_mean) / numpy.sqrt(moving_variance + 0.01) * gamma + beta
    numpy.testing.assert_allclose(layer(x), expected, rtol=1e-5, atol=1e-5)
    numpy.testing.assert_allclose(layer(x, training=False), expected, rtol=1e-5, atol=1e-5)


def test_batch_normalization_on_axis_1_normalizes_each_channel_over_batch_and_steps():
    layer = BatchNormalization(axis=1)
    x = data((4, 3, 5))
    layer(x)
    gamma, beta, moving_mean, moving_variance = set_bn_weights(layer)
    per_channel = (slice(None), None)  # weights of shape (3,) broadcast as (3, 1)
    expected = (x - moving_mean[per_channel]) / numpy.sqrt(moving_variance[per_channel] + 1e-3) \
        * gamma[per_channel] + beta[per_channel]
    numpy.testing.assert_allclose(layer(x), expected, rtol=1e-5, atol=1e-5)
    expected = standardized(x, (0, 2), 1e-3) * gamma[per_channel] + beta[per_channel]
    numpy.testing.assert_allclose(layer(x, training=True), expected, rtol=1e-5, atol=1e-5)


def test_batch_normalization_called_with_training_true_updates_its_moving_statistics_once():
    layer = BatchNormalization(momentum=0.8)
    x = data((8, 3))
    layer(x)  # inference: no update
    numpy.testing.assert_array_equal(layer.moving_mean.numpy(), numpy.zeros(3))
    layer(x, training=True)  # as in Keras, a direct call in training mode updates the statistics
    numpy.testing.assert_allclose(layer.moving_mean.numpy(), 0.2 * x.mean(axis=0), rtol=1e-5)
    numpy.testing.assert_allclose(layer.moving_variance.numpy(), 0.8 + 0.2 * x.var(axis=0), rtol=1e-5)


def test_batch_normalization_moving_statistics_after_fit_follow_keras_momentum_formula():
    x = data((12, 3))
    layer = BatchNormalization(momentum=0.9)
    model = Sequential([Input((3,)), layer])
    model.compile("sgd", "mse")
    model.fit(x, numpy.zeros((12, 3), numpy.float32), batch_size=4, epochs=2, shuffle=False, verbose=0)
    # Keras: moving = moving * momentum + batch * (1 - momentum) once per step, from 0 (mean) and 1 (variance),
    # with the biased variance of each batch.
    moving_mean, moving_variance = numpy.zeros(3), numpy.ones(3)
    for _ in range(2):
        for start in range(0, 12, 4):
            batch = x[start:start + 4].astype(numpy.float64)
            moving_mean = moving_mean * 0.9 + batch.mean(axis=0) * 0.1
            moving_variance = moving_variance * 0.9 + batch.var(axis=0) * 0.1
    numpy.testing.assert_allclose(layer.moving_mean.numpy(), moving_mean, rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(layer.moving_variance.numpy(), moving_variance, rtol=1e-5, atol=1e-6)
    # predict and evaluate run in inference mode: they use the moving statistics and update nothing.
    gamma, beta = layer.gamma.numpy(), layer.beta.numpy()
    expected = (x - moving_mean) / numpy.sqrt(moving_variance + 1e-3) * gamma + beta
    numpy.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-5)
    model.evaluate(x, numpy.zeros((12, 3), numpy.float32), verbose=0)
    numpy.testing.assert_allclose(layer.moving_mean.numpy(), moving_mean, rtol=1e-5, atol=1e-6)


def test_frozen_batch_normalization_runs_in_inference_mode_inside_fit_and_keeps_its_statistics():
    x = data((8, 3))
    layer = BatchNormalization(trainable=False)
    dense = Dense(1, kernel_initializer="ones")
    model = Sequential([Input((3,)), layer, dense])
    model.compile("sgd", "mse")
    gamma, beta, moving_mean, moving_variance = set_bn_weights(layer)
    # Keras 3: a BatchNormalization layer with trainable=False normalizes with its moving statistics even when
    # training=True, so fit's first (and only) step sees the inference output and updates nothing of the layer.
    normalized = (x - moving_mean) / numpy.sqrt(moving_variance + 1e-3) * gamma + beta
    y = numpy.zeros((8, 1), numpy.float32)
    expected_loss = numpy.mean((normalized.sum(axis=1) - 0.0) ** 2)  # kernel of ones, bias 0
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    numpy.testing.assert_allclose(history.history["loss"][0], expected_loss, rtol=1e-5)
    for weight, before in zip(layer.get_weights(), (gamma, beta, moving_mean, moving_variance)):
        numpy.testing.assert_allclose(weight, before, rtol=1e-6)
    numpy.testing.assert_allclose(layer(x, training=True), normalized, rtol=1e-5, atol=1e-5)
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 4
    assert not numpy.array_equal(dense.kernel.numpy(), numpy.ones((3, 1)))  # the rest of the model trained


@pytest.mark.parametrize("axis", [-1, 1])
def test_batch_normalization_with_a_mask_trains_on_the_statistics_of_the_kept_positions(axis):
    x, mask = padded_batch()
    layer = BatchNormalization(axis=axis, momentum=0.8)
    layer(x)
    gamma, beta, _, _ = set_bn_weights(layer)
    layer.set_weights([gamma, beta, numpy.zeros_like(gamma), numpy.ones_like(gamma)])
    out = layer(x, training=True, mask=mask)
    mean, variance = keras_masked_moments(x, mask, axis)
    # Keras: every position normalized by the masked moments, then * gamma + beta.
    expected = ((x - along(mean, axis, 3)) / numpy.sqrt(along(variance, axis, 3) + 1e-3) * along(gamma, axis, 3)
                + along(beta, axis, 3))
    numpy.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-4)
    # One training call: moving = moving * momentum + batch * (1 - momentum), from 0 (mean) and 1 (variance).
    numpy.testing.assert_allclose(layer.moving_mean.numpy(), 0.2 * mean, rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(layer.moving_variance.numpy(), 0.8 + 0.2 * variance, rtol=1e-5, atol=1e-6)


def test_batch_normalization_with_a_mask_gradients_match_finite_differences():
    x, mask = padded_batch()
    x = data(x.shape).astype(numpy.float64)
    layer = BatchNormalization()
    layer(x.astype(numpy.float32))
    weights = [w.astype(numpy.float64) for w in set_bn_weights(layer)]

    def output(gamma, beta, inputs):
        return call_with_weights(layer, [gamma, beta] + weights[2:], inputs, training=True, mask=mask)

    check_gradient(lambda v: output(weights[0], weights[1], v), x)
    check_gradient(lambda v: output(v, weights[1], x), weights[0])
    check_gradient(lambda v: output(weights[0], v, x), weights[1])
    # The mask is what these gradients saw: without it the output differs.
    assert not numpy.allclose(output(*weights[:2], x), call_with_weights(layer, weights, x, training=True))


def test_batch_normalization_with_a_mask_keeps_every_cotangent_float32():
    x, mask = padded_batch()
    layer = BatchNormalization()
    layer(x)
    gamma, beta, moving_mean, moving_variance = (w.astype(numpy.float32) for w in set_bn_weights(layer))
    probe = data(x.shape, seed=1)

    def loss(values):
        out, _ = layer.stateless_call(values[:2], [moving_mean, moving_variance], values[2], training=True,
                                      mask=mask)
        return (out * probe).sum()

    grads = assert_float32_backward(loss, [gamma, beta, x])
    assert [g.shape for g in grads] == [(3,), (3,), x.shape]


@pytest.mark.parametrize("trainable, training", [(True, False), (False, True)])
def test_batch_normalization_in_inference_uses_its_moving_statistics_mask_or_not(trainable, training):
    x, mask = padded_batch()
    layer = BatchNormalization(trainable=trainable)
    layer(x)
    gamma, beta, moving_mean, moving_variance = set_bn_weights(layer)
    out = layer(x, training=training, mask=mask)
    numpy.testing.assert_allclose(out, (x - moving_mean) / numpy.sqrt(moving_variance + 1e-3) * gamma + beta,
                                  rtol=1e-5, atol=1e-4)
    numpy.testing.assert_allclose(layer.moving_mean.numpy(), moving_mean, rtol=1e-6)
    numpy.testing.assert_allclose(layer.moving_variance.numpy(), moving_variance, rtol=1e-6)


def re_shape(shape):
    return re.escape(str(tuple(shape)))


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("mask_shape", [(4, 5, 3), (4,), (4, 3)])
def test_batch_normalization_refuses_a_mask_that_does_not_fit_naming_the_layer_and_both_shapes(training,
                                                                                                 mask_shape):
    x, _ = padded_batch()
    layer = BatchNormalization(name="bn")
    with pytest.raises(ValueError, match=rf"BatchNormalization 'bn'.*mask of shape {re_shape(mask_shape)}"
                                         r".*inputs of shape \(4, 5, 3\)"):
        layer(x, training=training, mask=numpy.ones(mask_shape, bool))


@pytest.mark.parametrize("axis, shape, message", [
    (2, (None, 4), r"BatchNormalization 'bn': axis 2 is out of range for input shape \(None, 4\)"),
    (-1, (None, None), r"BatchNormalization 'bn' needs a known size on axis -1.*\(None, None\)"),
])
def test_batch_normalization_build_errors_name_the_layer_and_the_shape(axis, shape, message):
    with pytest.raises(ValueError, match=message):
        BatchNormalization(axis=axis, name="bn").build(shape)


@pytest.mark.parametrize("kwargs, match", [({"momentum": 1.5}, "momentum"), ({"epsilon": -1.0}, "epsilon"),
                                           ({"axis": [1, 2]}, "axis"), ({"renorm": True}, "renorm"),
                                           ({"synchronized": True}, "synchronized")])
def test_batch_normalization_rejects_invalid_arguments_naming_them(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        BatchNormalization(**kwargs)


def test_batch_normalization_config_has_keras_keys_and_round_trips():
    layer = BatchNormalization(axis=1, momentum=0.9, epsilon=0.01, center=False)
    config = layer.get_config()
    # The keys of Keras 3.15's BatchNormalization.get_config (besides the base Layer's).
    assert {"axis", "momentum", "epsilon", "center", "scale", "beta_initializer", "gamma_initializer",
            "moving_mean_initializer", "moving_variance_initializer", "beta_regularizer", "gamma_regularizer",
            "beta_constraint", "gamma_constraint", "synchronized", "renorm", "renorm_clipping",
            "renorm_momentum"} <= set(config)
    clone = BatchNormalization.from_config(config)
    assert (clone.axis, clone.momentum, clone.epsilon, clone.center) == (1, 0.9, 0.01, False)


# --------------------------------------------------------- LayerNormalization
def test_layer_normalization_passes_layer_checks_and_normalizes_each_sample():
    layer = check_layer(LayerNormalization, (4, 6), (4, 6), 2, 0, input_data=data((4, 6)))
    x = data((4, 6), seed=1)
    gamma, beta = numpy.random.default_rng(2).uniform(0.5, 2.0, (2, 6))
    layer.set_weights([gamma, beta])
    # Keras: statistics of each sample over `axis`, then * gamma + beta (same in training and inference).
    expected = standardized(x, (1,), 1e-3) * gamma + beta
    numpy.testing.assert_allclose(layer(x), expected, rtol=1e-5, atol=1e-5)
    numpy.testing.assert_allclose(layer(x, training=True), expected, rtol=1e-5, atol=1e-5)


def test_layer_normalization_over_two_axes_has_weights_of_their_shape():
    layer = check_layer(lambda: LayerNormalization(axis=[1, 2]), (3, 4, 5), (3, 4, 5), 2, 0,
                        input_data=data((3, 4, 5)))
    assert [w.shape for w in layer.weights] == [(4, 5), (4, 5)]
    x = data((3, 4, 5), seed=1)
    gamma, beta = numpy.random.default_rng(2).uniform(0.5, 2.0, (2, 4, 5))
    layer.set_weights([gamma, beta])
    numpy.testing.assert_allclose(layer(x), standardized(x, (1, 2), 1e-3) * gamma + beta, rtol=1e-5, atol=1e-5)


def test_layer_normalization_on_a_middle_axis_broadcasts_its_weights_along_it():
    layer = check_layer(lambda: LayerNormalization(axis=1, center=False), (3, 4, 5), (3, 4, 5), 1, 0,
                        input_data=data((3, 4, 5)))
    gamma = numpy.arange(1.0, 5.0)
    layer.set_weights([gamma])
    expected = standardized(data((3, 4, 5)), (1,), 1e-3) * gamma[:, None]
    numpy.testing.assert_allclose(layer(data((3, 4, 5))), expected, rtol=1e-5, atol=1e-5)


def test_layer_normalization_has_keras_3_defaults_and_config():
    layer = LayerNormalization()
    assert (layer.axis, layer.epsilon, layer.center, layer.scale) == (-1, 1e-3, True, True)
    assert {"axis", "epsilon", "center", "scale", "rms_scaling", "beta_initializer", "gamma_initializer",
            "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"} <= set(layer.get_config())
    with pytest.raises(ValueError, match="axis 3 is out of range for input shape"):
        LayerNormalization(axis=3)(numpy.zeros((2, 3, 4), numpy.float32))
    with pytest.raises(TypeError, match="axis"):
        LayerNormalization(axis="last")


# --------------------------------------------------------- GroupNormalization
def group_normalized(x, groups, epsilon):
    """Keras's GroupNormalization on channels-last ``x``: each sample's channels split into ``groups``
    consecutive groups, each standardized over its channels and all spatial positions."""
    x = numpy.asarray(x, numpy.float64)
    size = x.shape[-1] // groups
    out = numpy.empty_like(x)
    for n in range(x.shape[0]):
        for g in range(groups):
            block = x[n, ..., g * size:(g + 1) * size]
            out[n, ..., g * size:(g + 1) * size] = (block - block.mean()) / numpy.sqrt(block.var() + epsilon)
    return out


def test_group_normalization_passes_layer_checks_and_normalizes_each_group_of_each_sample():
    layer = check_layer(lambda: GroupNormalization(groups=2), (3, 4, 6), (3, 4, 6), 2, 0,
                        input_data=data((3, 4, 6)))
    x = data((3, 4, 6), seed=1)
    gamma, beta = numpy.random.default_rng(2).uniform(0.5, 2.0, (2, 6))
    layer.set_weights([gamma, beta])
    numpy.testing.assert_allclose(layer(x), group_normalized(x, 2, 1e-3) * gamma + beta, rtol=1e-5, atol=1e-5)


def test_group_normalization_with_groups_minus_one_is_instance_normalization():
    layer = check_layer(lambda: GroupNormalization(groups=-1, epsilon=0.01), (2, 3, 3, 4), (2, 3, 3, 4), 2, 0,
                        input_data=data((2, 3, 3, 4)))
    x = data((2, 3, 3, 4), seed=1)
    layer.set_weights([numpy.ones(4), numpy.zeros(4)])  # check_layer trained them one step
    # One group per channel: each channel of each sample standardized over its spatial positions.
    numpy.testing.assert_allclose(layer(x), standardized(x, (1, 2), 0.01), rtol=1e-5, atol=1e-5)


def test_group_normalization_on_a_channels_first_axis_matches_the_channels_last_result():
    layer = check_layer(lambda: GroupNormalization(groups=3, axis=1), (2, 6, 5), (2, 6, 5), 2, 0,
                        input_data=data((2, 6, 5)))
    x = data((2, 6, 5), seed=1)
    gamma, beta = numpy.random.default_rng(2).uniform(0.5, 2.0, (2, 6))
    layer.set_weights([gamma, beta])
    expected = group_normalized(numpy.moveaxis(x, 1, -1), 3, 1e-3) * gamma + beta
    numpy.testing.assert_allclose(layer(x), numpy.moveaxis(expected, -1, 1), rtol=1e-5, atol=1e-5)


def test_group_normalization_has_keras_defaults_and_refuses_channels_not_divisible_by_groups():
    layer = GroupNormalization()
    assert (layer.groups, layer.axis, layer.epsilon) == (32, -1, 1e-3)
    with pytest.raises(ValueError, match=r"GroupNormalization 'gn': the 6 channels of input shape \(None, 6\)"
                                         r".*groups=4"):
        GroupNormalization(groups=4, name="gn").build((None, 6))
    with pytest.raises(ValueError, match="groups"):
        GroupNormalization(groups=0)
    assert {"groups", "axis", "epsilon", "center", "scale"} <= set(layer.get_config())


# ---------------------------------------------------------- UnitNormalization
def test_unit_normalization_passes_layer_checks_and_divides_by_the_l2_norm():
    layer = check_layer(UnitNormalization, (3, 5), (3, 5), 0, 0)
    x = data((3, 5), seed=1)
    numpy.testing.assert_allclose(layer(x), x / numpy.linalg.norm(x, axis=1, keepdims=True), rtol=1e-6)


def test_unit_normalization_over_two_axes_and_of_a_zero_slice():
    layer = check_layer(lambda: UnitNormalization(axis=[1, 2]), (2, 3, 4), (2, 3, 4), 0, 0)
    x = data((2, 3, 4), seed=1)
    x[1] = 0.0
    out = layer(x)
    numpy.testing.assert_allclose(out[0], x[0] / numpy.linalg.norm(x[0]), rtol=1e-6)
    # Keras caps 1 / norm at 1e12, so an all-zero slice stays zero (no NaN).
    numpy.testing.assert_array_equal(out[1], numpy.zeros((3, 4), numpy.float32))
    assert layer.get_config()["axis"] == [1, 2]


def test_normalization_layers_keep_a_random_input_finite_and_float32():
    for layer in (BatchNormalization(), LayerNormalization(), GroupNormalization(groups=1), UnitNormalization()):
        out = layer(random_input((4, 3)), training=True)
        assert out.dtype == numpy.float32 and numpy.isfinite(out).all()
