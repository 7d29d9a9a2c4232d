"""Special functions."""

import math

import numpy
from autograd.extend import defvjp, primitive


@primitive
def erf(x):
    """The error function, to within 2e-7 absolute, in numpy alone (first-order only).

    Below ``|x| = 0.5`` a Maclaurin series; above, the Chebyshev-fitted
    ``erfc`` of Numerical Recipes (fractional error < 1.2e-7).  Computed in
    float64 and returned in the input's dtype.
    """
    z = numpy.abs(numpy.asarray(x, numpy.float64))
    z2 = z * z
    series, term = z.copy(), z.copy()
    for n in range(1, 9):
        term = -term * z2 / n
        series += term / (2 * n + 1)
    series *= _TWO_OVER_SQRT_PI
    t = 1.0 / (1.0 + 0.5 * z)
    poly = numpy.polyval(_ERFC_COEFFS, t)
    tail = 1.0 - t * numpy.exp(-z2 + poly)
    return (numpy.sign(x) * numpy.where(z < 0.5, series, tail)).astype(numpy.result_type(x, numpy.float32))


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_ERFC_COEFFS = (0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806,
                0.09678418, 0.37409196, 1.00002368, -1.26551223)
defvjp(erf, lambda ans, x: lambda g: g * (_TWO_OVER_SQRT_PI * numpy.exp(-(x * x))))
