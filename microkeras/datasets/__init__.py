"""Datasets in the ``keras.datasets`` style: Keras's downloadable ones, and the bundled digits.

``mnist``, ``fashion_mnist``, ``cifar10``, ``cifar100``, ``imdb``, ``reuters``,
``boston_housing`` and ``california_housing`` have Keras 3's ``load_data``
signatures and download the same files, checked against the same hashes, into
the Keras cache (``~/.keras/datasets``, or ``$KERAS_HOME/datasets``). ``digits``
ships inside the package and needs no network.
"""

from microkeras.datasets import (boston_housing, california_housing, cifar10, cifar100, digits, fashion_mnist, imdb,
                                 mnist, reuters)

__all__ = ["boston_housing", "california_housing", "cifar10", "cifar100", "digits", "fashion_mnist", "imdb",
           "mnist", "reuters"]
