"""keras.random: Keras 3's signatures and seed semantics, float32 draws, reproducible under set_random_seed."""

import numpy
import pytest
from autograd import grad

import microkeras as keras
from microkeras import random


def test_float_draws_are_float32_with_the_requested_shape():
    for draw in (random.normal((3, 4)), random.uniform((3, 4)), random.truncated_normal((3, 4)),
                 random.gamma((3, 4), 2.0), random.beta((3, 4), 2.0, 3.0), random.binomial((3, 4), 5, 0.5)):
        assert draw.dtype == numpy.float32 and draw.shape == (3, 4)
    assert random.randint((5,), 0, 3).dtype == numpy.int32
    assert random.normal((2,), dtype="float16").dtype == numpy.float16


def test_an_int_seed_gives_the_same_draw_every_call():
    numpy.testing.assert_array_equal(random.normal((4,), seed=7), random.normal((4,), seed=7))
    assert not numpy.array_equal(random.normal((4,), seed=7), random.normal((4,), seed=8))


def test_a_seed_generator_moves_on_and_is_reproducible():
    first = random.SeedGenerator(3)
    a, b = random.uniform((4,), seed=first), random.uniform((4,), seed=first)
    assert not numpy.array_equal(a, b)
    again = random.SeedGenerator(3)
    numpy.testing.assert_array_equal(random.uniform((4,), seed=again), a)
    assert random.SeedGenerator.from_config(first.get_config()).get_config() == {"seed": 3, "name": "seed_generator"}


def test_set_random_seed_fixes_unseeded_draws_and_unseeded_generators():
    def run():
        keras.utils.set_random_seed(11)
        return random.normal((3,)), random.normal((3,), seed=random.SeedGenerator())

    first, second = run(), run()
    for a, b in zip(first, second):
        numpy.testing.assert_array_equal(a, b)


def test_ranges_and_moments():
    values = random.uniform((20000,), minval=-2.0, maxval=3.0, seed=0)
    assert values.min() >= -2.0 and values.max() < 3.0
    values = random.normal((20000,), mean=1.0, stddev=2.0, seed=0)
    assert abs(values.mean() - 1.0) < 0.05 and abs(values.std() - 2.0) < 0.05
    values = random.truncated_normal((20000,), mean=1.0, stddev=2.0, seed=0)
    assert numpy.abs(values - 1.0).max() <= 4.0 + 1e-5
    values = random.randint((20000,), 2, 5, seed=0)
    assert set(numpy.unique(values)) == {2, 3, 4}


def test_dropout_zeroes_a_fraction_scales_the_rest_and_is_traced():
    x = numpy.ones((200, 50), numpy.float32)
    y = random.dropout(x, 0.25, seed=1)
    assert y.dtype == numpy.float32
    assert set(numpy.unique(y)) <= {0.0, numpy.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.02
    columns = random.dropout(x, 0.5, noise_shape=(1, None), seed=1)
    assert ((columns == 0).all(axis=0) | (columns != 0).all(axis=0)).all()
    g = grad(lambda v: random.dropout(v, 0.5, seed=2).sum())(x)
    assert g.dtype == numpy.float32
    numpy.testing.assert_array_equal(g, random.dropout(x, 0.5, seed=2))


def test_shuffle_permutes_along_an_axis_and_is_traced():
    x = numpy.arange(12, dtype=numpy.float32).reshape(3, 4)
    rows = random.shuffle(x, seed=0)
    assert sorted(map(tuple, rows)) == sorted(map(tuple, x))
    columns = random.shuffle(x, axis=1, seed=0)
    assert sorted(columns[0]) == list(x[0])
    g = grad(lambda v: (random.shuffle(v, seed=0) * numpy.arange(3, dtype=numpy.float32)[:, None]).sum())(x)
    assert g.dtype == numpy.float32 and sorted(g[:, 0]) == [0.0, 1.0, 2.0]


def test_categorical_follows_the_softmax():
    logits = numpy.log(numpy.array([[0.1, 0.2, 0.7], [1.0, 1e-9, 1e-9]], numpy.float32))
    samples = random.categorical(logits, 20000, seed=0)
    assert samples.shape == (2, 20000) and samples.dtype == numpy.int32
    numpy.testing.assert_allclose(numpy.bincount(samples[0], minlength=3) / 20000, [0.1, 0.2, 0.7], atol=0.015)
    assert (samples[1] == 0).all()


def test_a_custom_layer_draws_noise_from_its_seed_generator():
    class Noise(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = random.SeedGenerator(1337)

        def call(self, x, training=False):
            return random.dropout(x, 0.5, seed=self.seed_generator) if training else x

    layer = Noise()
    x = numpy.ones((4, 6), numpy.float32)
    a, b = layer(x, training=True), layer(x, training=True)
    assert not numpy.array_equal(numpy.asarray(a), numpy.asarray(b))
    numpy.testing.assert_array_equal(layer(x), x)


@pytest.mark.parametrize("call, message", [
    (lambda: random.normal((2,), seed="7"), "seed"),
    (lambda: random.normal((2, -1)), "shape"),
    (lambda: random.uniform((2,), dtype="int32"), "dtype"),
    (lambda: random.randint((2,), 0, 3, dtype="float32"), "dtype"),
    (lambda: random.dropout(numpy.ones(3), 1.0), "rate"),
    (lambda: random.shuffle(numpy.ones(3), axis=1), "axis"),
    (lambda: random.categorical(numpy.ones(3), 2), "logits"),
    (lambda: random.SeedGenerator(-1), "seed"),
])
def test_bad_arguments_name_themselves(call, message):
    with pytest.raises(ValueError, match=message):
        call()
