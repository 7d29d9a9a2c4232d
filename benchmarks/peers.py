"""Optional comparisons: PyTorch, scikit-learn and Keras, each only if it is installed.

Every function returns ``{name: callable}`` entries for :func:`benchmarks.timing.alternate`
(empty when the package is missing).  The models match the workloads: the same
layer sizes, ReLU, softmax cross-entropy, Adam(1e-3, epsilon 1e-7), float32.
W5's CNN runs channels first in PyTorch (its native layout; the images are
transposed once, outside the timing).  W6's LSTM is ``torch.nn.LSTM`` (batch
first) with its last output into a ``Linear`` layer.
"""

import importlib
import importlib.util
import os
import time

import numpy


def _installed(name):
    """True if ``name`` imports; Keras is pointed at JAX unless KERAS_BACKEND says otherwise."""
    if importlib.util.find_spec(name) is None:
        return False
    if name == "keras":
        os.environ.setdefault("KERAS_BACKEND", "jax")
    try:
        importlib.import_module(name)
    except Exception as error:  # a package present but unusable here (e.g. no backend for Keras)
        print(f"skipping {name}: {type(error).__name__}: {error}")
        return False
    return True


def _whole(fn):
    """Wrap ``fn`` so the timer measures the whole call (it ignores the result)."""
    def run():
        fn()
    return run


# ------------------------------------------------------------------- PyTorch
def _torch_mlp(sizes):
    import torch

    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(fan_in, fan_out))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    return model, torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)


def _torch_cnn(input_shape, classes):
    import torch

    nn = torch.nn
    height, width, channels = input_shape
    features = ((height - 2) // 2 - 2) // 2 * (((width - 2) // 2 - 2) // 2) * 64
    model = nn.Sequential(nn.Conv2d(channels, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(features, classes))
    return model, torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)


def _torch_lstm(features, units, classes):
    """``torch.nn.LSTM`` over (batch, steps, features), its last output into ``torch.nn.Linear``."""
    import torch

    class LSTMClassifier(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(features, units, batch_first=True)
            self.dense = torch.nn.Linear(units, classes)

        def forward(self, x):
            _, (h, _) = self.lstm(x)
            return self.dense(h[-1])

    model = LSTMClassifier()
    return model, torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)


def _torch_epochs(model, optimizer, x, y, batch_size, epochs):
    import torch

    x, labels = torch.from_numpy(x), torch.from_numpy(y.argmax(1))
    loss_fn = torch.nn.CrossEntropyLoss()
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(x))
        for s in range(0, len(x), batch_size):
            index = order[s:s + batch_size]
            optimizer.zero_grad()
            loss_fn(model(x[index]), labels[index]).backward()
            optimizer.step()
    return time.perf_counter() - start


# -------------------------------------------------------------- scikit-learn
def _sklearn_mlp(sizes, batch_size):
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier(hidden_layer_sizes=tuple(sizes[1:-1]), solver="adam", learning_rate_init=1e-3,
                         batch_size=batch_size, epsilon=1e-7, alpha=0.0, shuffle=True, random_state=0)


def _sklearn_epochs(model, x, y, epochs):
    labels = y.argmax(1)
    start = time.perf_counter()
    for _ in range(epochs):
        model.partial_fit(x, labels, classes=numpy.arange(y.shape[1]))
    return time.perf_counter() - start


# --------------------------------------------------------------------- Keras
def _keras_mlp(sizes):
    import keras

    model = keras.Sequential([keras.Input((sizes[0],))]
                             + [keras.layers.Dense(u, activation="relu") for u in sizes[1:-1]]
                             + [keras.layers.Dense(sizes[-1], activation="softmax")])
    model.compile(keras.optimizers.Adam(1e-3), "categorical_crossentropy")
    return model


def _keras_cnn(input_shape, classes=10):
    import keras

    layers = keras.layers
    model = keras.Sequential([keras.Input(input_shape), layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
                              layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(), layers.Flatten(),
                              layers.Dense(classes, activation="softmax")])
    model.compile(keras.optimizers.Adam(1e-3), "categorical_crossentropy")
    return model


def _keras_lstm(input_shape, units, classes):
    import keras

    model = keras.Sequential([keras.Input(input_shape), keras.layers.LSTM(units),
                              keras.layers.Dense(classes, activation="softmax")])
    model.compile(keras.optimizers.Adam(1e-3), "categorical_crossentropy")
    return model


def _keras_epochs(model, x, y, batch_size, epochs):
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
    return time.perf_counter() - start


