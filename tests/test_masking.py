"""Masks: made by Embedding(mask_zero=True) and Masking, handed on by the layers that support them,
used by GlobalAveragePooling1D, Softmax, BatchNormalization, losses and metrics (Keras 3's rules)."""

import gc
import warnings

import autograd.numpy as anp
import numpy
import pytest

from microkeras import Input, Model, masking
from microkeras.layers import (LSTM, Add, BatchNormalization, Concatenate, Dense, Dropout, Embedding, Flatten,
                               GlobalAveragePooling1D, Lambda, Layer, LayerNormalization, Masking, Softmax)
from microkeras.models import Sequential
from microkeras.testing import check_layer

IDS = numpy.array([[1, 2, 0, 0], [3, 4, 5, 0], [1, 0, 0, 0]], dtype="int32")
MASK = IDS != 0


class MaskRecorder(Layer):
    """Passes its input (and its mask) through and records the mask it received."""

    supports_masking = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def call(self, inputs, mask=None):
        self.seen.append(None if mask is None else numpy.array(mask))
        return inputs


def test_a_mask_from_embedding_reaches_later_layers_through_those_that_support_masking():
    recorder = MaskRecorder()
    model = Sequential([Input((4,), dtype="int32"), Embedding(6, 3, mask_zero=True), Dense(5), Dropout(0.5),
                        LayerNormalization(), BatchNormalization(), recorder])
    model.predict(IDS, verbose=0)
    numpy.testing.assert_array_equal(recorder.seen[-1], MASK)
    model(IDS, training=True)
    numpy.testing.assert_array_equal(recorder.seen[-1], MASK)


def test_a_layer_that_does_not_support_masking_warns_and_drops_the_mask():
    recorder = MaskRecorder()
    model = Sequential([Input((4,), dtype="int32"), Embedding(6, 3, mask_zero=True), Flatten(), recorder])
    with pytest.warns(UserWarning, match=r"'flatten(_\d+)?' \(of type Flatten\).*does not support masking"):
        model.predict(IDS, verbose=0)
    assert recorder.seen[-1] is None


def test_no_mask_no_warning_and_no_mask_argument():
    recorder = MaskRecorder()
    model = Sequential([Input((4, 3)), Dense(2), Flatten(), recorder])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.predict(numpy.ones((2, 4, 3), "float32"), verbose=0)
    assert recorder.seen[-1] is None


def test_global_average_pooling_1d_averages_the_steps_that_count():
    model = Sequential([Input((4,), dtype="int32"), Embedding(6, 3, mask_zero=True), GlobalAveragePooling1D()])
    table = model.layers[0].embeddings.numpy()
    expected = numpy.stack([table[[1, 2]].mean(0), table[[3, 4, 5]].mean(0), table[[1]].mean(0)])
    numpy.testing.assert_allclose(model.predict(IDS, verbose=0), expected, rtol=1e-6)


SEQUENCES = numpy.array([[1, 2, 3], [4, 5, 1], [2, 2, 4], [5, 3, 1], [3, 1, 2], [4, 4, 5]], dtype="int32")
TARGETS = numpy.array([[0.5], [-1.0], [1.5], [0.0], [-0.5], [1.0]], dtype="float32")


def _embedded_batch_normalized(steps, head, mask_zero=True):
    head = GlobalAveragePooling1D() if head == "pooling" else LSTM(3)
    model = Sequential([Input((steps,), dtype="int32"), Embedding(6, 4, mask_zero=mask_zero),
                        BatchNormalization(momentum=0.5), head, Dense(1)])
    model.compile("sgd", "mse")
    return model


