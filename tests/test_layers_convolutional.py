"""Convolution layers: every layer through ``check_layer``, Keras's weights and configs, outputs, build-time errors."""

import re

import numpy
import pytest

from microkeras.layers import (Conv1D, Conv2D, Conv2DTranspose, Dense, DepthwiseConv2D, Flatten, Input,
                               SeparableConv2D)
from microkeras.models import Sequential
from microkeras.testing import check_layer, random_input
from tests.test_ops_convolution import reference_conv, reference_conv_transpose, reference_depthwise_conv

# (make the layer, input shape, expected output shape, Keras's weight names and shapes in order)
LAYERS = {
    "conv1d-valid": (lambda: Conv1D(4, 3, bias_initializer="ones"), (2, 8, 3), (2, 6, 4),
                     [("kernel", (3, 3, 4)), ("bias", (4,))]),
    "conv1d-causal-dilated": (lambda: Conv1D(2, 3, padding="causal", dilation_rate=2, bias_initializer="ones"),
                              (2, 7, 3), (2, 7, 2), [("kernel", (3, 3, 2)), ("bias", (2,))]),
    "conv1d-same-strided-groups": (lambda: Conv1D(4, 2, strides=2, padding="same", groups=2, use_bias=False),
                                   (2, 7, 4), (2, 4, 4), [("kernel", (2, 2, 4))]),
    "conv2d-same-relu": (lambda: Conv2D(3, 3, padding="same", activation="relu", bias_initializer="ones"),
                         (2, 5, 6, 2), (2, 5, 6, 3), [("kernel", (3, 3, 2, 3)), ("bias", (3,))]),
    "conv2d-strides-groups": (lambda: Conv2D(4, (3, 2), strides=(2, 1), groups=2, bias_initializer="ones"),
                              (2, 7, 5, 4), (2, 3, 4, 4), [("kernel", (3, 2, 2, 4)), ("bias", (4,))]),
    "conv2d-dilated-no-bias": (lambda: Conv2D(2, 2, dilation_rate=2, use_bias=False), (2, 6, 6, 3), (2, 4, 4, 2),
                               [("kernel", (2, 2, 3, 2))]),
    "conv2d-channels-first": (lambda: Conv2D(3, 3, data_format="channels_first", bias_initializer="ones"),
                              (2, 2, 6, 5), (2, 3, 4, 3), [("kernel", (3, 3, 2, 3)), ("bias", (3,))]),
    "conv2d-transpose-valid": (lambda: Conv2DTranspose(3, 3, strides=2, bias_initializer="ones"), (2, 3, 4, 2),
                               (2, 7, 9, 3), [("kernel", (3, 3, 3, 2)), ("bias", (3,))]),
    "conv2d-transpose-same-output-padding": (
        lambda: Conv2DTranspose(2, (4, 3), strides=2, padding="same", output_padding=(1, 0), bias_initializer="ones"),
        (2, 3, 3, 2), (2, 5, 5, 2), [("kernel", (4, 3, 2, 2)), ("bias", (2,))]),
    "depthwise-conv2d": (lambda: DepthwiseConv2D(3, depth_multiplier=2, bias_initializer="ones"), (2, 5, 6, 3),
                         (2, 3, 4, 6), [("kernel", (3, 3, 3, 2)), ("bias", (6,))]),
    "depthwise-conv2d-same-strided": (lambda: DepthwiseConv2D(2, strides=2, padding="same", use_bias=False),
                                      (2, 5, 5, 2), (2, 3, 3, 2), [("kernel", (2, 2, 2, 1))]),
    "separable-conv2d": (lambda: SeparableConv2D(4, 3, depth_multiplier=2, padding="same", bias_initializer="ones"),
                         (2, 5, 4, 3), (2, 5, 4, 4),
                         [("depthwise_kernel", (3, 3, 3, 2)), ("pointwise_kernel", (1, 1, 6, 4)), ("bias", (4,))]),
}


@pytest.mark.parametrize("key", LAYERS)
def test_layer_passes_check_layer_with_keras_weight_names_shapes_and_order(key):
    make, input_shape, output_shape, weights = LAYERS[key]
    layer = check_layer(make, input_shape, output_shape, len(weights), 0)
    assert [(w.name, w.shape) for w in layer.weights] == weights


