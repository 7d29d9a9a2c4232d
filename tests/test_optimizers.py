"""Optimizers checked against float64 re-implementations of Keras 3's update rules
(keras-semantics.md section 1.8), plus the in-place, float32 and config contracts."""

import json
import tracemalloc

import numpy
import pytest

from microkeras import optimizers
from microkeras.utils.naming import clear_session

W0 = numpy.array([[1.0, -2.0], [0.5, 3.0]], dtype=numpy.float32)
# Three fixed gradients.  The +-1e-4 entries make epsilon's placement visible (inside
# or outside a square root changes the step there by percents).  The last entry
# drops from 1.0 to 0.01, so Adam's v shrinks and amsgrad's running max matters.
GRADS = [
    numpy.array([[0.5, -1.0], [1e-4, 1.0]], dtype=numpy.float32),
    numpy.array([[-0.3, -0.8], [2e-4, 0.01]], dtype=numpy.float32),
    numpy.array([[0.2, 0.4], [-1e-4, 0.01]], dtype=numpy.float32),
]
EPS = 1e-7


# --- float64 references: each yields (w, [slots in Keras order]) after steps 1, 2, 3 ---

def reference_sgd(lr, momentum=0.0, nesterov=False, weight_decay=0.0):
    # Plain: w <- w - lr g.  Momentum: m <- mu m - lr g, w <- w + m.
    # Nesterov: m as above, then w <- w + mu m - lr g (with the new m).
    w, m = W0.astype(float), numpy.zeros(W0.shape)
    for g in GRADS:
        g = g.astype(float)
        w = w - w * weight_decay * lr
        if momentum == 0:
            w = w - lr * g
            yield w, []
            continue
        m = momentum * m - lr * g
        w = w + momentum * m - lr * g if nesterov else w + m
        yield w, [m]


def reference_rmsprop(lr, rho=0.9, momentum=0.0, centered=False):
    # v <- rho v + (1-rho) g^2; centered: a <- rho a + (1-rho) g.
    # increment = lr g / sqrt(v + eps)   or   lr g / sqrt(v - a^2 + eps)  (eps inside sqrt)
    # momentum > 0: m <- mu m + increment, w <- w - m; else w <- w - increment.
    w, v, a, m = W0.astype(float), *(numpy.zeros(W0.shape) for _ in range(3))
    for g in GRADS:
        g = g.astype(float)
        v = rho * v + (1 - rho) * g**2
        if centered:
            a = rho * a + (1 - rho) * g
            increment = lr * g / numpy.sqrt(v - a**2 + EPS)
        else:
            increment = lr * g / numpy.sqrt(v + EPS)
        if momentum > 0:
            m = momentum * m + increment
            w = w - m
        else:
            w = w - increment
        yield w, [v] + ([m] if momentum > 0 else []) + ([a] if centered else [])


def reference_adam(lr, beta_1=0.9, beta_2=0.999, amsgrad=False, weight_decay=0.0):
    # AdamW part first: w <- w - w wd lr.  Then m <- m + (g-m)(1-b1), v <- v + (g^2-v)(1-b2),
    # alpha = lr sqrt(1-b2^t)/(1-b1^t)  (bias correction folded into the step size),
    # amsgrad: vhat <- max(vhat, v) replaces v;  w <- w - alpha m / (sqrt(v) + eps).
    w, m, v, vhat = W0.astype(float), *(numpy.zeros(W0.shape) for _ in range(3))
    for t, g in enumerate(GRADS, start=1):
        g = g.astype(float)
        w = w - w * weight_decay * lr
        m = m + (g - m) * (1 - beta_1)
        v = v + (g**2 - v) * (1 - beta_2)
        alpha = lr * numpy.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        vhat = numpy.maximum(vhat, v)
        w = w - alpha * m / (numpy.sqrt(vhat if amsgrad else v) + EPS)
        yield w, [m, v] + ([vhat] if amsgrad else [])


def reference_adagrad(lr, initial_accumulator_value=0.1):
    # a starts at 0.1; a <- a + g^2; w <- w - lr g / sqrt(a + eps).
    w, a = W0.astype(float), numpy.full(W0.shape, initial_accumulator_value)
    for g in GRADS:
        g = g.astype(float)
        a = a + g**2
        w = w - lr * g / numpy.sqrt(a + EPS)
        yield w, [a]


