"""``plot_model`` and ``model_to_dot``: a model's layers as a graph picture, through pydot and Graphviz.

Both are optional: pydot (``pip install pydot``) and the Graphviz programs
(``dot``; e.g. ``apt install graphviz`` or graphviz.org/download) are imported
or looked for only when a plot is asked for. Without them the ``ImportError``
says what to install. A Sequential model is drawn as a chain, a functional
model as its graph of layer calls, a subclassed model as one box (its
connections exist only in Python code), as Keras 3 does.
"""

import html
import os

_PYDOT_MISSING = "plot_model needs pydot: `pip install pydot` (and the Graphviz programs, graphviz.org/download)."
_GRAPHVIZ_MISSING = ("plot_model needs the Graphviz programs (the `dot` command): install them, e.g. "
                     "`apt install graphviz`, `brew install graphviz` or from graphviz.org/download.")


def model_graph(model):
    """``(layers, edges)``: the boxes to draw and the ``(source, destination)`` layer pairs between them."""
    nodes = getattr(model, "_nodes", None)
    if nodes is not None and hasattr(model, "inputs"):  # a functional model
        edges, seen = [], set()
        for node in nodes:
            for tensor in node.inputs:
                source = tensor._keras_history[0]
                if (id(source), id(node.layer)) not in seen:
                    seen.add((id(source), id(node.layer)))
                    edges.append((source, node.layer))
        return list(model.layers), edges
    if _is_sequential(model):
        layers = list(model.layers)
        return layers, list(zip(layers[:-1], layers[1:]))
    return [model], []


def _is_sequential(model):
    from microkeras.models import Sequential
    return isinstance(model, Sequential)


def _import_pydot():
    try:
        import pydot
    except ImportError:
        raise ImportError(_PYDOT_MISSING) from None
    return pydot


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True, rankdir="TB",
                 expand_nested=False, dpi=200, subgraph=False, show_layer_activations=False,
                 show_trainable=False, splines="ortho", **kwargs):
    """The model as a ``pydot.Dot`` graph (a ``pydot.Cluster`` with ``subgraph=True``); arguments as in
    :func:`plot_model`. ``expand_nested`` is accepted and nested models are drawn as one box."""
    _check_options(model, "model_to_dot", rankdir, kwargs)
    pydot = _import_pydot()
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name)
        dot.set("label", model.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set("splines", splines)
        dot.set_node_defaults(shape="record")
    layers, edges = model_graph(model)
    options = dict(show_shapes=show_shapes, show_dtype=show_dtype, show_layer_names=show_layer_names,
                   show_layer_activations=show_layer_activations, show_trainable=show_trainable)
    for layer in layers:
        node = pydot.Node(str(id(layer)), label=layer_label(layer, **options))
        node.set("fontname", "Helvetica")
        node.set("border", "0")
        node.set("margin", "0")
        dot.add_node(node)
    for source, destination in edges:
        edge = pydot.Edge(str(id(source)), str(id(destination)))
        edge.set("penwidth", "2")
        dot.add_edge(edge)
    return dot


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False, show_layer_names=False,
               rankdir="TB", expand_nested=False, dpi=200, show_layer_activations=False, show_trainable=False,
               splines="ortho", **kwargs):
    """Draw the model's layers and their connections into ``to_file`` (Keras 3's ``plot_model``).

    Parameters
    ----------
    model : Model
        A built model.
    to_file : str or path
        Output file; its extension picks the format (``.png`` if none; ``.svg``, ``.pdf``, ``.dot``...).
    show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable : bool
        What each box shows besides the layer's class.
    rankdir : {'TB', 'LR'}
        Top to bottom, or left to right.
    dpi : int
        Resolution of bitmap formats.
    splines : str
        How Graphviz draws edges (``'ortho'``, ``'curved'``, ``'polyline'``, ``'spline'``, ``'line'``).

    Returns
    -------
    IPython.display.Image or None
        The picture, to show in a notebook, when IPython is installed and the format is not PDF.
    """
    _check_options(model, "plot_model", rankdir, kwargs)
    pydot = _import_pydot()
    try:
        pydot.Dot.create(pydot.Dot())
    except (OSError, getattr(pydot, "PydotException", OSError)):
        raise ImportError(_GRAPHVIZ_MISSING) from None
    dot = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype, show_layer_names=show_layer_names,
                       rankdir=rankdir, expand_nested=expand_nested, dpi=dpi,
                       show_layer_activations=show_layer_activations, show_trainable=show_trainable,
                       splines=splines)
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:] or "png"
    dot.write(to_file, format=extension)
    if extension != "pdf":
        try:
            from IPython import display
        except ImportError:
            return None
        return display.Image(filename=to_file)
    return None


