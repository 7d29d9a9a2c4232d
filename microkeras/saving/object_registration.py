"""What a name in a config may resolve to, and when code may be loaded.

Loading a model from a config, a JSON string or a file must not run code the
caller did not choose: nothing is imported because a config names it.  A
class or function name resolves, in this order, to

1. an entry of the ``custom_objects`` given to the load, or of an active
   :class:`CustomObjectScope`;
2. an object registered with :func:`register_keras_serializable`
   (``"Package>Name"``, Keras 3's registered names);
3. one of microkeras's own public objects, found among the modules microkeras
   has already imported (``keras.*`` module paths in Keras files name them too).

Code that no name describes -- a Python ``lambda`` saved as bytecode, or a
function of some other module -- is loaded only in unsafe mode: under
``SafeModeScope(False)`` (``safe_mode=False`` of the loading functions), or
after :func:`microkeras.config.enable_unsafe_deserialization`.  That is Keras
3's rule (``keras/src/saving/serialization_lib.py``).
"""

import base64
import marshal
import sys
import threading
import types

from microkeras import config

_REGISTERED = {}  # "Package>Name" -> object
_NAMES = {}  # id(object) -> "Package>Name"
_local = threading.local()


def register_keras_serializable(package="Custom", name=None):
    """Decorator: make a class or function loadable from configs as ``"package>name"``.

    ``name`` defaults to the object's ``__name__``.
    """
    if not isinstance(package, str) or ">" in package:
        raise ValueError(f"register_keras_serializable: `package` must be a string without '>'; "
                         f"received {package!r}.")

    def decorator(obj):
        if not callable(obj):
            raise TypeError(f"register_keras_serializable: {obj!r} is neither a class nor a function.")
        registered = f"{package}>{name or obj.__name__}"
        _REGISTERED[registered] = obj
        _NAMES[id(obj)] = registered
        return obj

    return decorator


def get_custom_objects():
    """The global registry, a dict of name -> object (Keras 3's ``get_custom_objects``).

    Registered objects are under ``"Package>Name"``; adding an entry
    (``get_custom_objects()["MyLayer"] = MyLayer``) makes that name resolve
    in every load.
    """
    return _REGISTERED


def get_registered_name(obj):
    """The name ``obj`` was registered under, or its ``__name__``."""
    return _NAMES.get(id(obj), getattr(obj, "__name__", type(obj).__name__))


_KERAS_FAMILIES = ("layers", "optimizers", "losses", "metrics", "initializers", "regularizers", "constraints",
                   "activations", "optimizers.schedules")


def keras_module(obj):
    """The module Keras 3 files name for ``obj`` (a class or function).

    microkeras's public objects are written under Keras's public paths
    (``keras.layers``, ``keras.initializers``, ...; ``keras`` for
    ``Sequential``), which Keras resolves and microkeras maps back; anything
    else keeps its own module, as Keras writes custom objects.
    """
    module = getattr(obj, "__module__", None) or ""
    if module.split(".")[0] != "microkeras":
        return module
    name = getattr(obj, "__name__", None)
    if name in ("Sequential", "Model"):
        return "keras"
    if name == "Functional":
        return "keras.src.models.functional"  # what Keras 3.15 itself writes
    for family in _KERAS_FAMILIES:
        package = sys.modules.get("microkeras." + family)
        if package is not None and getattr(package, name, None) is obj:
            return "keras." + family
    return module


