"""``model.summary()``: Keras 3's table of layers, output shapes and parameter counts."""

_UNITS = ("B", "KB", "MB", "GB", "TB")
_KERAS_WIDTHS = (33, 24, 15)  # the column widths of Keras 3's table, borders excluded


def readable_size(num_bytes):
    """``'99.41 KB'``-style size, 1 KB = 1024 B (Keras's format)."""
    size = float(num_bytes)
    for unit in _UNITS:
        if size < 1024 or unit == _UNITS[-1]:
            return f"{size:.2f} {unit}"
        size /= 1024


def _format_shape(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def print_summary(model, line_length=None, positions=None, print_fn=None):
    """Print (or hand to ``print_fn``) the summary table of ``model``: one row per layer in ``model.layers``.

    A layer's output shape is computed from the input shape it was built
    for, with the batch dimension shown as None (a layer built by a probe or
    a first call saw some batch size); "?" stands for a layer not built yet.
    """
    print_fn = print_fn or print
    if line_length is None and positions is None:
        widths = list(_KERAS_WIDTHS)
    else:
        inner = (line_length or 4 + sum(_KERAS_WIDTHS)) - 4  # four border characters
        cuts = [int(inner * p) for p in (positions or (0.45, 0.78, 1.0))]
        widths = [cuts[0]] + [b - a for a, b in zip(cuts, cuts[1:])]

    rows = []
    for layer in model.layers:
        if layer.built and layer._build_input_shape is not None:
            input_shape = (None,) + tuple(layer._build_input_shape[1:])
            shape = _format_shape(layer.compute_output_shape(input_shape))
            rows.append((f"{layer.name} ({type(layer).__name__})", shape, f"{layer.count_params():,}"))
        else:
            rows.append((f"{layer.name} ({type(layer).__name__})", "?", "0 (unbuilt)"))

    def line(left, mid, right, fill):
        return left + mid.join(fill * w for w in widths) + right

    def row(cells, sep):
        """One table row; text longer than its column wraps onto extra lines, as in Keras's table."""
        chunks = [[text[i:i + w - 2] for i in range(0, max(len(text), 1), w - 2)] for text, w in zip(cells, widths)]
        out = []
        for k in range(max(len(c) for c in chunks)):
            parts = [c[k] if k < len(c) else "" for c in chunks]
            texts = [f" {parts[0]:<{widths[0] - 2}} ", f" {parts[1]:<{widths[1] - 2}} ",
                     f" {parts[2]:>{widths[2] - 2}} "]
            out.append(sep + sep.join(texts) + sep)
        return out

    lines = [f'Model: "{model.name}"', line("┏", "┳", "┓", "━"),
             *row(("Layer (type)", "Output Shape", "Param #"), "┃"), line("┡", "╇", "┩", "━")]
    for i, cells in enumerate(rows):
        if i:
            lines.append(line("├", "┼", "┤", "─"))
        lines.extend(row(cells, "│"))
    lines.append(line("└", "┴", "┘", "─"))

    trainable = sum(w.size for w in model.trainable_weights)
    total = sum(w.size for w in model.weights)
    optimizer_params = 0
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and getattr(optimizer, "built", False):
        optimizer_params = sum(int(v.size) for v in optimizer.variables)
    itemsize = 4  # float32
    lines.append(f" Total params: {total + optimizer_params:,} ({readable_size((total + optimizer_params) * itemsize)})")
    lines.append(f" Trainable params: {trainable:,} ({readable_size(trainable * itemsize)})")
    lines.append(f" Non-trainable params: {total - trainable:,} ({readable_size((total - trainable) * itemsize)})")
    if optimizer_params:
        lines.append(f" Optimizer params: {optimizer_params:,} ({readable_size(optimizer_params * itemsize)})")
    for text in lines:
        print_fn(text)