@pytest.mark.parametrize("head", ["pooling", "lstm"])
def test_batch_normalization_on_padded_sequences_trains_as_on_the_same_sequences_unpadded(head):
    unpadded = _embedded_batch_normalized(3, head)
    padded = _embedded_batch_normalized(7, head)
    padded.set_weights(unpadded.get_weights())
    start = unpadded.get_weights()
    # The same sequences, all of length 3, padded with four zeros: the mask leaves the padding out of the
    # batch's statistics, so both models take the same steps and reach the same moving statistics.
    padded_ids = numpy.pad(SEQUENCES, ((0, 0), (0, 4)))
    history = unpadded.fit(SEQUENCES, TARGETS, batch_size=6, epochs=8, shuffle=False, verbose=0).history
    padded_history = padded.fit(padded_ids, TARGETS, batch_size=6, epochs=8, shuffle=False, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    numpy.testing.assert_allclose(padded_history["loss"], history["loss"], rtol=1e-5)
    bn, padded_bn = unpadded.layers[1], padded.layers[1]
    assert not numpy.allclose(bn.moving_mean.numpy(), start[3])  # the statistics moved
    numpy.testing.assert_allclose(padded_bn.moving_mean.numpy(), bn.moving_mean.numpy(), rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(padded_bn.moving_variance.numpy(), bn.moving_variance.numpy(), rtol=1e-5,
                                  atol=1e-6)
    for mine, reference in zip(padded.get_weights(), unpadded.get_weights()):
        numpy.testing.assert_allclose(mine, reference, rtol=1e-5, atol=1e-6)
    # Without a mask the padding's embedding counts in the statistics, and they differ.
    unmasked = _embedded_batch_normalized(7, head, mask_zero=False)
    unmasked.set_weights(start)
    unmasked.fit(padded_ids, TARGETS, batch_size=6, epochs=1, shuffle=False, verbose=0)
    once = _embedded_batch_normalized(3, head)
    once.set_weights(start)
    once.fit(SEQUENCES, TARGETS, batch_size=6, epochs=1, shuffle=False, verbose=0)
    assert not numpy.allclose(unmasked.layers[1].moving_mean.numpy(), once.layers[1].moving_mean.numpy(),
                              rtol=1e-3)


def test_masking_zeroes_padded_steps_and_marks_them():
    x = numpy.arange(24, dtype="float32").reshape(2, 4, 3) + 1
    x[0, 2:] = 0.0
    x[1, 0] = 0.0
    recorder = MaskRecorder()
    model = Sequential([Input((4, 3)), Masking(0.0), recorder])
    out = model.predict(x, verbose=0)
    numpy.testing.assert_array_equal(out, x)
    numpy.testing.assert_array_equal(recorder.seen[-1], [[True, True, False, False], [False, True, True, True]])
    # A value other than 0: only steps whose features *all* equal it are masked.
    x2 = numpy.full((1, 3, 2), 7.0, "float32")
    x2[0, 1, 0] = 1.0
    layer = Masking(mask_value=7.0)
    numpy.testing.assert_array_equal(layer(x2), [[[0, 0], [1, 7], [0, 0]]])
    numpy.testing.assert_array_equal(layer.compute_mask(x2, None), [[False, True, False]])
    assert layer.get_config()["mask_value"] == 7.0


def test_masking_goes_through_the_layer_kit():
    check_layer(Masking(), (2, 3, 4))


def test_softmax_gives_masked_positions_no_probability():
    logits = numpy.array([[1.0, 2.0, 3.0, 4.0]], "float32")
    mask = numpy.array([[True, False, True, False]])
    out = Softmax()(logits, mask=mask)
    kept = numpy.exp([1.0, 3.0]) / numpy.exp([1.0, 3.0]).sum()
    numpy.testing.assert_allclose(out, [[kept[0], 0.0, kept[1], 0.0]], rtol=1e-6)
    assert out.dtype == numpy.float32
    with pytest.raises(ValueError, match=r"softmax.*\(1, 3\).*\(1, 4\)"):
        Softmax()(logits, mask=numpy.ones((1, 3), bool))


def test_merge_layers_combine_masks_as_keras_3_does():
    a, b = Input((4,), dtype="int32"), Input((4,), dtype="int32")
    ea, eb = Embedding(6, 2, mask_zero=True)(a), Embedding(6, 2, mask_zero=True)(b)
    add_recorder, concat_recorder = MaskRecorder(), MaskRecorder()
    model = Model([a, b], [add_recorder(Add()([ea, eb])), concat_recorder(Concatenate()([ea, eb]))])
    other = numpy.array([[0, 0, 1, 0], [0, 0, 0, 0], [0, 1, 0, 0]], dtype="int32")
    model.predict([IDS, other], verbose=0)
    either = MASK | (other != 0)  # a step counts if it counts in any input
    numpy.testing.assert_array_equal(add_recorder.seen[-1], either)
    numpy.testing.assert_array_equal(concat_recorder.seen[-1], either)


def test_lambda_drops_the_mask_unless_given_a_mask_function():
    dropped, kept = MaskRecorder(), MaskRecorder()
    inputs = Input((4,), dtype="int32")
    embedded = Embedding(6, 2, mask_zero=True)(inputs)
    plain = Lambda(lambda x: x * 2.0)
    with_mask = Lambda(lambda x: x * 2.0, mask=lambda x, previous: previous)
    model = Model(inputs, [dropped(plain(embedded)), kept(with_mask(embedded))])
    with pytest.warns(UserWarning, match="does not support masking"):
        model.predict(IDS, verbose=0)
    assert dropped.seen[-1] is None
    numpy.testing.assert_array_equal(kept.seen[-1], MASK)


def test_an_explicit_mask_for_a_model_reaches_its_layers():
    recorder = MaskRecorder()
    inputs = Input((4, 2))
    model = Model(inputs, recorder(Dense(3)(inputs)))
    mask = numpy.array([[True, False, True, True]])
    model(numpy.ones((1, 4, 2), "float32"), mask=mask)
    numpy.testing.assert_array_equal(recorder.seen[-1], mask)


def _masked_model():
    model = Sequential([Input((4,), dtype="int32"), Embedding(6, 3, mask_zero=True), Dense(2)])
    model.compile("sgd", "mse", metrics=["mae"], weighted_metrics=["mse"])
    rng = numpy.random.default_rng(0)
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.get_weights()])
    return model


