"""Pooling and reshaping layers: every layer through check_layer, outputs vs references, configs, errors."""

import itertools

import numpy
import pytest

from microkeras import Input, optimizers
from microkeras.layers import (AveragePooling1D, AveragePooling2D, AvgPool2D, Cropping1D, Cropping2D, Dense, Flatten,
                               GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPool1D, GlobalMaxPooling1D,
                               GlobalMaxPooling2D, MaxPool2D, MaxPooling1D, MaxPooling2D, Permute, RepeatVector,
                               Reshape, UpSampling1D, UpSampling2D, ZeroPadding1D, ZeroPadding2D)
from microkeras.models import Sequential
from microkeras.testing import check_layer, random_input
from tests.test_ops_pooling import reference_pool


def checked(factory, input_shape, expected_output_shape):
    """``check_layer`` on a weightless layer, then its output for the standard test batch."""
    layer = check_layer(factory, input_shape, expected_output_shape, 0, 0)
    x = random_input(input_shape)
    return layer, x, layer(x)


# -------------------------------------------------------------------- pooling
POOLING_CASES = [  # (layer factory, input shape, expected output shape, reference arguments)
    (lambda: MaxPooling1D(), (2, 7, 3), (2, 3, 3), ((2,), (2,), "valid", "max")),
    (lambda: MaxPooling1D(3, 2, "same"), (2, 7, 3), (2, 4, 3), ((3,), (2,), "same", "max")),
    (lambda: AveragePooling1D(3), (2, 7, 3), (2, 2, 3), ((3,), (3,), "valid", "average")),
    (lambda: AveragePooling1D(4, strides=2, padding="same"), (2, 7, 3), (2, 4, 3), ((4,), (2,), "same", "average")),
    (lambda: MaxPooling2D(), (2, 5, 6, 3), (2, 2, 3, 3), ((2, 2), (2, 2), "valid", "max")),
    (lambda: MaxPooling2D((3, 2), (2, 1), "same"), (2, 5, 6, 3), (2, 3, 6, 3), ((3, 2), (2, 1), "same", "max")),
    (lambda: AveragePooling2D(2, padding="SAME"), (2, 5, 6, 3), (2, 3, 3, 3), ((2, 2), (2, 2), "same", "average")),
    (lambda: AveragePooling2D((2, 3), (1, 2)), (2, 5, 6, 3), (2, 4, 2, 3), ((2, 3), (1, 2), "valid", "average")),
]


@pytest.mark.parametrize("factory, input_shape, output_shape, reference", POOLING_CASES)
def test_pooling_layers_pass_layer_checks_and_match_the_direct_loop(factory, input_shape, output_shape, reference):
    _, x, out = checked(factory, input_shape, output_shape)
    numpy.testing.assert_allclose(out, reference_pool(x, *reference), rtol=1e-6, atol=1e-6)


def test_pooling_layers_have_keras_defaults_and_config_keys():
    assert MaxPooling2D().get_config() | {"name": None} == {
        "name": None, "trainable": True, "dtype": "float32", "pool_size": [2, 2], "padding": "valid",
        "strides": [2, 2], "data_format": "channels_last"}
    assert MaxPooling1D().pool_size == (2,) and MaxPooling1D(3).strides == (3,)
    assert AveragePooling2D(3, strides=1).strides == (1, 1)
    assert MaxPool2D is MaxPooling2D and AvgPool2D is AveragePooling2D and GlobalMaxPool1D is GlobalMaxPooling1D
    with pytest.raises(ValueError, match="AveragePooling1D: `pool_size` is required"):
        AveragePooling1D()


@pytest.mark.parametrize("factory", [lambda: MaxPooling2D(2, 1, "same", data_format="channels_first"),
                                     lambda: AveragePooling2D(3, 2, "same", data_format="channels_first"),
                                     lambda: GlobalMaxPooling2D(data_format="channels_first", keepdims=True),
                                     lambda: ZeroPadding2D(((1, 0), (2, 1)), data_format="channels_first"),
                                     lambda: Cropping2D(((1, 0), (2, 1)), data_format="channels_first"),
                                     lambda: UpSampling2D((1, 2), data_format="channels_first")])