def reference_adadelta(lr, rho=0.95):
    # Eg <- rho Eg + (1-rho) g^2; delta = -sqrt(Ed+eps) g / sqrt(Eg+eps);
    # Ed <- rho Ed + (1-rho) delta^2; w <- w + lr delta.
    w, eg, ed = W0.astype(float), numpy.zeros(W0.shape), numpy.zeros(W0.shape)
    for g in GRADS:
        g = g.astype(float)
        eg = rho * eg + (1 - rho) * g**2
        delta = -numpy.sqrt(ed + EPS) * g / numpy.sqrt(eg + EPS)
        ed = rho * ed + (1 - rho) * delta**2
        w = w + lr * delta
        yield w, [eg, ed]


def reference_adamax(lr, beta_1=0.9, beta_2=0.999):
    # m <- m + (g-m)(1-b1); u <- max(b2 u, |g|); w <- w - lr m / ((1-b1^t)(u+eps)).
    w, m, u = W0.astype(float), numpy.zeros(W0.shape), numpy.zeros(W0.shape)
    for t, g in enumerate(GRADS, start=1):
        g = g.astype(float)
        m = m + (g - m) * (1 - beta_1)
        u = numpy.maximum(beta_2 * u, numpy.abs(g))
        w = w - lr * m / ((1 - beta_1**t) * (u + EPS))
        yield w, [m, u]


def reference_nadam(lr, beta_1=0.9, beta_2=0.999):
    # mu_t = b1 (1 - 0.5 * 0.96^t); P_t = P_{t-1} mu_t with P_0 = 1 (the u_product variable,
    # updated before the step); m, v as in Adam;
    # m_hat = mu_{t+1} m / (1 - P_t mu_{t+1}) + (1 - mu_t) g / (1 - P_t);
    # v_hat = v / (1 - b2^t); w <- w - lr m_hat / (sqrt(v_hat) + eps).
    w, m, v, product = W0.astype(float), numpy.zeros(W0.shape), numpy.zeros(W0.shape), 1.0
    for t, g in enumerate(GRADS, start=1):
        g = g.astype(float)
        mu, mu_next = beta_1 * (1 - 0.5 * 0.96**t), beta_1 * (1 - 0.5 * 0.96 ** (t + 1))
        product = product * mu
        m = m + (g - m) * (1 - beta_1)
        v = v + (g**2 - v) * (1 - beta_2)
        m_hat = mu_next * m / (1 - product * mu_next) + (1 - mu) * g / (1 - product)
        v_hat = v / (1 - beta_2**t)
        w = w - lr * m_hat / (numpy.sqrt(v_hat) + EPS)
        yield w, [m, v, numpy.array(product)]


CASES = {
    "sgd": (lambda: optimizers.SGD(0.1), lambda: reference_sgd(0.1)),
    "sgd_momentum": (lambda: optimizers.SGD(0.1, momentum=0.9),
                     lambda: reference_sgd(0.1, momentum=0.9)),
    "sgd_nesterov": (lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True),
                     lambda: reference_sgd(0.1, momentum=0.9, nesterov=True)),
    "rmsprop": (lambda: optimizers.RMSprop(0.1), lambda: reference_rmsprop(0.1)),
    "rmsprop_centered": (lambda: optimizers.RMSprop(0.1, centered=True),
                         lambda: reference_rmsprop(0.1, centered=True)),
    "rmsprop_momentum": (lambda: optimizers.RMSprop(0.1, momentum=0.5),
                         lambda: reference_rmsprop(0.1, momentum=0.5)),
    "rmsprop_centered_momentum": (lambda: optimizers.RMSprop(0.1, momentum=0.5, centered=True),
                                  lambda: reference_rmsprop(0.1, momentum=0.5, centered=True)),
    "adam": (lambda: optimizers.Adam(0.1), lambda: reference_adam(0.1)),
    "adam_amsgrad": (lambda: optimizers.Adam(0.1, amsgrad=True),
                     lambda: reference_adam(0.1, amsgrad=True)),
    "adamw": (lambda: optimizers.AdamW(0.1), lambda: reference_adam(0.1, weight_decay=0.004)),
    "adagrad": (lambda: optimizers.Adagrad(0.1), lambda: reference_adagrad(0.1)),
    "adadelta": (lambda: optimizers.Adadelta(1.0), lambda: reference_adadelta(1.0)),
    "adamax": (lambda: optimizers.Adamax(0.1), lambda: reference_adamax(0.1)),
    "nadam": (lambda: optimizers.Nadam(0.1), lambda: reference_nadam(0.1)),
}


