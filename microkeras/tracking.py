"""Finding what a layer holds: the one walk behind weights, binding, summaries and saving.

A layer's sublayers and weights are not registered anywhere by hand: they are
found by walking the layer's attributes (``vars(layer)``, in the order the
attributes were first set) and, inside them, lists, tuples and dicts, as
Keras 3 tracks them when they are assigned.  :func:`places` is that walk.

Walking on every training step would cost time, so layers cache what they
derive from it.  Anything that can change the result -- setting a layer
attribute that holds layers or weights, creating a weight, changing a
``trainable`` flag -- calls :func:`changed`, which invalidates every cache at
once (:func:`generation` tells a cache whether it is stale).  Appending a layer
to a list attribute after the layer has first been used is the one change the
walk does not see; assign a new list instead.
"""

_generation = 0


def changed():
    """Note that some layer's structure changed: every cached walk is stale."""
    global _generation
    _generation += 1


def generation():
    """A number that changes whenever :func:`changed` is called."""
    return _generation


def places(obj, wanted, skip=()):
    """Yield ``(container, key, value)`` for each value of type ``wanted`` held by ``obj``.

    ``container[key]`` is where the value is stored: ``vars(obj)`` for an
    attribute, or a list or dict found inside an attribute (at any depth).
    Values inside tuples are yielded with the tuple as container; tuples
    cannot be written to, which callers that bind values check.  Attributes
    named in ``skip`` (bookkeeping) are not looked into.
    """
    stack = [((key, value) for key, value in vars(obj).items() if key not in skip)]
    containers = [vars(obj)]
    seen = set()
    while stack:
        for key, value in stack[-1]:
            if isinstance(value, wanted):
                yield containers[-1], key, value
            elif type(value) in (list, tuple, dict) and id(value) not in seen:
                seen.add(id(value))
                stack.append(iter(value.items() if type(value) is dict else enumerate(value)))
                containers.append(value)
                break
        else:
            stack.pop()
            containers.pop()