def test_channels_first_layers_are_channels_last_ones_with_moved_axes(factory):
    x = random_input((2, 3, 5, 6))  # (batch, channels, height, width)
    layer = check_layer(factory, x.shape)
    twin = type(layer).from_config({**layer.get_config(), "name": None, "data_format": "channels_last"})
    expected = numpy.moveaxis(twin(numpy.moveaxis(x, 1, -1)), -1, 1)
    numpy.testing.assert_allclose(layer(x), expected, rtol=1e-6)


@pytest.mark.parametrize("factory, input_shape, output_shape, axes", [
    (GlobalAveragePooling1D, (2, 7, 3), (2, 3), (1,)),
    (lambda: GlobalAveragePooling1D(keepdims=True), (2, 7, 3), (2, 1, 3), (1,)),
    (GlobalAveragePooling2D, (2, 5, 6, 3), (2, 3), (1, 2)),
    (lambda: GlobalAveragePooling2D(keepdims=True), (2, 5, 6, 3), (2, 1, 1, 3), (1, 2)),
    (GlobalMaxPooling1D, (2, 7, 3), (2, 3), (1,)),
    (GlobalMaxPooling2D, (2, 5, 6, 3), (2, 3), (1, 2)),
    (lambda: GlobalMaxPooling2D(keepdims=True), (2, 5, 6, 3), (2, 1, 1, 3), (1, 2)),
])
def test_global_pooling_layers_reduce_the_spatial_axes(factory, input_shape, output_shape, axes):
    layer, x, out = checked(factory, input_shape, output_shape)
    reduce = numpy.max if "Max" in type(layer).__name__ else numpy.mean
    numpy.testing.assert_allclose(out, reduce(x, axis=axes, keepdims=layer.keepdims), rtol=1e-6)
    assert layer.get_config()["keepdims"] is layer.keepdims and layer.get_config()["data_format"] == "channels_last"


# ------------------------------------------------------------------ reshaping
@pytest.mark.parametrize("factory, input_shape, output_shape, widths", [
    (ZeroPadding1D, (2, 4, 3), (2, 6, 3), ((1, 1),)),
    (lambda: ZeroPadding1D((0, 2)), (2, 4, 3), (2, 6, 3), ((0, 2),)),
    (ZeroPadding2D, (2, 3, 4, 2), (2, 5, 6, 2), ((1, 1), (1, 1))),
    (lambda: ZeroPadding2D((2, 0)), (2, 3, 4, 2), (2, 7, 4, 2), ((2, 2), (0, 0))),
    (lambda: ZeroPadding2D(((1, 0), (0, 3))), (2, 3, 4, 2), (2, 4, 7, 2), ((1, 0), (0, 3))),
])
def test_zero_padding_adds_zeros_around_the_spatial_axes(factory, input_shape, output_shape, widths):
    layer, x, out = checked(factory, input_shape, output_shape)
    numpy.testing.assert_array_equal(out, numpy.pad(x, ((0, 0),) + widths + ((0, 0),)))
    assert layer.get_config()["padding"] == (list(widths[0]) if len(widths) == 1 else [list(w) for w in widths])


@pytest.mark.parametrize("factory, input_shape, output_shape, kept", [
    (Cropping1D, (2, 5, 3), (2, 3, 3), (slice(1, 4),)),
    (lambda: Cropping1D((0, 2)), (2, 5, 3), (2, 3, 3), (slice(0, 3),)),
    (lambda: Cropping2D(1), (2, 4, 5, 2), (2, 2, 3, 2), (slice(1, 3), slice(1, 4))),
    (lambda: Cropping2D((0, 2)), (2, 4, 5, 2), (2, 4, 1, 2), (slice(0, 4), slice(2, 3))),
    (lambda: Cropping2D(((2, 1), (0, 3))), (2, 4, 5, 2), (2, 1, 2, 2), (slice(2, 3), slice(0, 2))),
])
def test_cropping_keeps_the_inner_cells(factory, input_shape, output_shape, kept):
    _, x, out = checked(factory, input_shape, output_shape)
    numpy.testing.assert_array_equal(out, x[(slice(None),) + kept])


def test_cropping2d_default_keeps_everything():
    _, x, out = checked(Cropping2D, (2, 3, 4, 2), (2, 3, 4, 2))
    numpy.testing.assert_array_equal(out, x)


