"""Train the Keras tutorial's model on the bundled handwritten digits.

Run ``python -m microkeras.demo``.  It loads the 8x8 digit images that ship with
microkeras, trains ``Dense -> relu -> Dense -> softmax`` with RMSprop and
categorical crossentropy, shows Keras's progress bar, and prints the test
accuracy (about 0.96-0.97).
"""

import argparse
import time

from microkeras.datasets import digits
from microkeras.layers import Activation, Dense
from microkeras.models import Sequential
from microkeras.utils import set_random_seed, to_categorical


def main(epochs=20, batch_size=32, seed=0, verbose=1):
    """Train and evaluate; return the test accuracy."""
    set_random_seed(seed)
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train = x_train.reshape(len(x_train), 64).astype("float32") / 16.0
    x_test = x_test.reshape(len(x_test), 64).astype("float32") / 16.0

    model = Sequential([Dense(64, input_shape=(64,)), Activation("relu"),
                        Dense(10), Activation("softmax")])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    if verbose:
        model.summary()
    start = time.perf_counter()
    model.fit(x_train, to_categorical(y_train, 10), epochs=epochs, batch_size=batch_size, verbose=verbose)
    seconds = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, to_categorical(y_test, 10), verbose=0)
    print(f"Test accuracy: {accuracy:.4f} (test loss {loss:.4f}; trained in {seconds:.1f} s)")
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2))
    args = parser.parse_args()
    main(args.epochs, args.batch_size, args.seed, args.verbose)
