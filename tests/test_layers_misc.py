"""Regularization, preprocessing and activation layers.

Every layer goes through ``check_layer``; outputs are compared with formulas
written here in numpy from Keras 3's documented behaviour.  The noise layers are
checked for being the identity at inference, for the statistics of their noise,
and for reproducibility with a seed.
"""

import autograd
import autograd.numpy as anp
import numpy
import pytest

from microkeras import Input, Sequential, ops
from microkeras.layers import (ELU, ActivityRegularization, Dense, Dropout, GaussianDropout, GaussianNoise,
                               LeakyReLU, Normalization, PReLU, ReLU, Rescaling, Softmax, SpatialDropout1D,
                               SpatialDropout2D)
from microkeras.layers.core import Dropout as CoreDropout
from microkeras.testing import check_layer, random_input
from microkeras.utils import PyDataset, set_random_seed


# ----------------------------------------------------- ActivityRegularization
def test_activity_regularization_passes_inputs_through_and_adds_the_penalty_per_sample():
    layer = check_layer(lambda: ActivityRegularization(l1=0.1, l2=0.2), (4, 3), (4, 3), 0, 0, training=True)
    x = random_input((4, 3))
    numpy.testing.assert_array_equal(layer(x), x)
    # Keras 3: l1 * sum|x| + l2 * sum(x^2), divided by the batch size like every activity regularizer.
    expected = (0.1 * numpy.abs(x).sum() + 0.2 * numpy.square(x).sum()) / 4
    (penalty,) = layer.losses
    numpy.testing.assert_allclose(penalty, expected, rtol=1e-6)
    config = layer.get_config()
    assert (config["l1"], config["l2"]) == (0.1, 0.2) and "activity_regularizer" not in config


def test_activity_regularization_penalty_enters_the_training_loss():
    x = numpy.ones((4, 2), numpy.float32)
    model = Sequential([Input((2,)), Dense(1, kernel_initializer="zeros"), ActivityRegularization(l2=1.0)])
    model.compile("sgd", "mse")
    # Outputs are 0, the targets 1: mse 1, and the penalty of zero outputs is 0; then with a bias of 1 ...
    assert model.evaluate(x, numpy.ones((4, 1), numpy.float32), verbose=0) == pytest.approx(1.0)
    model.layers[0].set_weights([numpy.zeros((2, 1)), numpy.ones(1)])
    # ... mse 0, and the penalty is l2 * sum(1^2) / batch = 1.
    history = model.fit(x, numpy.ones((4, 1), numpy.float32), batch_size=4, epochs=1, verbose=0)
    assert history.history["loss"][0] == pytest.approx(1.0)


# ------------------------------------------------------------- noise layers
NOISE_LAYERS = [lambda **kw: GaussianNoise(0.5, **kw), lambda **kw: GaussianDropout(0.3, **kw),
                lambda **kw: SpatialDropout1D(0.5, **kw)]


@pytest.mark.parametrize("make", NOISE_LAYERS, ids=["GaussianNoise", "GaussianDropout", "SpatialDropout1D"])
def test_noise_layers_are_the_identity_at_inference_and_pass_layer_checks_while_training(make):
    check_layer(lambda: make(seed=1), (4, 5, 6), (4, 5, 6), 0, 0, training=True)
    layer = check_layer(lambda: make(seed=1), (4, 5, 6), (4, 5, 6), 0, 0)
    x = random_input((4, 5, 6))
    numpy.testing.assert_array_equal(layer(x), x)
    numpy.testing.assert_array_equal(layer(x, training=False), x)
    model = Sequential([Input((5, 6)), make(seed=1)])
    numpy.testing.assert_array_equal(model.predict(x, verbose=0), x)


