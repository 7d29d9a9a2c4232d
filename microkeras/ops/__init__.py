"""Operations, and every hand-written gradient in microkeras.

Layers, activations and losses are forward-only ``autograd.numpy`` code.  When
an operation needs a gradient autograd cannot derive well -- because the
derived backward pass would be slow, upcast to float64, or be unstable -- it is
written here as an ``autograd`` primitive: a raw-numpy forward plus a
``defvjp`` whose cotangent keeps the input's dtype.  Each primitive is
first-order only and has a finite-difference test and a float32-cotangent test
in ``tests/test_ops.py`` (``tests/test_ops_api.py`` for ``array_primitives``).
The modules follow Keras 3's ``keras.ops``: ``core`` (gradient control), ``nn``
(layers' operations), ``numpy`` and ``math``.

The package is also ``keras.ops`` for users: ``numpy_api``, ``nn_api`` and
``core_api`` give Keras 3's names, arguments and dtypes on top of these
primitives, and ``import microkeras as keras; keras.ops.mean(x, axis=1)``
works as in Keras.
"""

from microkeras.ops.convolution import conv, conv_transpose, depthwise_conv, separable_conv
from microkeras.ops.core import stop_gradient, unstack
from microkeras.ops.math import erf
from microkeras.ops.nn import (SoftmaxBox, affine, log_softmax_values, relu, sigmoid, softmax,
                               softmax_cross_entropy, softmax_keeping_logits, softmax_values)
from microkeras.ops.normalization import masked_moments_values, moments_values, standardize, standardize_masked
from microkeras.ops.numpy import max, mean, stack, take_rows, tanh  # noqa: A004 -- keras.ops.max
from microkeras.ops.pooling import average_pool, max_pool

__all__ = ["SoftmaxBox", "affine", "erf", "log_softmax_values", "mean", "relu", "sigmoid", "softmax",
           "softmax_cross_entropy", "softmax_keeping_logits", "softmax_values", "stop_gradient", "tanh"]
__all__ += ["average_pool", "max", "max_pool", "take_rows"]
__all__ += ["stack", "unstack"]
__all__ += ["conv", "conv_transpose", "depthwise_conv", "separable_conv"]
__all__ += ["masked_moments_values", "moments_values", "standardize", "standardize_masked"]

# Keras 3's `keras.ops` surface; docs/ops.md lists the names microkeras does not provide.
from microkeras.ops.core_api import (cond, custom_gradient, fori_loop, map, scan, switch, unstack,  # noqa: E402, A004
                                      vectorized_map, while_loop)
from microkeras.ops.numpy_api import *  # noqa: E402, F403
from microkeras.ops.nn_api import *  # noqa: E402, F403
from microkeras.ops.linalg_api import *  # noqa: E402, F403
from microkeras.ops import core_api as _core_api, linalg_api as _linalg_api, nn_api as _nn_api  # noqa: E402
from microkeras.ops import numpy_api as _numpy_api  # noqa: E402

__all__ += ["cond", "custom_gradient", "fori_loop", "map", "scan", "switch", "unstack", "vectorized_map",
            "while_loop"]
__all__ += _numpy_api.__all__ + _nn_api.__all__ + _linalg_api.__all__
__all__ = sorted(set(__all__))

# Every Keras op also takes symbolic tensors (a functional model's graph; see ops/symbolic.py).  microkeras's
# own layers call the unwrapped functions of the modules above, so they pay nothing for it.
from microkeras.ops.symbolic import graph_op as _graph_op  # noqa: E402

_INTERNAL = {"SoftmaxBox", "affine", "log_softmax_values", "masked_moments_values", "moments_values",
             "softmax_cross_entropy", "softmax_keeping_logits", "softmax_values", "standardize", "standardize_masked",
             "take_rows"}
# Control flow takes Python functions, and these answer questions about a tensor rather than compute one.
_NOT_GRAPH_OPS = {"cond", "switch", "fori_loop", "while_loop", "scan", "map", "vectorized_map", "custom_gradient",
                  "shape", "ndim", "size", "dtype", "is_tensor", "convert_to_numpy", "standardize_dtype",
                  "result_type"}
_FAMILY_MODULES = {"numpy": _numpy_api, "nn": _nn_api, "linalg": _linalg_api, "core": _core_api}
for _name in __all__:
    if _name not in _INTERNAL and _name not in _NOT_GRAPH_OPS and callable(globals()[_name]) \
            and not isinstance(globals()[_name], type):
        _family = next((family for family, module in _FAMILY_MODULES.items()
                        if _name in getattr(module, "__all__", ())), "numpy")
        globals()[_name] = _graph_op(_name, globals()[_name], _family)
del _name, _family