def _check_options(model, where, rankdir, kwargs):
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError(f"{where}: `layer_range` is not supported (Keras 3 dropped it too).")
    if kwargs:
        raise ValueError(f"{where}: unknown keyword arguments {sorted(kwargs)}.")
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"{where}: `rankdir` must be 'TB' or 'LR'; received rankdir={rankdir!r}.")
    if not getattr(model, "built", False):
        raise ValueError(f"{where}: the model is not built yet. Build it first, by calling `build()` or by "
                         "calling it on a batch of data.")


def layer_label(layer, show_shapes=False, show_dtype=False, show_layer_names=False, show_layer_activations=False,
                show_trainable=False):
    """The Graphviz HTML-like label of one layer's box (the layout of Keras 3's boxes)."""
    class_name = type(layer).__name__
    title = f"<b>{_escape(layer.name)}</b> ({class_name})" if show_layer_names else f"<b>{class_name}</b>"
    cells = []
    if show_shapes:
        input_shape, output_shape = layer_shapes(layer)
        if class_name != "InputLayer":
            cells.append(f"Input shape: <b>{_escape(_format_shape(input_shape))}</b>")
        cells.append(f"Output shape: <b>{_escape(_format_shape(output_shape))}</b>")
    if show_dtype:
        cells.append(f"Output dtype: <b>{_escape(getattr(layer, 'compute_dtype', None) or '?')}</b>")
    colspan = max(1, len(cells) + bool(show_trainable and layer.weights))
    rows = [f'<tr><td colspan="{colspan}" bgcolor="black"><font point-size="16" color="white">{title}'
            "</font></td></tr>"]
    activation = getattr(layer, "activation", None)
    if show_layer_activations and activation is not None:
        name = getattr(activation, "__name__", None) or str(activation)
        rows.append(f'<tr><td bgcolor="white" colspan="{colspan}"><font point-size="14">Activation: '
                    f"<b>{_escape(name)}</b></font></td></tr>")
    columns = [f'<td bgcolor="white"><font point-size="14">{cell}</font></td>' for cell in cells]
    if show_trainable and layer.weights:
        color, text = ("forestgreen", "Trainable") if layer.trainable else ("firebrick", "Non-trainable")
        columns.append(f'<td bgcolor="{color}"><font point-size="14" color="white"><b>{text}</b></font></td>')
    if columns:
        rows.append(f"<tr>{''.join(columns)}</tr>")
    return f'<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">{"".join(rows)}</table>>'


def layer_shapes(layer):
    """``(input_shape, output_shape)`` of a layer's first call, or Nones where unknown."""
    nodes = getattr(layer, "_inbound_nodes", None)
    if nodes:
        node = nodes[0]
        inputs = [tensor.shape for tensor in node.inputs]
        outputs = [tensor.shape for tensor in node.outputs]
        return (inputs[0] if len(inputs) == 1 else inputs or None), (outputs[0] if len(outputs) == 1 else outputs)
    built_shape = getattr(layer, "_build_input_shape", None)
    if built_shape is None:
        return None, None
    input_shape = (None,) + tuple(built_shape[1:])
    try:
        return input_shape, layer.compute_output_shape(input_shape)
    except Exception:  # a layer without shape inference still gets a box
        return input_shape, None


def _format_shape(shape):
    return "?" if shape is None else str(shape)


def _escape(text):
    return html.escape(str(text), quote=False)