@pytest.mark.parametrize("make", NOISE_LAYERS, ids=["GaussianNoise", "GaussianDropout", "SpatialDropout1D"])
def test_noise_layers_repeat_their_noise_for_a_seed_and_after_set_random_seed(make):
    x = numpy.ones((10, 4, 8), numpy.float32)
    first, twin, other = make(seed=3), make(seed=3), make(seed=4)
    noisy = first(x, training=True)
    assert noisy.dtype == numpy.float32 and not numpy.array_equal(noisy, x)
    numpy.testing.assert_array_equal(twin(x, training=True), noisy)
    assert not numpy.array_equal(other(x, training=True), noisy)
    assert not numpy.array_equal(first(x, training=True), noisy)  # a new draw at every call
    set_random_seed(11)
    again = make()(x, training=True)
    set_random_seed(11)
    numpy.testing.assert_array_equal(make()(x, training=True), again)


def test_gaussian_noise_adds_zero_mean_noise_of_stddev():
    noise = GaussianNoise(0.2, seed=0)(numpy.full((200, 500), 3.0, numpy.float32), training=True) - 3.0
    # 100,000 draws: the sample mean is within 0.002 and the standard deviation within 0.001 (several sigmas).
    assert abs(noise.mean()) < 0.003 and abs(noise.std() - 0.2) < 0.002


def test_gaussian_dropout_multiplies_by_noise_of_mean_one_and_dropout_variance():
    noisy = GaussianDropout(0.2, seed=0)(numpy.full((200, 500), 2.0, numpy.float32), training=True) / 2.0
    # Keras: mean 1, stddev sqrt(rate / (1 - rate)) = 0.5, the spread of Dropout(0.2)'s scaled mask.
    assert abs(noisy.mean() - 1.0) < 0.006 and abs(noisy.std() - 0.5) < 0.004


@pytest.mark.parametrize("make, argument", [(lambda: GaussianNoise(1.5), "stddev"), (lambda: GaussianNoise(-0.1), "stddev"),
                                            (lambda: GaussianDropout(1.0), "rate"), (lambda: GaussianDropout("x"), "rate"),
                                            (lambda: SpatialDropout1D(2.0), "rate")])
def test_noise_layers_reject_invalid_arguments_naming_them(make, argument):
    with pytest.raises(ValueError, match=argument):
        make()


def test_spatial_dropout_1d_drops_whole_channels_and_scales_the_rest():
    x = numpy.ones((50, 7, 40), numpy.float32)
    out = SpatialDropout1D(0.25, seed=0)(x, training=True)
    # One mask value per sample and channel, repeated over the steps.
    numpy.testing.assert_array_equal(out, numpy.broadcast_to(out[:, :1, :], out.shape))
    assert set(numpy.unique(out)) == {0.0, numpy.float32(1 / 0.75)}
    assert abs((out[:, 0, :] == 0).mean() - 0.25) < 0.05  # 2,000 channel draws


@pytest.mark.parametrize("data_format, shape, channel_axis", [("channels_last", (6, 3, 4, 5), 3),
                                                             ("channels_first", (6, 5, 3, 4), 1)])
def test_spatial_dropout_2d_drops_whole_feature_maps(data_format, shape, channel_axis):
    layer = check_layer(lambda: SpatialDropout2D(0.5, data_format=data_format, seed=2), shape, shape, 0, 0,
                        training=True)
    out = layer(numpy.ones(shape, numpy.float32), training=True)
    spatial = tuple(a for a in (1, 2, 3) if a != channel_axis)
    per_map = out.min(axis=spatial)
    numpy.testing.assert_array_equal(per_map, out.max(axis=spatial))  # constant over each feature map
    assert 0 < (per_map == 0).mean() < 1


def test_spatial_dropout_is_dropout_with_keras_config_keys_and_rank_checked_at_build():
    assert issubclass(SpatialDropout1D, Dropout) and Dropout is CoreDropout
    assert set(SpatialDropout1D(0.5).get_config()) == {"rate", "seed", "name", "dtype"}
    assert set(SpatialDropout2D(0.5).get_config()) == {"rate", "seed", "name", "dtype", "data_format"}
    with pytest.raises(ValueError, match=r"SpatialDropout1D 'sd' expects inputs of rank 3, \(batch, steps, "
                                         r"channels\); received input shape \(None, 4\)"):
        SpatialDropout1D(0.5, name="sd").build((None, 4))
    with pytest.raises(ValueError, match=r"SpatialDropout2D 'sd2' expects inputs of rank 4.*\(None, 4, 4\)"):
        Sequential([Input((4, 4)), SpatialDropout2D(0.5, name="sd2")])
    with pytest.raises(ValueError, match="data_format"):
        SpatialDropout2D(0.5, data_format="NHWC")