Y = numpy.arange(24, dtype="float32").reshape(3, 4, 2) / 10
WEIGHTS = numpy.array([[1.0, 2.0, 0.5, 1.0], [0.3, 1, 1, 2], [2, 2, 1, 1]], "float32")


def test_losses_and_metrics_weigh_masked_steps_zero():
    model = _masked_model()
    prediction = model.predict(IDS, verbose=0)
    errors = ((prediction - Y) ** 2).mean(-1)  # per sample and step, shape (3, 4)
    absolute = numpy.abs(prediction - Y).mean(-1)
    # Keras 3 (losses/loss.py apply_mask): with "sum_over_batch_size" the mask weighs total/valid on
    # the valid steps, so the loss is sum(w * l * mask) / valid; metrics weigh masked steps 0.
    valid = MASK.sum()
    logs = model.evaluate(IDS, Y, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx((errors * MASK).sum() / valid, rel=1e-6)
    assert logs["mae"] == pytest.approx((absolute * MASK).sum() / valid, rel=1e-6)
    logs = model.evaluate(IDS, Y, sample_weight=WEIGHTS, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx((errors * MASK * WEIGHTS).sum() / valid, rel=1e-6)
    assert logs["mae"] == pytest.approx((absolute * MASK).sum() / valid, rel=1e-6)
    assert logs["mse"] == pytest.approx((errors * MASK * WEIGHTS).sum() / (MASK * WEIGHTS).sum(), rel=1e-6)
    # Real Keras 3.15.1 (JAX) on these weights prints the same three figures: loss 4.4927993,
    # mae 1.5685293, mse 3.6927116 (see test_masked_training_matches_keras).


def test_training_on_masked_steps_matches_the_masked_loss_and_leaves_padding_untrained():
    model = _masked_model()
    table_before = model.layers[0].embeddings.numpy().copy()
    history = model.fit(IDS, Y, epochs=1, batch_size=3, shuffle=False, verbose=0)
    reference = _masked_model().evaluate(IDS, Y, verbose=0, return_dict=True)
    assert history.history["loss"][0] == pytest.approx(reference["loss"], rel=1e-6)
    # Within fit the metrics are masked too (as evaluate does, and Keras's TensorFlow backend).
    assert history.history["mae"][0] == pytest.approx(reference["mae"], rel=1e-6)
    # Row 0 (the padding id) only appears at masked steps: its gradient is 0.
    numpy.testing.assert_array_equal(model.layers[0].embeddings.numpy()[0], table_before[0])
    assert not numpy.array_equal(model.layers[0].embeddings.numpy()[1], table_before[1])


def test_masked_training_matches_keras():
    keras = pytest.importorskip("keras")
    model = _masked_model()
    theirs = keras.Sequential([keras.Input((4,), dtype="int32"), keras.layers.Embedding(6, 3, mask_zero=True),
                               keras.layers.Dense(2)])
    theirs.compile("sgd", "mse", metrics=["mae"], weighted_metrics=["mse"])
    theirs.set_weights(model.get_weights())
    ours = model.evaluate(IDS, Y, sample_weight=WEIGHTS, verbose=0, return_dict=True)
    expected = theirs.evaluate(IDS, Y, sample_weight=WEIGHTS, verbose=0, return_dict=True)
    for key in ("loss", "mae", "mse"):
        assert ours[key] == pytest.approx(expected[key], rel=1e-5)
    # Keras's JAX backend drops the mask of y_pred inside fit's metrics (not its loss), so only the
    # loss and the weights are compared after fit.
    history = model.fit(IDS, Y, sample_weight=WEIGHTS, epochs=1, batch_size=3, shuffle=False, verbose=0)
    keras_history = theirs.fit(IDS, Y, sample_weight=WEIGHTS, epochs=1, batch_size=3, shuffle=False, verbose=0)
    assert history.history["loss"][0] == pytest.approx(keras_history.history["loss"][0], rel=1e-5)
    for mine, keras_weight in zip(model.get_weights(), theirs.get_weights()):
        numpy.testing.assert_allclose(mine, keras_weight, rtol=1e-5, atol=1e-6)


def test_softmax_crossentropy_on_masked_steps_keeps_the_fused_gradient_float32():
    model = Sequential([Input((4,), dtype="int32"), Embedding(6, 3, mask_zero=True), Dense(3, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    labels = numpy.array([[0, 1, 2, 0], [1, 1, 2, 0], [2, 0, 0, 1]])
    probabilities = model.predict(IDS, verbose=0)
    picked = numpy.take_along_axis(probabilities, labels[..., None], -1)[..., 0]
    expected = (-numpy.log(picked) * MASK).sum() / MASK.sum()
    assert model.evaluate(IDS, labels, verbose=0) == pytest.approx(expected, rel=1e-5)
    assert model.train_on_batch(IDS, labels) == pytest.approx(expected, rel=1e-5)


def test_a_mask_that_does_not_fit_the_losses_is_refused_with_both_shapes():
    def per_sequence_loss(y_true, y_pred):  # one value per sample, where the mask has one per step
        return anp.mean((y_true - y_pred) ** 2, axis=(1, 2))

    model = Sequential([Input((4,), dtype="int32"), Embedding(6, 3, mask_zero=True), Dense(2)])
    model.compile("sgd", per_sequence_loss)
    with pytest.raises(ValueError, match=r"mask.*\(3, 4\).*losses.*\(3,\)"):
        model.evaluate(IDS, Y, verbose=0)


def test_masks_do_not_outlive_their_arrays_or_leak_into_other_calls():
    model = Sequential([Input((4,), dtype="int32"), Embedding(6, 3, mask_zero=True), Dense(2)])
    out = model(IDS)
    numpy.testing.assert_array_equal(masking.get_keras_mask(out), MASK)  # kept on the returned array
    assert masking.get_keras_mask(numpy.ones((3, 4, 2), "float32")) is None
    key = id(out)
    assert key in masking._registry
    del out
    gc.collect()
    # Its entry is gone (counting entries would also count arrays of earlier tests collected here).
    assert key not in masking._registry or masking._registry[key][0]() is not None
    plain = Sequential([Input((4, 3)), Dense(2)])
    assert masking.get_keras_mask(plain(numpy.ones((3, 4, 3), "float32"))) is None


def test_compute_mask_takes_the_mask_by_keras_3_s_keyword():
    # Keras 3 names the argument `mask` in merge, pooling, Lambda and Embedding layers
    # (`previous_mask` only in the base Layer), so `layer.compute_mask(x, mask=m)` works for them.
    x = numpy.ones((2, 3, 4), "float32")
    first, second = numpy.array([[1, 1, 0], [1, 0, 0]], bool), numpy.array([[1, 0, 0], [1, 1, 1]], bool)
    numpy.testing.assert_array_equal(Add().compute_mask([x, x], mask=[first, second]), first | second)
    numpy.testing.assert_array_equal(Concatenate(axis=1).compute_mask([x, x], mask=[first, None]),
                                     numpy.concatenate([first, numpy.ones((2, 3), bool)], axis=1))
    assert GlobalAveragePooling1D().compute_mask(x, mask=first) is None
    numpy.testing.assert_array_equal(Lambda(lambda t: t, mask=lambda t, m: m).compute_mask(x, mask=first), first)