@pytest.mark.parametrize("case", CASES)
def test_first_three_steps_match_keras_formula(case):
    make, reference = CASES[case]
    optimizer, w = make(), W0.copy()
    weights = w
    for step, (grad, (w_expected, slots_expected)) in enumerate(zip(GRADS, reference()), start=1):
        optimizer.apply([grad], [w])
        assert w is weights and w.dtype == numpy.float32
        numpy.testing.assert_allclose(w, w_expected, rtol=1e-6, atol=1e-7)
        slots = optimizer.variables[2:]
        assert len(slots) == len(slots_expected)
        for slot, expected in zip(slots, slots_expected):
            assert slot.dtype == numpy.float32
            # atol scaled to the slot: a momentum entry near 0 is a float32 cancellation.
            atol = 1e-6 * numpy.abs(expected).max()
            numpy.testing.assert_allclose(slot, expected, rtol=2e-6, atol=atol)
        assert optimizer.iterations == step


@pytest.mark.parametrize("name", sorted(optimizers._BY_NAME))
def test_apply_allocates_no_weight_sized_temporaries(name):
    # The training loop calls apply() every step; slots and scratch live in buffers from build().
    optimizer = optimizers.get({"class_name": name, "config": {"clipnorm": 1.0}})
    w = numpy.ones((256, 256), dtype=numpy.float32)
    grad = numpy.full_like(w, 0.5)
    optimizer.apply([grad], [w])  # builds
    tracemalloc.start()
    try:
        optimizer.apply([grad], [w])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < w.nbytes // 8


@pytest.mark.parametrize("clip", [{}, {"clipnorm": 0.1}, {"clipvalue": 0.1}, {"global_clipnorm": 0.1}])
@pytest.mark.parametrize("name", sorted(optimizers._BY_NAME))
def test_apply_leaves_gradients_untouched(name, clip):
    optimizer = optimizers.get({"class_name": name, "config": clip})
    w, grads = W0.copy(), [g.copy() for g in GRADS]
    for grad in grads:
        optimizer.apply([grad], [w])
    for grad, original in zip(grads, GRADS):
        numpy.testing.assert_array_equal(grad, original)


def _clipped(**clip):
    # SGD with lr=1 from zero weights leaves -clipped_gradient in the weights.
    optimizer = optimizers.SGD(learning_rate=1.0, **clip)
    weights = [numpy.zeros(2, numpy.float32), numpy.zeros(1, numpy.float32)]
    optimizer.apply([numpy.array([3.0, 4.0], numpy.float32), numpy.array([12.0], numpy.float32)],
                    weights)
    return [-w for w in weights]


def test_clipnorm_clips_each_gradient_norm_like_keras():
    # Keras run: (3, 4), (12) with clipnorm 0.1 -> (0.06, 0.08), (0.1).
    first, second = _clipped(clipnorm=0.1)
    numpy.testing.assert_allclose(first, [0.06, 0.08], rtol=1e-6)
    numpy.testing.assert_allclose(second, [0.1], rtol=1e-6)


def test_global_clipnorm_clips_the_joint_norm_like_keras():
    # Joint norm sqrt(9 + 16 + 144) = 13, so every gradient is scaled by 0.1 / 13;
    # the Keras run printed (0.0231, 0.0308), (0.0923).
    first, second = _clipped(global_clipnorm=0.1)
    numpy.testing.assert_allclose(first, [0.3 / 13, 0.4 / 13], rtol=1e-6)
    numpy.testing.assert_allclose(second, [1.2 / 13], rtol=1e-6)
    numpy.testing.assert_allclose(numpy.round([*first, *second], 4), [0.0231, 0.0308, 0.0923])