# ------------------------------------------------------------------ Rescaling
def test_rescaling_computes_inputs_times_scale_plus_offset():
    layer = check_layer(lambda: Rescaling(1 / 127.5, offset=-1.0), (3, 4), (3, 4), 0, 0)
    pixels = numpy.array([[0, 127, 255]], numpy.uint8)
    out = layer(pixels)  # integer inputs are cast to float32
    assert out.dtype == numpy.float32
    numpy.testing.assert_allclose(out, pixels / 127.5 - 1.0, rtol=1e-6, atol=1e-7)


def test_rescaling_with_one_scale_per_channel():
    layer = check_layer(lambda: Rescaling([1.0, 2.0, 3.0], offset=[0.0, 0.5, 1.0]), (2, 4, 3), (2, 4, 3), 0, 0)
    x = random_input((2, 4, 3))
    numpy.testing.assert_allclose(layer(x), x * [1.0, 2.0, 3.0] + [0.0, 0.5, 1.0], rtol=1e-6)
    assert layer.get_config()["scale"] == [1.0, 2.0, 3.0]
    with pytest.raises(ValueError, match="scale"):
        Rescaling("1/255")


# -------------------------------------------------------------- Normalization
def test_normalization_passes_layer_checks_with_adapted_statistics():
    features = numpy.random.default_rng(0).normal(3.0, 2.0, size=(50, 4)).astype(numpy.float32)
    layer = Normalization()
    layer.adapt(features)
    check_layer(lambda: layer, (5, 4), (5, 4), 0, 3)


def test_normalization_adapt_matches_numpy_mean_and_variance_per_feature():
    features = numpy.random.default_rng(0).normal(3.0, 2.0, size=(100, 4)).astype(numpy.float32)
    layer = Normalization()
    layer.adapt(features)
    # Keras: mean and biased variance over every axis but `axis`, kept as non-trainable weights.
    assert [w.name for w in layer.weights] == ["mean", "variance", "count"]
    assert layer.trainable_weights == []
    numpy.testing.assert_allclose(layer.adapt_mean.numpy(), features.mean(axis=0), rtol=1e-6)
    numpy.testing.assert_allclose(layer.adapt_variance.numpy(), features.var(axis=0), rtol=1e-5)
    out = layer(features)
    expected = (features - features.mean(axis=0)) / numpy.sqrt(features.var(axis=0))
    numpy.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    numpy.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-5)
    numpy.testing.assert_allclose(out.std(axis=0), 1.0, rtol=1e-5)


@pytest.mark.parametrize("axis, kept", [(None, ()), ((1, 2), (1, 2)), (1, (1,)), (-2, (1,))])
def test_normalization_adapt_keeps_statistics_for_the_axis_entries(axis, kept):
    images = numpy.random.default_rng(1).uniform(0, 255, size=(20, 3, 4)).astype(numpy.float32)
    layer = Normalization(axis=axis)
    layer.adapt(images)
    reduced = tuple(a for a in range(3) if a not in kept)
    numpy.testing.assert_allclose(layer.adapt_mean.numpy(), images.mean(axis=reduced), rtol=1e-5)
    numpy.testing.assert_allclose(layer.adapt_variance.numpy(), images.var(axis=reduced), rtol=1e-4)
    expected = (images - images.mean(axis=reduced, keepdims=True)) / images.std(axis=reduced, keepdims=True)
    numpy.testing.assert_allclose(layer(images), expected, rtol=1e-4, atol=1e-4)


