"""``Sequence``: batched data that knows its length, like ``keras.utils.PyDataset``."""


class Sequence:
    """Base class for data that produces whole batches by index.

    Subclass it and write ``__len__`` (batches per epoch) and
    ``__getitem__(index)`` returning ``(x, y)`` or ``(x, y, sample_weight)``
    (or ``x`` alone for ``predict``).  ``fit`` calls :meth:`on_epoch_end`
    after every epoch, the place to reshuffle your own data.  Unlike a
    generator, a Sequence can be read again each epoch and in any order, so
    ``shuffle=True`` permutes the order of its batches.

    ``workers``, ``use_multiprocessing`` and ``max_queue_size`` are accepted
    for compatibility with ``keras.utils.PyDataset`` and have no effect:
    microkeras reads batches in the training thread.
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self.workers = workers
        self.use_multiprocessing = use_multiprocessing
        self.max_queue_size = max_queue_size

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index).")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__().")

    def on_epoch_end(self):
        """Called after each epoch of ``fit``."""

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]


PyDataset = Sequence  # Keras 3's name