@pytest.mark.parametrize("clip", ["clipnorm", "global_clipnorm"])
def test_norm_clipping_leaves_gradients_below_the_threshold_unchanged(clip):
    optimizer = optimizers.SGD(learning_rate=1.0, **{clip: 1.0})
    w = numpy.zeros(2, numpy.float32)
    optimizer.apply([numpy.array([0.3, 0.4], numpy.float32)], [w])
    numpy.testing.assert_allclose(w, [-0.3, -0.4], rtol=1e-6)


def test_clipvalue_clips_each_element():
    first, second = _clipped(clipvalue=3.5)
    numpy.testing.assert_array_equal(first, [3.0, 3.5])
    numpy.testing.assert_array_equal(second, [3.5])


def test_only_one_clip_option_may_be_set():
    with pytest.raises(ValueError, match="clipnorm.*clipvalue.*global_clipnorm"):
        optimizers.SGD(clipnorm=1.0, clipvalue=1.0)


def test_weight_decay_on_sgd_shrinks_weights_before_the_step():
    # w <- w - w * wd * lr, then w <- w - lr * g:  [1, 2] * (1 - 0.5 * 0.1) - 0.1 * [0.1, 0.2]
    optimizer = optimizers.SGD(learning_rate=0.1, weight_decay=0.5)
    w = numpy.array([1.0, 2.0], numpy.float32)
    optimizer.apply([numpy.array([0.1, 0.2], numpy.float32)], [w])
    numpy.testing.assert_allclose(w, [0.94, 1.88], rtol=1e-6)
    assert w.dtype == numpy.float32


def test_exclude_from_weight_decay_by_array_and_by_name():
    zero = numpy.zeros(1, numpy.float32)
    kernel, bias, other = (numpy.ones(1, numpy.float32) for _ in range(3))
    optimizer = optimizers.SGD(learning_rate=0.1, weight_decay=1.0)
    optimizer.exclude_from_weight_decay(var_list=[other], var_names=["bias"])
    optimizer.build([kernel, bias, other], names=["dense/kernel", "dense/bias", "dense_1/kernel"])
    optimizer.apply([zero, zero, zero], [kernel, bias, other])
    numpy.testing.assert_allclose([kernel[0], bias[0], other[0]], [0.9, 1.0, 1.0], rtol=1e-6)


def test_learning_rate_is_settable_and_used_by_the_next_step():
    optimizer = optimizers.SGD(learning_rate=0.1)
    w, grad = numpy.zeros(1, numpy.float32), numpy.ones(1, numpy.float32)
    optimizer.apply([grad], [w])
    optimizer.learning_rate = 0.5
    optimizer.apply([grad], [w])
    assert optimizer.learning_rate == 0.5 and isinstance(optimizer.learning_rate, float)
    numpy.testing.assert_allclose(w, [-0.6], rtol=1e-6)
    with pytest.raises(ValueError, match="learning_rate"):
        optimizer.learning_rate = -1.0


def test_keras2_lr_alias_and_decay():
    # Keras 2: lr_t = lr / (1 + decay * iterations): steps of 1, 1/1.5, 1/2 for a unit gradient.
    optimizer = optimizers.SGD(lr=1.0, decay=0.5)
    assert optimizer.learning_rate == 1.0 and optimizer.lr == 1.0
    w, grad = numpy.zeros(1, numpy.float32), numpy.ones(1, numpy.float32)
    for _ in range(3):
        optimizer.apply([grad], [w])
    numpy.testing.assert_allclose(w, [-(1 + 1 / 1.5 + 1 / 2)], rtol=1e-6)
    assert optimizers.SGD.from_config(optimizer.get_config()).decay == 0.5