def keras_registered_name(obj):
    """Keras's ``registered_name``: None for microkeras's own objects, else the registered name
    (``"package>Name"``), or the plain name of an unregistered custom object."""
    if id(obj) not in _NAMES and keras_module(obj).split(".")[0] == "keras":
        return None
    return get_registered_name(obj)


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object ``name`` resolves to (custom objects, registered, then ``module_objects``), or None."""
    for table in (custom_objects or {}, *reversed(_custom_object_stack()), _REGISTERED, module_objects or {}):
        if name in table:
            return table[name]
    return None


def _custom_object_stack():
    stack = getattr(_local, "custom_objects", None)
    if stack is None:
        stack = _local.custom_objects = []
    return stack


class CustomObjectScope:
    """``with CustomObjectScope({"Name": obj}):`` -- names a load inside may resolve to (Keras's scope)."""

    def __init__(self, *custom_objects):
        self.custom_objects = {}
        for mapping in custom_objects:
            if mapping is None:
                continue
            if not isinstance(mapping, dict):
                raise ValueError(f"`custom_objects` must be a dict of name -> class or function; received "
                                 f"{type(mapping).__name__}.")
            self.custom_objects.update(mapping)

    def __enter__(self):
        _custom_object_stack().append(self.custom_objects)
        return self

    def __exit__(self, *exc):
        _custom_object_stack().pop()


custom_object_scope = CustomObjectScope


class SafeModeScope:
    """``with SafeModeScope(False):`` -- allow loading code inside (``None`` keeps the current mode)."""

    def __init__(self, safe_mode=True):
        if safe_mode is not None and not isinstance(safe_mode, bool):
            raise ValueError(f"`safe_mode` must be True, False or None; received {safe_mode!r}.")
        self.safe_mode = safe_mode

    def __enter__(self):
        stack = _local.__dict__.setdefault("safe_mode", [])
        stack.append(in_safe_mode() if self.safe_mode is None else self.safe_mode)
        return self

    def __exit__(self, *exc):
        _local.safe_mode.pop()


def in_safe_mode():
    """Whether loading code is refused here: the innermost SafeModeScope, else the global setting."""
    stack = getattr(_local, "safe_mode", None)
    return stack[-1] if stack else config.is_safe_mode()


# ------------------------------------------------------------------ functions
def serialize_function(fn):
    """A function as Keras 3 writes it in configs.

    A named function: ``{"module", "class_name": "function", "config": name,
    "registered_name"}`` (a nested one loads through ``custom_objects`` or
    registration).  A ``lambda``: its bytecode, ``{"class_name": "__lambda__",
    "config": {"code", "defaults", "closure"}}``, which only unsafe mode loads
    (and only on the same Python version).
    """
    if fn.__name__ == "<lambda>" and id(fn) not in _NAMES:
        if fn.__closure__:
            raise ValueError(f"Cannot save {fn.__qualname__}: it uses variables of an enclosing function. "
                             "Define it at module level and register it with "
                             "@microkeras.saving.register_keras_serializable().")
        code = base64.b64encode(marshal.dumps(fn.__code__)).decode("ascii")
        return {"class_name": "__lambda__", "config": {"code": code, "defaults": fn.__defaults__,
                                                      "closure": None}}
    return {"module": fn.__module__, "class_name": "function", "config": fn.__name__,
            "registered_name": get_registered_name(fn)}


def deserialize_function(ref, what, custom_objects=None, globals_=None):
    """The function a config's ``ref`` names (see :func:`serialize_function`); ``what`` names it in errors.

    Also reads microkeras's older ``{"module", "name"}`` form and a bare name.
    """
    if isinstance(ref, str):
        ref = {"class_name": "function", "config": ref}
    if not isinstance(ref, dict):
        raise ValueError(f"{what} must be a function name or a dict describing a function; received "
                         f"{type(ref).__name__} {ref!r}.")
    if ref.get("class_name") == "__lambda__":
        return _load_bytecode(ref.get("config"), what, globals_)
    name = ref.get("config") if ref.get("class_name") == "function" else ref.get("name")
    module = ref.get("module")
    if not isinstance(name, str) or not (module is None or isinstance(module, str)):
        raise ValueError(f"{what} must name a function as {{'module': str, 'class_name': 'function', "
                         f"'config': str}}; received {ref!r}.")
    for key in (ref.get("registered_name"), name):
        if isinstance(key, str):
            found = get_registered_object(key, custom_objects)
            if found is not None:
                return found
    own = _own_object(module, name)
    if own is not None:
        return own
    if in_safe_mode():
        raise ValueError(
            f"{what} names the function {module}.{name}, which is neither registered nor in "
            f"`custom_objects`, and loading it would import and run code from the module {module!r}. "
            f"Pass custom_objects={{{name!r}: {name}}}, decorate it with "
            "@microkeras.saving.register_keras_serializable(), or, if you trust where this config came "
            "from, load with safe_mode=False (or call microkeras.config.enable_unsafe_deserialization()).")
    return _import_function(module, name, what)


def _own_object(module, name):
    """A public object of an already imported microkeras module (``keras.x`` paths map to ``microkeras.x``)."""
    if not module or not name.isidentifier() or name.startswith("_"):
        return None
    if module == "keras" or module.startswith("keras."):
        module = "micro" + module
    if not (module == "microkeras" or module.startswith("microkeras.")):
        return None
    found = vars(sys.modules[module]).get(name) if module in sys.modules else None
    return found if callable(found) else None


def _import_function(module, name, what):
    import importlib  # only reached in unsafe mode

    if not module:
        raise ValueError(f"{what}: the function {name!r} has no module to load it from.")
    parts = name.split(".")
    if any(not part.isidentifier() or part.startswith("__") for part in parts):
        raise ValueError(f"{what}: {name!r} is not a plain function name.")
    target = importlib.import_module(module)
    for part in parts:
        target = getattr(target, part)
    if not callable(target):
        raise ValueError(f"{what}: {module}.{name} is not a function.")
    return target


def _load_bytecode(settings, what, globals_):
    if in_safe_mode():
        raise ValueError(
            f"{what} is a Python lambda saved as bytecode; loading it runs that code. If you trust where "
            "this config came from, load with safe_mode=False (or call "
            "microkeras.config.enable_unsafe_deserialization()). It loads only on the Python version "
            "that saved it.")
    if not isinstance(settings, dict) or not isinstance(settings.get("code"), str):
        raise ValueError(f"{what}: a '__lambda__' entry needs a config with its base64 'code'.")
    code = marshal.loads(base64.b64decode(settings["code"]))
    defaults = settings.get("defaults")
    return types.FunctionType(code, dict(globals_ or {}), code.co_name,
                              tuple(defaults) if defaults is not None else None)