@pytest.mark.parametrize("factory, input_shape, output_shape, factors", [
    (UpSampling1D, (2, 4, 3), (2, 8, 3), (2,)),
    (lambda: UpSampling1D(3), (2, 4, 3), (2, 12, 3), (3,)),
    (UpSampling2D, (2, 3, 4, 2), (2, 6, 8, 2), (2, 2)),
    (lambda: UpSampling2D((3, 1)), (2, 3, 4, 2), (2, 9, 4, 2), (3, 1)),
])
def test_nearest_upsampling_repeats_each_cell(factory, input_shape, output_shape, factors):
    _, x, out = checked(factory, input_shape, output_shape)
    for position in itertools.product(*(range(n) for n in output_shape[1:-1])):
        source = tuple(i // f for i, f in zip(position, factors))
        numpy.testing.assert_array_equal(out[(slice(None),) + position], x[(slice(None),) + source])


def reference_bilinear(x, factors):
    """Bilinear resize of channels-last ``x`` by integer ``factors``, by a loop over output pixels:
    half-pixel centres, source coordinates clamped to the image (jax.image.resize, tf.image.resize)."""
    height, width = x.shape[1:3]
    out = numpy.empty((x.shape[0], height * factors[0], width * factors[1], x.shape[-1]))
    for i, j in itertools.product(range(out.shape[1]), range(out.shape[2])):
        r = min(max((i + 0.5) / factors[0] - 0.5, 0.0), height - 1)
        c = min(max((j + 0.5) / factors[1] - 0.5, 0.0), width - 1)
        r0, c0 = int(r), int(c)
        r1, c1 = min(r0 + 1, height - 1), min(c0 + 1, width - 1)
        top = x[:, r0, c0] * (1 - (c - c0)) + x[:, r0, c1] * (c - c0)
        bottom = x[:, r1, c0] * (1 - (c - c0)) + x[:, r1, c1] * (c - c0)
        out[:, i, j] = top * (1 - (r - r0)) + bottom * (r - r0)
    return out


@pytest.mark.parametrize("size", [(2, 2), (3, 2), (1, 4)])
def test_bilinear_upsampling_matches_a_direct_loop(size):
    _, x, out = checked(lambda: UpSampling2D(size, interpolation="bilinear"), (2, 3, 4, 2),
                        (2, 3 * size[0], 4 * size[1], 2))
    numpy.testing.assert_allclose(out, reference_bilinear(x, size), rtol=1e-5, atol=1e-6)


def test_upsampling_configs_have_keras_keys():
    assert UpSampling1D(3).get_config()["size"] == 3
    config = UpSampling2D((2, 3), interpolation="Bilinear").get_config()
    assert (config["size"], config["data_format"], config["interpolation"]) == ([2, 3], "channels_last", "bilinear")
    assert "data_format" not in UpSampling1D().get_config() and "data_format" not in Cropping1D().get_config()


@pytest.mark.parametrize("dims, input_shape, output_shape", [((2, 1), (2, 3, 4), (2, 4, 3)),
                                                            ((3, 1, 2), (2, 3, 4, 5), (2, 5, 3, 4))])
def test_permute_transposes_the_sample_axes(dims, input_shape, output_shape):
    _, x, out = checked(lambda: Permute(dims), input_shape, output_shape)
    numpy.testing.assert_array_equal(out, numpy.transpose(x, (0,) + dims))
    assert Permute(dims).get_config()["dims"] == list(dims)


def test_repeat_vector_repeats_each_sample_n_times():
    _, x, out = checked(lambda: RepeatVector(3), (2, 4), (2, 3, 4))
    for step in range(3):
        numpy.testing.assert_array_equal(out[:, step], x)
    assert RepeatVector(3).get_config()["n"] == 3


# -------------------------------------------------------------- shapes, errors
def test_unknown_dimensions_stay_unknown():
    assert MaxPooling2D().compute_output_shape((None, None, 8, 3)) == (None, None, 4, 3)
    assert GlobalAveragePooling2D().compute_output_shape((None, None, None, 3)) == (None, 3)
    assert ZeroPadding1D().compute_output_shape((None, None, 3)) == (None, None, 3)
    assert UpSampling2D().compute_output_shape((None, None, 5, 3)) == (None, None, 10, 3)
    assert Permute((2, 1)).compute_output_shape((None, None, 3)) == (None, 3, None)


@pytest.mark.parametrize("layer, input_shape, match", [
    (lambda: MaxPooling2D(4), (3, 5, 1), r"MaxPooling2D layer '.*': pool_size \(4, 4\) .* shape \(None, 3, 5, 1\)"),
    (lambda: AveragePooling1D(3, 2), (2, 4), r"AveragePooling1D layer .* shape \(None, 2, 4\)"),
    (lambda: MaxPooling2D(), (3, 5), r"MaxPooling2D layer .* rank 4, \(batch, height, width, channels\); "
                                     r"received input shape \(None, 3, 5\)"),
    (lambda: GlobalMaxPooling1D(), (3, 5, 2), r"GlobalMaxPooling1D layer .* rank 3, \(batch, steps, channels\)"),
    (lambda: Cropping2D(((1, 2), (0, 0))), (3, 4, 1), r"Cropping2D layer .* removes all of spatial axis 0 of "
                                                      r"inputs of shape \(None, 3, 4, 1\)"),
    (lambda: Cropping1D((2, 2)), (4, 1), r"Cropping1D layer .* shape \(None, 4, 1\)"),
    (lambda: ZeroPadding2D(), (3, 4), r"ZeroPadding2D layer .* received input shape \(None, 3, 4\)"),
    (lambda: UpSampling1D(), (3, 4, 1), r"UpSampling1D layer .* rank 3"),
    (lambda: Permute((2, 1)), (3, 4, 5), r"Permute layer .* dims \(2, 1\) expects inputs of rank 3"),
    (lambda: RepeatVector(2), (3, 4), r"RepeatVector layer .* rank 2, \(batch, features\)"),
])
def test_shape_errors_name_the_layer_and_shapes_when_the_model_is_built(layer, input_shape, match):
    with pytest.raises(ValueError, match=match):
        Sequential([Input(input_shape), layer()])


@pytest.mark.parametrize("make, match", [
    (lambda: MaxPooling2D(strides=0), "MaxPooling2D: `strides` must be a positive integer"),
    (lambda: MaxPooling1D((2, 2)), "MaxPooling1D: `pool_size` must be"),
    (lambda: AveragePooling2D(2, padding="causal"), "AveragePooling2D: `padding` must be 'valid' or 'same'"),
    (lambda: GlobalAveragePooling2D(data_format="NHWC"), "GlobalAveragePooling2D: `data_format`"),
    (lambda: ZeroPadding2D((1, 2, 3)), "ZeroPadding2D: `padding` must be non-negative integers"),
    (lambda: ZeroPadding1D(-1), "ZeroPadding1D: `padding`"),
    (lambda: Cropping2D(((1, 2), (0, -1))), "Cropping2D: `cropping`"),
    (lambda: UpSampling1D(0), "UpSampling1D: `size` must be a positive integer"),
    (lambda: UpSampling2D((2, 0)), "UpSampling2D: `size`"),
    (lambda: UpSampling2D(interpolation="bicubic"), "UpSampling2D: `interpolation` must be 'nearest' or 'bilinear'"),
    (lambda: Permute((1, 3)), r"Permute: `dims` must be a permutation"),
    (lambda: RepeatVector(0), "RepeatVector: `n` must be a positive integer"),
])
def test_invalid_arguments_raise_at_construction_naming_them(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_a_model_of_these_layers_trains_in_float32():
    # Dense -> (4, 3) sequences -> pad, pool, upsample, crop, global max: every backward step runs.
    rng = numpy.random.default_rng(0)
    x = rng.normal(size=(32, 6)).astype(numpy.float32)
    y = rng.normal(size=(32, 3)).astype(numpy.float32)
    model = Sequential([Input((6,)), Dense(12), Reshape((4, 3)), ZeroPadding1D(1), MaxPooling1D(2, 1),
                        UpSampling1D(2), Cropping1D((1, 2)), Permute((2, 1)), Permute((2, 1)),
                        AveragePooling1D(2, padding="same"), GlobalMaxPooling1D(), RepeatVector(2), Flatten(),
                        Dense(3)])
    model.compile(optimizers.Adam(0.01), "mse")
    history = model.fit(x, y, batch_size=8, epochs=5, verbose=0).history["loss"]
    assert history[-1] < history[0]
    assert all(w.dtype == numpy.float32 for w in model.get_weights())