def test_variables_list_iterations_learning_rate_then_each_variables_slots():
    kernel, bias = W0.copy(), numpy.zeros(3, numpy.float32)
    optimizer = optimizers.Adam(learning_rate=0.01)
    assert [v.dtype for v in optimizer.variables] == [numpy.int64, numpy.float32]
    optimizer.apply([GRADS[0], numpy.ones(3, numpy.float32)], [kernel, bias])
    variables = optimizer.variables
    assert [v.shape for v in variables] == [(), (), (2, 2), (2, 2), (3,), (3,)]
    assert int(variables[0]) == 1 and variables[0].dtype == numpy.int64
    assert variables[1] == numpy.float32(0.01) and variables[1].dtype == numpy.float32
    numpy.testing.assert_allclose(variables[2], 0.1 * GRADS[0], rtol=1e-6)  # kernel momentum
    numpy.testing.assert_allclose(variables[3], 0.001 * GRADS[0] ** 2, rtol=1e-6)  # kernel velocity
    assert optimizer.variables[2] is variables[2]  # slots are the live arrays
    nadam = optimizers.Nadam()
    nadam.apply([GRADS[0]], [W0.copy()])
    assert len(nadam.variables) == 5 and nadam.variables[-1].shape == ()  # u_product last
    assert len(optimizers.SGD().variables) == 2


def test_set_weights_restores_state_so_training_continues_identically():
    original, restored = optimizers.Nadam(0.1), optimizers.Nadam(0.1)
    w = W0.copy()
    for grad in GRADS[:2]:
        original.apply([grad], [w])
    w_copy = w.copy()
    restored.build([w_copy])
    restored.set_weights([v.copy() for v in original.variables])
    original.apply([GRADS[2]], [w])
    restored.apply([GRADS[2]], [w_copy])
    numpy.testing.assert_array_equal(w, w_copy)
    assert restored.iterations == 3 and restored.learning_rate == 0.1


def test_apply_gradients_takes_pairs_and_returns_iterations():
    optimizer, w = optimizers.SGD(1.0), numpy.zeros(2, numpy.float32)
    assert optimizer.apply_gradients([(numpy.ones(2, numpy.float32), w)]) == 1
    numpy.testing.assert_array_equal(w, [-1.0, -1.0])


def test_none_gradients_skip_their_variable_with_a_warning():
    optimizer = optimizers.SGD(1.0)
    a, b = numpy.zeros(1, numpy.float32), numpy.zeros(1, numpy.float32)
    with pytest.warns(UserWarning, match="Gradients do not exist"):
        optimizer.apply([None, numpy.ones(1, numpy.float32)], [a, b])
    assert a[0] == 0.0 and b[0] == -1.0


def test_apply_rejects_unknown_variables_and_mismatched_shapes():
    optimizer, w = optimizers.Adam(), numpy.zeros(2, numpy.float32)
    optimizer.apply([numpy.ones(2, numpy.float32)], [w])
    with pytest.raises(ValueError, match="built with"):
        optimizer.apply([numpy.ones(2, numpy.float32)], [numpy.zeros(2, numpy.float32)])
    with pytest.raises(ValueError, match="shape"):
        optimizer.apply([numpy.ones(1, numpy.float32)], [w])


def test_default_names_are_keras_3_s_unique_snake_case_class_names():
    # Keras 3 (keras/src/utils/naming.py auto_name): the class name in snake case, then _1, _2...
    clear_session()
    names = {cls.__name__: cls().name for cls in optimizers._BY_NAME.values()}
    assert names == {"SGD": "sgd", "RMSprop": "rm_sprop", "Adam": "adam", "AdamW": "adam_w",
                     "Adagrad": "adagrad", "Adadelta": "adadelta", "Adamax": "adamax",
                     "Nadam": "nadam"}
    assert [optimizers.Adam().name, optimizers.get("adam").name] == ["adam_1", "adam_2"]
    assert optimizers.Adam(name="mine").name == "mine"


def test_keras3_defaults():
    assert optimizers.SGD().learning_rate == 0.01
    assert optimizers.Adagrad().initial_accumulator_value == 0.1
    assert optimizers.Adadelta().rho == 0.95
    assert optimizers.AdamW().weight_decay == 0.004
    for cls in (optimizers.RMSprop, optimizers.Adam, optimizers.Adagrad, optimizers.Adadelta,
                optimizers.Adamax, optimizers.Nadam):
        assert cls().learning_rate == 0.001 and cls().epsilon == 1e-7