def fixed_weights(layer, input_shape, seed=0):
    """Build ``layer`` for ``input_shape`` and give it random weights (bias included); return them."""
    layer(numpy.zeros(input_shape, numpy.float32))
    rng = numpy.random.default_rng(seed)
    weights = [rng.normal(size=w.shape).astype(numpy.float32) for w in layer.weights]
    layer.set_weights(weights)
    return [w.astype(numpy.float64) for w in weights]


@pytest.mark.parametrize("make, strides, padding, dilation", [
    (lambda: Conv2D(3, (3, 2), strides=2, padding="same"), (2, 2), "same", (1, 1)),
    (lambda: Conv2D(4, 3, dilation_rate=(1, 2), groups=2), (1, 1), "valid", (1, 2)),
    (lambda: Conv1D(3, 3, padding="causal", dilation_rate=2), (1,), "causal", (2,)),
    (lambda: Conv1D(3, 4, strides=3), (3,), "valid", (1,)),
])
def test_conv_outputs_match_a_loop_over_output_pixels(make, strides, padding, dilation):
    layer = make()
    shape = (2, 7, 6, 4) if isinstance(layer, Conv2D) else (2, 9, 4)
    kernel, bias = fixed_weights(layer, shape)
    x = random_input(shape)
    expected = reference_conv(x.astype(numpy.float64), kernel, strides, padding, dilation) + bias
    numpy.testing.assert_allclose(layer(x), expected, rtol=1e-5, atol=1e-5)


def test_conv2d_channels_first_matches_channels_last():
    last, first = Conv2D(3, 3, padding="same"), Conv2D(3, 3, padding="same", data_format="channels_first")
    x = random_input((2, 5, 6, 2))
    weights = fixed_weights(last, x.shape)
    first(numpy.zeros((2, 2, 5, 6), numpy.float32))
    first.set_weights(weights)
    numpy.testing.assert_allclose(first(numpy.moveaxis(x, -1, 1)), numpy.moveaxis(last(x), -1, 1), rtol=1e-6)
    assert first.compute_output_shape((None, 2, 5, 6)) == (None, 3, 5, 6)


def test_conv2d_transpose_outputs_match_reference():
    layer = Conv2DTranspose(2, 3, strides=(2, 3), padding="same", output_padding=(1, 2))
    kernel, bias = fixed_weights(layer, (2, 3, 4, 3))
    x = random_input((2, 3, 4, 3))
    expected = reference_conv_transpose(x.astype(numpy.float64), kernel, (2, 3), "same", (1, 2), (1, 1)) + bias
    numpy.testing.assert_allclose(layer(x), expected, rtol=1e-5, atol=1e-5)


def test_depthwise_and_separable_outputs_match_reference():
    x = random_input((2, 6, 5, 3))
    depthwise = DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2)
    kernel, bias = fixed_weights(depthwise, x.shape)
    expected = reference_depthwise_conv(x.astype(numpy.float64), kernel, (2, 2), "same", (1, 1)) + bias
    numpy.testing.assert_allclose(depthwise(x), expected, rtol=1e-5, atol=1e-5)
    separable = SeparableConv2D(4, 3, strides=2, padding="same", depth_multiplier=2)
    dk, pk, bias = fixed_weights(separable, x.shape, seed=1)
    expected = reference_depthwise_conv(x.astype(numpy.float64), dk, (2, 2), "same", (1, 1)) @ pk[0, 0] + bias
    numpy.testing.assert_allclose(separable(x), expected, rtol=1e-5, atol=1e-5)


def test_default_config_has_keras_keys_and_values():
    config = Conv2D(8, 3).get_config()
    assert {k: config[k] for k in ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
                                   "groups", "activation", "use_bias", "kernel_regularizer", "bias_constraint")} == {
        "filters": 8, "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid", "data_format": "channels_last",
        "dilation_rate": [1, 1], "groups": 1, "activation": "linear", "use_bias": True, "kernel_regularizer": None,
        "bias_constraint": None}
    assert config["kernel_initializer"]["class_name"] == "GlorotUniform"
    assert config["bias_initializer"]["class_name"] == "Zeros"
    assert Conv2DTranspose(2, 3).get_config()["output_padding"] is None
    assert "groups" not in Conv2DTranspose(2, 3).get_config()
    assert set(DepthwiseConv2D(3).get_config()) >= {"depth_multiplier", "depthwise_initializer",
                                                    "depthwise_regularizer", "depthwise_constraint"}
    assert set(SeparableConv2D(2, 3).get_config()) >= {"filters", "depth_multiplier", "pointwise_initializer",
                                                       "pointwise_regularizer", "pointwise_constraint"}