def test_normalization_adapt_on_batches_gives_the_statistics_of_the_whole_data():
    features = numpy.random.default_rng(2).normal(-1.0, 5.0, size=(90, 3)).astype(numpy.float32)

    class Batches(PyDataset):
        def __len__(self):
            return 3

        def __getitem__(self, index):  # (x, y) batches of unequal sizes: 50, 30, 10
            bounds = [0, 50, 80, 90]
            return features[bounds[index]:bounds[index + 1]], None

    for source in (Batches(), [features[:50], features[50:80], features[80:]],
                   (b for b in numpy.array_split(features, 4))):
        layer = Normalization()
        layer.adapt(source)
        numpy.testing.assert_allclose(layer.adapt_mean.numpy(), features.mean(axis=0), rtol=1e-5, atol=1e-6)
        numpy.testing.assert_allclose(layer.adapt_variance.numpy(), features.var(axis=0), rtol=1e-5)


def test_normalization_with_given_statistics_and_invert():
    # Keras: (x - mean) / max(sqrt(variance), 1e-7); invert=True computes mean + x * sqrt(variance).
    layer = check_layer(lambda: Normalization(mean=[1.0, -2.0], variance=[4.0, 0.25]), (3, 2), (3, 2), 0, 0)
    assert layer.weights == []
    x = random_input((3, 2))
    numpy.testing.assert_allclose(layer(x), (x - [1.0, -2.0]) / [2.0, 0.5], rtol=1e-6)
    inverse = check_layer(lambda: Normalization(mean=[1.0, -2.0], variance=[4.0, 0.25], invert=True), (3, 2))
    numpy.testing.assert_allclose(inverse(layer(x)), x, rtol=1e-6, atol=1e-6)
    scalar = Normalization(mean=3.0, variance=0.0)  # a zero variance is floored at epsilon, no division by 0
    numpy.testing.assert_allclose(scalar(numpy.full((1, 2), 3.0, numpy.float32)), 0.0)
    assert Normalization(mean=[1.0, -2.0], variance=[4.0, 0.25]).get_config()["mean"] == [1.0, -2.0]


def test_normalization_statistics_travel_with_the_weights():
    features = numpy.random.default_rng(3).normal(size=(30, 2)).astype(numpy.float32)
    adapted = Normalization()
    adapted.adapt(features)
    fresh = Normalization()
    fresh(features[:1])  # builds it, with the initial statistics (mean 0, variance 1)
    fresh.set_weights(adapted.get_weights())
    numpy.testing.assert_array_equal(fresh(features), adapted(features))


def test_normalization_rejects_mismatched_statistics_and_data():
    with pytest.raises(ValueError, match="both `mean` and `variance`"):
        Normalization(mean=[1.0])
    with pytest.raises(ValueError, match="same shape"):
        Normalization(mean=[1.0, 2.0], variance=[1.0])
    layer = Normalization(name="norm")
    layer.adapt(numpy.ones((4, 3), numpy.float32))
    with pytest.raises(ValueError, match=r"Normalization 'norm' was built for input shape \(None, 3\); adapt\(\) "
                                         r"received a batch of shape \(4, 5\)"):
        layer.adapt(numpy.ones((4, 5), numpy.float32))
    with pytest.raises(ValueError, match="axis=\\(3,\\) is out of range for input shape"):
        Normalization(axis=3).adapt(numpy.ones((4, 3), numpy.float32))
    with pytest.raises(TypeError, match="axis"):
        Normalization(axis="features")


# ---------------------------------------------------------- activation layers
def test_relu_layer_with_keras_options():
    layer = check_layer(lambda: ReLU(max_value=1.0, negative_slope=0.1, threshold=0.3), (4, 5), (4, 5), 0, 0)
    x = numpy.array([[-2.0, 0.0, 0.2, 0.5, 3.0]], numpy.float32)
    # Keras 3: x above threshold (capped at max_value), negative_slope * (x - threshold) below it.
    expected = numpy.where(x > 0.3, numpy.minimum(x, 1.0), 0.1 * (x - 0.3))
    numpy.testing.assert_allclose(layer(x), expected, rtol=1e-6, atol=1e-7)
    plain = check_layer(ReLU, (4, 5), (4, 5), 0, 0)
    numpy.testing.assert_array_equal(plain(x), numpy.maximum(x, 0.0))
    assert plain.get_config()["max_value"] is None
    for argument in ("max_value", "negative_slope", "threshold"):
        with pytest.raises(ValueError, match=argument):
            ReLU(**{argument: -1.0})