def _training_candidates(x, y, sizes, batch_size, epochs):
    out = {}
    if _installed("torch"):
        import torch

        torch.set_num_threads(max(1, torch.get_num_threads()))
        model, optimizer = _torch_mlp(sizes)
        _torch_epochs(model, optimizer, x[:1024], y[:1024], batch_size, 1)
        out["PyTorch (eager)"] = lambda: _torch_epochs(model, optimizer, x, y, batch_size, epochs)
    if _installed("sklearn"):
        mlp = _sklearn_mlp(sizes, batch_size)
        _sklearn_epochs(mlp, x[:1024], y[:1024], 1)
        out["scikit-learn MLPClassifier"] = lambda: _sklearn_epochs(mlp, x, y, epochs)
    if _installed("keras"):
        keras_model = _keras_mlp(sizes)
        _keras_epochs(keras_model, x[:1024], y[:1024], batch_size, 1)
        out["Keras 3 (" + __import__("keras").backend.backend() + ")"] = \
            lambda: _keras_epochs(keras_model, x, y, batch_size, epochs)
    return out


def w1_candidates(x, y, sizes, batch_size):
    return _training_candidates(x, y, sizes, batch_size, 1)


def w2_candidates(x, y, sizes, batch_size, epochs):
    return _training_candidates(x, y, sizes, batch_size, epochs)


def w3_candidates(x, sizes, batch_size):
    out = {}
    if _installed("torch"):
        import torch

        model, _ = _torch_mlp(sizes)
        tensor = torch.from_numpy(x)

        def torch_predict():
            with torch.no_grad():
                for s in range(0, len(x), batch_size):
                    torch.softmax(model(tensor[s:s + batch_size]), dim=1)

        out["PyTorch (eager)"] = torch_predict
    if _installed("sklearn"):
        mlp = _sklearn_mlp(sizes, batch_size)
        mlp.partial_fit(x[:batch_size], numpy.arange(batch_size) % sizes[-1], classes=numpy.arange(sizes[-1]))
        out["scikit-learn MLPClassifier"] = _whole(lambda: mlp.predict_proba(x))
    if _installed("keras"):
        keras_model = _keras_mlp(sizes)
        keras_model.predict(x[:batch_size], verbose=0)
        out["Keras 3 (" + __import__("keras").backend.backend() + ")"] = \
            _whole(lambda: keras_model.predict(x, batch_size=batch_size, verbose=0))
    return out


def w5_candidates(x, y, batch_size):
    """W5's CNN: one training epoch on images ``x`` of shape (n, height, width, channels)."""
    out = {}
    if _installed("torch"):
        model, optimizer = _torch_cnn(x.shape[1:], y.shape[1])
        images = numpy.ascontiguousarray(x.transpose(0, 3, 1, 2))
        _torch_epochs(model, optimizer, images[:1024], y[:1024], batch_size, 1)
        out["PyTorch (eager)"] = lambda: _torch_epochs(model, optimizer, images, y, batch_size, 1)
    if _installed("keras"):
        keras_model = _keras_cnn(x.shape[1:], y.shape[1])
        _keras_epochs(keras_model, x[:1024], y[:1024], batch_size, 1)
        out["Keras 3 (" + __import__("keras").backend.backend() + ")"] = \
            lambda: _keras_epochs(keras_model, x, y, batch_size, 1)
    return out


def w5p_candidates(x, batch_size, classes=10):
    """W5's CNN: predict on images ``x``."""
    out = {}
    if _installed("torch"):
        import torch

        model, _ = _torch_cnn(x.shape[1:], classes)
        images = torch.from_numpy(numpy.ascontiguousarray(x.transpose(0, 3, 1, 2)))

        def torch_predict():
            with torch.no_grad():
                for s in range(0, len(images), batch_size):
                    torch.softmax(model(images[s:s + batch_size]), dim=1)

        out["PyTorch (eager)"] = torch_predict
    if _installed("keras"):
        keras_model = _keras_cnn(x.shape[1:], classes)
        keras_model.predict(x[:batch_size], verbose=0)
        out["Keras 3 (" + __import__("keras").backend.backend() + ")"] = \
            _whole(lambda: keras_model.predict(x, batch_size=batch_size, verbose=0))
    return out


def w6_candidates(x, y, batch_size, units=64):
    """W6's LSTM: one training epoch on sequences ``x`` of shape (n, steps, features)."""
    out = {}
    if _installed("torch"):
        model, optimizer = _torch_lstm(x.shape[2], units, y.shape[1])
        _torch_epochs(model, optimizer, x[:640], y[:640], batch_size, 1)
        out["PyTorch (eager)"] = lambda: _torch_epochs(model, optimizer, x, y, batch_size, 1)
    if _installed("keras"):
        keras_model = _keras_lstm(x.shape[1:], units, y.shape[1])
        _keras_epochs(keras_model, x[:640], y[:640], batch_size, 1)
        out["Keras 3 (" + __import__("keras").backend.backend() + ")"] = \
            lambda: _keras_epochs(keras_model, x, y, batch_size, 1)
    return out