def test_get_resolves_names_instances_and_dicts():
    adam = optimizers.get("Adam")
    assert type(adam) is optimizers.Adam and adam.learning_rate == 0.001
    assert type(optimizers.get("RMSPROP")) is optimizers.RMSprop
    assert optimizers.get(adam) is adam
    assert optimizers.get("sgd") is not optimizers.get("sgd")
    restored = optimizers.get(optimizers.serialize(optimizers.SGD(0.3, momentum=0.9)))
    assert type(restored) is optimizers.SGD and restored.momentum == 0.9


def test_get_rejects_unknown_names_listing_the_accepted_ones():
    with pytest.raises(ValueError, match="optimizer='adm'") as info:
        optimizers.get("adm")
    for name in ("'sgd'", "'rmsprop'", "'adam'", "'adamw'", "'adagrad'", "'adadelta'",
                 "'adamax'", "'nadam'"):
        assert name in str(info.value)
    with pytest.raises(TypeError, match="optimizer"):
        optimizers.get(3)


@pytest.mark.parametrize("make, error, argument", [
    (lambda: optimizers.SGD(learning_rate=-1.0), ValueError, "learning_rate"),
    (lambda: optimizers.SGD(learning_rate="fast"), TypeError, "learning_rate"),
    (lambda: optimizers.SGD(momentum=1.5), ValueError, "momentum"),
    (lambda: optimizers.SGD(nesterov="yes"), TypeError, "nesterov"),
    (lambda: optimizers.RMSprop(rho=-0.1), ValueError, "rho"),
    (lambda: optimizers.Adam(beta_1=1.0), ValueError, "beta_1"),
    (lambda: optimizers.Adam(epsilon=-1e-7), ValueError, "epsilon"),
    (lambda: optimizers.Adagrad(initial_accumulator_value=-0.1), ValueError,
     "initial_accumulator_value"),
    (lambda: optimizers.Adam(clipnorm=0.0), ValueError, "clipnorm"),
    (lambda: optimizers.Adam(weight_decay=float("nan")), ValueError, "weight_decay"),
    (lambda: optimizers.AdamW(weight_decay=None), ValueError, "weight_decay"),
    (lambda: optimizers.Adam(foo=1), TypeError, "foo"),
    (lambda: optimizers.Adam(use_ema=True), ValueError, "use_ema.*not supported by microkeras"),
    (lambda: optimizers.Adam(gradient_accumulation_steps=4), ValueError,
     "gradient_accumulation_steps.*not supported by microkeras"),
])
def test_invalid_arguments_raise_naming_the_argument(make, error, argument):
    with pytest.raises(error, match=argument):
        make()


@pytest.mark.parametrize("optimizer", [
    optimizers.SGD(0.05, momentum=0.8, nesterov=True, clipnorm=1.0),
    optimizers.RMSprop(0.002, rho=0.8, momentum=0.1, centered=True, global_clipnorm=2.0),
    optimizers.Adam(0.003, beta_1=0.8, amsgrad=True, weight_decay=0.01, name="my_adam"),
    optimizers.AdamW(clipvalue=0.5),
    optimizers.Adagrad(initial_accumulator_value=0.2),
    optimizers.Adadelta(rho=0.9),
    optimizers.Adamax(beta_2=0.99),
    optimizers.Nadam(epsilon=1e-6),
], ids=lambda optimizer: type(optimizer).__name__)
def test_config_round_trips_with_keras3_keys(optimizer):
    config = optimizer.get_config()
    json.dumps(config)
    for key in ("name", "learning_rate", "weight_decay", "clipnorm", "global_clipnorm", "clipvalue"):
        assert key in config
    assert type(optimizer).from_config(config).get_config() == config
    restored = optimizers.deserialize(optimizers.serialize(optimizer))
    assert type(restored) is type(optimizer) and restored.get_config() == config


def test_deserialize_accepts_a_keras3_optimizer_entry():
    entry = {"module": "keras.optimizers", "class_name": "Adam", "registered_name": None,
             "config": {"name": "adam", "learning_rate": 0.0010000000474974513, "weight_decay": None,
                        "clipnorm": None, "global_clipnorm": None, "clipvalue": None,
                        "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
                        "loss_scale_factor": None, "gradient_accumulation_steps": None,
                        "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False}}
    adam = optimizers.deserialize(entry)
    assert type(adam) is optimizers.Adam and adam.get_config() == entry["config"]
