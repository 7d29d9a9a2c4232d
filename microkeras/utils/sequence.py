"""``PyDataset`` (also ``Sequence``): batched data that knows its length, as in ``keras.utils``."""

class PyDataset:
    """Base class for data that produces whole batches by index.

    Subclass it, call ``super().__init__(**kwargs)``, and write ``__len__``
    (batches per epoch) and ``__getitem__(index)`` returning ``(x, y)`` or
    ``(x, y, sample_weight)`` (or ``x`` alone for ``predict``). ``fit`` calls
    :meth:`on_epoch_begin` before and :meth:`on_epoch_end` after every epoch,
    the places to reshuffle your own data. Unlike a generator, a PyDataset
    can be read again each epoch and in any order, so ``shuffle=True``
    permutes the order of its batches.

    ``workers``, ``use_multiprocessing`` and ``max_queue_size`` are kept
    for compatibility with Keras 3 and have no effect: microkeras reads
    batches in the training thread.
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    # A subclass that forgets super().__init__() still reads Keras's defaults.
    workers = property(lambda self: getattr(self, "_workers", 1),
                       lambda self, value: setattr(self, "_workers", value))
    use_multiprocessing = property(lambda self: getattr(self, "_use_multiprocessing", False),
                                   lambda self, value: setattr(self, "_use_multiprocessing", value))
    max_queue_size = property(lambda self: getattr(self, "_max_queue_size", 10),
                              lambda self, value: setattr(self, "_max_queue_size", value))

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index).")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__().")

    @property
    def num_batches(self):
        """Number of batches, ``len(self)``."""
        return len(self)

    def on_epoch_begin(self):
        """Called before each epoch of ``fit``."""

    def on_epoch_end(self):
        """Called after each epoch of ``fit``."""

    def __iter__(self):
        for index in range(self.num_batches):
            yield self[index]


Sequence = PyDataset  # Keras 2's name, still exported by Keras 3
