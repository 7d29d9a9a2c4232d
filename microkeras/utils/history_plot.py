"""``plot_history``: the curves of a ``fit``'s History, training beside validation, one panel per metric.

Keras has no such helper; most users write these lines by hand after every
``fit``. matplotlib is optional (``pip install matplotlib``) and imported only
when a plot is drawn.
"""

_VAL = "val_"


def plot_history(history, metrics=None, to_file=None, figsize=None):
    """Draw each metric of ``history`` against the epoch, with its ``val_`` twin on the same panel.

    Parameters
    ----------
    history : History or dict
        What ``fit`` returned, or its ``.history`` dict (``{'loss': [...], 'val_loss': [...]}``).
    metrics : str or list of str, optional
        Names to plot (``'loss'``, ``'accuracy'``...), without the ``val_`` prefix;
        every name in the history if None.
    to_file : str or path, optional
        Also save the figure there (the extension picks the format).
    figsize : (float, float), optional
        Figure size in inches; 4 x 3 per panel if None.

    Returns
    -------
    matplotlib.figure.Figure
    """
    logs, epochs = _logs_and_epochs(history)
    names = _names_to_plot(logs, metrics)
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plot_history needs matplotlib: `pip install matplotlib`.") from None
    figure, axes = plt.subplots(1, len(names), figsize=figsize or (4 * len(names), 3), squeeze=False)
    for ax, name in zip(axes[0], names):
        for key, label in ((name, "training"), (_VAL + name, "validation")):
            if key in logs:
                ax.plot(epochs[:len(logs[key])], logs[key], label=label, marker="." if len(epochs) < 30 else None)
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.legend()
    figure.tight_layout()
    if to_file is not None:
        figure.savefig(to_file)
    return figure


def _logs_and_epochs(history):
    logs = history if isinstance(history, dict) else getattr(history, "history", None)
    if not isinstance(logs, dict) or not logs:
        raise ValueError("plot_history: `history` must be what `fit` returned (a History) or its non-empty "
                         f"`.history` dict; received {type(history).__name__}.")
    length = max(len(values) for values in logs.values())
    epochs = getattr(history, "epoch", None) or list(range(length))
    return logs, [epoch + 1 for epoch in epochs]  # the numbers fit prints: Epoch 1/...


def _names_to_plot(logs, metrics):
    available = list(dict.fromkeys(key[len(_VAL):] if key.startswith(_VAL) else key for key in logs))
    if metrics is None:
        return available
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    for name in names:
        if not isinstance(name, str) or name not in available:
            raise ValueError(f"plot_history: `metrics` must name logged values, from {available}; "
                             f"received {name!r}.")
    if not names:
        raise ValueError(f"plot_history: `metrics` is empty; name some of {available}.")
    return names