def test_leaky_relu_defaults_to_keras_3_slope_and_accepts_keras_2_alpha():
    layer = check_layer(LeakyReLU, (4, 5), (4, 5), 0, 0)
    assert layer.negative_slope == 0.3
    x = random_input((4, 5))
    numpy.testing.assert_allclose(layer(x), numpy.where(x > 0, x, 0.3 * x), rtol=1e-6)
    with pytest.warns(UserWarning, match="alpha"):
        old = LeakyReLU(alpha=0.1)
    assert old.negative_slope == 0.1 and old.get_config()["negative_slope"] == 0.1


def test_prelu_learns_one_slope_per_value_or_per_shared_axis():
    layer = check_layer(PReLU, (3, 4), (3, 4), 1, 0)
    assert layer.alpha.shape == (4,)
    shared = check_layer(lambda: PReLU(shared_axes=[1, 2]), (2, 3, 3, 4), (2, 3, 3, 4), 1, 0)
    assert shared.alpha.shape == (1, 1, 4)
    alpha = numpy.array([0.1, 0.2, 0.3, 0.4], numpy.float32).reshape(1, 1, 4)
    shared.set_weights([alpha])
    x = random_input((2, 3, 3, 4))
    numpy.testing.assert_allclose(shared(x), numpy.where(x > 0, x, alpha * x), rtol=1e-6)
    # alpha starts at zero: a fresh PReLU is a ReLU.
    numpy.testing.assert_array_equal(PReLU()(x), numpy.maximum(x, 0))
    with pytest.raises(ValueError, match=r"PReLU 'p': shared axis 3 is not an axis of a sample of input shape "
                                         r"\(None, 4, 5\)"):
        PReLU(shared_axes=3, name="p").build((None, 4, 5))


def test_elu_layer_uses_alpha_below_zero():
    layer = check_layer(lambda: ELU(alpha=0.5), (4, 5), (4, 5), 0, 0)
    x = random_input((4, 5))
    numpy.testing.assert_allclose(layer(x), numpy.where(x >= 0, x, 0.5 * numpy.expm1(x)), rtol=1e-6)
    assert ELU.from_config(layer.get_config()).alpha == 0.5


@pytest.mark.parametrize("axis, reduced", [(-1, (2,)), (1, (1,)), ([1, 2], (1, 2))])
def test_softmax_layer_normalizes_along_its_axes(axis, reduced):
    layer = check_layer(lambda: Softmax(axis=axis), (2, 3, 4), (2, 3, 4), 0, 0)
    x = random_input((2, 3, 4)) * 5
    exponentials = numpy.exp(x - x.max(axis=reduced, keepdims=True))
    numpy.testing.assert_allclose(layer(x), exponentials / exponentials.sum(axis=reduced, keepdims=True),
                                  rtol=1e-5, atol=1e-7)


def test_softmax_layer_over_the_last_axis_keeps_its_logits_for_crossentropy():
    layer = Softmax()
    seen = []

    def loss(x):
        probabilities = layer(x)
        seen.append(type(probabilities))
        return anp.sum(probabilities * numpy.arange(4.0, dtype=numpy.float32))

    autograd.grad(loss)(random_input((3, 4)))
    assert seen == [ops.SoftmaxBox]
    model = Sequential([Input((4,)), Dense(3), Softmax()])
    model.compile("sgd", "categorical_crossentropy")
    model.fit(random_input((8, 4)), numpy.eye(3, dtype=numpy.float32)[[0, 1, 2, 0, 1, 2, 0, 1]], verbose=0)
