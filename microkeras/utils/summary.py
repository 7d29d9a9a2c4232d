"""``model.summary()``: Keras 3's table of layers, output shapes and parameter counts."""

_UNITS = ("B", "KB", "MB", "GB", "TB")
# The column widths of Keras 3's tables (borders excluded): a stack of layers, and a functional
# model with its "Connected to" column; and where a given line_length is cut.
_KERAS_WIDTHS = (33, 24, 15)
_KERAS_FUNCTIONAL_WIDTHS = (21, 19, 12, 19)
_POSITIONS = (0.45, 0.78, 1.0)
_FUNCTIONAL_POSITIONS = (0.3, 0.56, 0.74, 1.0)


def readable_size(num_bytes):
    """``'99.41 KB'``-style size, 1 KB = 1024 B (Keras's format)."""
    size = float(num_bytes)
    for unit in _UNITS:
        if size < 1024 or unit == _UNITS[-1]:
            return f"{size:.2f} {unit}"
        size /= 1024


def _format_shape(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _layer_rows(model):
    rows = []
    for layer in model.layers:
        if layer.built and layer._build_input_shape is not None:
            input_shape = (None,) + tuple(layer._build_input_shape[1:])
            shape = _format_shape(layer.compute_output_shape(input_shape))
            rows.append((f"{layer.name} ({type(layer).__name__})", shape, f"{layer.count_params():,}"))
        else:
            rows.append((f"{layer.name} ({type(layer).__name__})", "?", "0 (unbuilt)"))
    return rows


def _functional_rows(model):
    """A row per layer or ``keras.ops`` operation of the graph, in graph order: its output shape (of its
    last call), and the tensors its calls in this model take, as ``layer[node][tensor]`` (Keras 3's
    "Connected to" column)."""
    own = {id(node) for node in model._nodes}
    rows = []
    for layer in getattr(model, "_operations", model.layers):
        shapes = [_format_shape(tensor.shape) for tensor in layer._inbound_nodes[-1].outputs]
        sources = [f"{t._keras_history[0].name}[{t._keras_history[1]}][{t._keras_history[2]}]"
                   for node in layer._inbound_nodes if id(node) in own for t in node.inputs]
        kind = getattr(layer, "class_name", None) or type(layer).__name__  # an op names Keras's class
        rows.append((f"{layer.name} ({kind})",
                     shapes[0] if len(shapes) == 1 else "[" + ", ".join(shapes) + "]",
                     f"{layer.count_params():,}", ", ".join(sources) or "-"))
    return rows


def _is_a_chain(model):
    """Whether a functional model is a plain chain: one input, each layer called once on one tensor.
    Keras 3 then prints it as a stack, without the "Connected to" column."""
    layers = [node.layer for node in model._nodes]
    return (len(model.inputs) == 1 and all(len(node.inputs) == 1 for node in model._nodes)
            and len({id(layer) for layer in layers}) == len(layers)
            and len({id(node.inputs[0]) for node in model._nodes}) == len(layers))


def _wrap(text, width):
    """``text`` in lines of at most ``width`` characters, broken at spaces (and newlines); a word longer
    than a line is cut short with an ellipsis.  Keras 3's tables (drawn by ``rich``) do the same."""
    lines = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            if len(word) > width:
                word = word[:width - 1] + "…"
            if line and len(line) + 1 + len(word) > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
    return lines


def print_summary(model, line_length=None, positions=None, print_fn=None):
    """Print (or hand to ``print_fn``) the summary table of ``model``: one row per layer in ``model.layers``.

    A layer's output shape is computed from the input shape it was built
    for, with the batch dimension shown as None (a layer built by a probe or
    a first call saw some batch size); "?" stands for a layer not built yet.
    A functional model lists its input layers too, and, unless it is a plain
    chain, Keras's "Connected to" column (``layer[node][tensor]`` of each
    tensor the layer's calls take).
    """
    print_fn = print_fn or print
    functional = hasattr(model, "_nodes") and not _is_a_chain(model)
    default = _KERAS_FUNCTIONAL_WIDTHS if functional else _KERAS_WIDTHS
    if line_length is None and positions is None:
        widths = list(default)
    else:
        inner = (line_length or len(default) + 1 + sum(default)) - len(default) - 1  # border characters
        cuts = [int(inner * p) for p in (positions or (_FUNCTIONAL_POSITIONS if functional else _POSITIONS))]
        widths = [cuts[0]] + [b - a for a, b in zip(cuts, cuts[1:])]
    rows = _functional_rows(model) if hasattr(model, "_nodes") else _layer_rows(model)
    header = ("Layer (type)", "Output Shape", "Param #", "Connected to")[:len(widths)]
    aligns = ("<", "<", ">", "<")

    def line(left, mid, right, fill):
        return left + mid.join(fill * w for w in widths) + right

    def row(cells, sep):
        """One table row; long text wraps onto extra lines (and a newline starts one), as in Keras."""
        chunks = [_wrap(text, w - 2) for text, w in zip(cells, widths)]
        out = []
        for k in range(max(len(c) for c in chunks)):
            parts = [c[k] if k < len(c) else "" for c in chunks]
            texts = [f" {part:{align}{w - 2}} " for part, align, w in zip(parts, aligns, widths)]
            out.append(sep + sep.join(texts) + sep)
        return out

    lines = [f'Model: "{model.name}"', line("┏", "┳", "┓", "━"), *row(header, "┃"), line("┡", "╇", "┩", "━")]
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