def test_a_small_cnn_counts_keras_parameters_and_trains():
    model = Sequential([Input((8, 8, 1)), Conv2D(4, 3, activation="relu"), DepthwiseConv2D(2, strides=2),
                        SeparableConv2D(6, 2, padding="same"), Conv2DTranspose(2, 2, strides=2), Flatten(),
                        Dense(3, activation="softmax")])
    # 3*3*1*4 + 4; 2*2*4 + 4; 2*2*4 + 4*6 + 6; 2*2*2*6 + 2; 6*6*2*3 + 3
    assert [layer.count_params() for layer in model.layers if layer.weights] == [40, 20, 46, 50, 219]
    rng = numpy.random.default_rng(0)
    x, y = rng.normal(size=(16, 8, 8, 1)).astype("float32"), numpy.eye(3, dtype="float32")[rng.integers(0, 3, 16)]
    model.compile("adam", "categorical_crossentropy")
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]


# ---------------------------------------------------------------------- errors
@pytest.mark.parametrize("make, message", [
    (lambda: Conv2D(4, 3, padding="full"), "Conv2D: `padding` must be 'valid' or 'same'; received padding='full'"),
    (lambda: Conv2D(4, 3, padding="causal"), "one spatial dimension only"),
    (lambda: Conv1D(4, 3, strides=0), "Conv1D: `strides` must be a positive int"),
    (lambda: Conv2D(4, (3, 3, 3)), "`kernel_size` must be a positive integer or a tuple of 2"),
    (lambda: Conv2D(0, 3), "Conv2D: `filters` must be a positive integer; received filters=0"),
    (lambda: Conv2D(6, 3, groups=4), "`filters` must be divisible by `groups`"),
    (lambda: Conv2D(4, 3, strides=2, dilation_rate=2), "`strides > 1` is not supported together with"),
    (lambda: Conv2DTranspose(4, 3, strides=2, output_padding=2), "smaller than its stride"),
    (lambda: DepthwiseConv2D(3, depth_multiplier=0), "`depth_multiplier` must be a positive integer"),
    (lambda: SeparableConv2D(4, 3, data_format="NCHW"), "`data_format` must be 'channels_last' or"),
])
def test_invalid_arguments_are_refused_at_construction(make, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make()


@pytest.mark.parametrize("make, input_shape, message", [
    (lambda: Conv2D(4, 3, name="c"), (None, 8, 3),
     "Conv2D layer 'c' expects inputs of rank 4, (batch, *spatial, channels) with 2 spatial dimension(s); "
     "received input shape (None, 8, 3)"),
    (lambda: Conv1D(4, 3, name="c"), (None, 8, 8, 3), "Conv1D layer 'c' expects inputs of rank 3"),
    (lambda: Conv2D(4, 5, name="c"), (None, 4, 8, 3),
     "Conv2D layer 'c': the kernel does not fit in the input. Input shape (None, 4, 8, 3)"),
    (lambda: Conv2D(4, 3, dilation_rate=3, name="c"), (None, 6, 8, 3), "gives an output of spatial shape (0, 2)"),
    (lambda: DepthwiseConv2D(3, name="c"), (None, 2, 2, 3), "the kernel does not fit"),
    (lambda: Conv2D(4, 3, groups=2, name="c"), (None, 8, 8, 3), "the input's 3 channels must be divisible by groups=2"),
    (lambda: Conv2D(4, 3, name="c"), (None, 8, 8, None), "the channel dimension (axis -1) of the inputs must be known"),
])
def test_bad_input_shapes_raise_when_the_model_is_built(make, input_shape, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        Sequential([Input(input_shape[1:]), make()])


def test_same_padding_accepts_a_kernel_larger_than_the_input():
    layer = check_layer(lambda: Conv2D(2, 5, padding="same", use_bias=False), (2, 3, 3, 1), (2, 3, 3, 2), 1)
    assert layer.kernel.shape == (5, 5, 1, 2)


def test_calling_a_built_layer_with_other_channels_names_both_shapes():
    layer = Conv2D(4, 3, name="c")
    layer(numpy.zeros((1, 5, 5, 3), numpy.float32))
    with pytest.raises(ValueError, match=re.escape("Conv2D layer 'c' was built for inputs with 3 channels (input "
                                                   "shape (1, 5, 5, 3)) but received inputs of shape (1, 5, 5, 2)")):
        layer(numpy.zeros((1, 5, 5, 2), numpy.float32))
