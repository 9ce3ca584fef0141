"""The input checks and output shaping of generated batch-first functions (NumPy only).

:mod:`pgsym.codegen` copies the source of these two functions, and of the shape checks
they share with the JAX and PyTorch helpers (:mod:`pgsym._batch_shapes`), into every module
it writes with batch-first functions, so that the module needs NumPy alone; :func:`pgsym.compile`
runs the same source. A generated function calls ``_batch_arrays`` on its arguments, computes
in the kernel's layout (a vector argument ``(N, K)``, a scalar one ``(N, 1)`` beside vectors),
and returns ``_batch_outputs``: ``(N,)`` per scalar output, ``(N, K)`` per vector output.

>>> (x, v), frame = _batch_arrays("f", ("x", "v"), ([1, 2], [[0.5, 1.5, 2.5]] * 2), (False, True), 3, 0,
...                              (("positive",), ()))
>>> x.shape, v.shape, frame
((2, 1), (2, 3), (2, 3, dtype('float64'), True))
>>> _batch_outputs(frame, (False,), x * v.sum(axis=-1, keepdims=True)).tolist()
[4.5, 9.0]
"""
import numpy

from pgsym._batch_shapes import _batch_broken, _batch_outside, _batch_shapes


def _batch_arrays(function, names, values, vectors, width, least, domains):
    """The arguments ``values`` as arrays of one floating dtype in the kernel's layout, and
    the frame ``(N, K, dtype, two_d)`` that ``_batch_outputs`` shapes the results by.

    A scalar argument has shape (N,), a vector one (N, K): N samples first, the same N for
    all; K is ``width`` where the sums fix it (else any, the same for all vectors) and at
    least ``least`` (the entries the function reads one by one). Integers become float64
    (a ValueError beyond 2**53, where float64 rounds them); the dtype is float32 only when
    every argument is float32. ``domains`` gives, per argument, the conditions its values
    must meet (the assumptions the derivation was verified under: ``("positive",)`` for a
    symbol declared positive; see ``_batch_outside``). A ValueError names the function, the
    argument, the shape, dtype or condition expected and what was received.
    """
    arrays = []
    for name, value, vector in zip(names, values, vectors):
        try:
            array = numpy.asarray(value)
        except (ValueError, TypeError) as error:
            raise ValueError(f"{function}: argument {name!r} is not an array of numbers: "
                             f"{error}") from None
        if array.dtype.kind in "iu":
            # float64 holds every integer only up to 2**53: beyond, integers that differ
            # may become equal floats (delta(2**53, 2**53 + 1) would be 1)
            if array.dtype.itemsize > 4 and array.size and (
                    array.max() > 2**53 or (array.dtype.kind == "i" and array.min() < -2**53)):
                raise ValueError(f"{function}: argument {name!r} holds integers beyond 2**53, "
                                 f"which float64 (what the function computes in) does not hold "
                                 f"exactly; pass floats where rounding them is meant")
            array = array.astype(numpy.float64)
        elif array.dtype not in (numpy.float32, numpy.float64):
            raise ValueError(f"{function}: argument {name!r} must hold float32 or float64 "
                             f"numbers (or integers), got dtype {array.dtype}")
        arrays.append(array)
    n, k = _batch_shapes(function, names, [a.shape for a in arrays], vectors, width, least)
    for name, array, conditions in zip(names, arrays, domains):
        for condition in conditions:
            # (a bound is compared in float64, which holds every float32 exactly: a float32
            # bound would round 0.09999999999999999 up to 0.1f, and let 0.1f through)
            outside = _batch_outside(array.astype(numpy.float64, copy=False)
                                     if condition[0] in "<>" else array, condition, numpy.floor)
            if outside.any():
                at = tuple(int(i) for i in numpy.argwhere(outside)[0])
                raise ValueError(f"{function}: argument {name!r} must hold values that are "
                                 f"{condition} (the derivation was verified for those only), got "
                                 f"{array[at].item()!r} at index {at[0] if len(at) == 1 else at}")
    dtype = numpy.result_type(*arrays) if arrays else numpy.dtype(numpy.float64)
    two_d = any(vectors)
    laid_out = []
    for array, vector in zip(arrays, vectors):
        array = array.astype(dtype, copy=False)
        laid_out.append(array[:, None] if two_d and not vector else array)
    return laid_out, (n, k, dtype, two_d)


def _batch_relation(frame, function, relation, lhs, rhs, relation_op, size, operations):
    """The frame, once the samples are shown to meet ``relation`` (a condition of the
    derivation between arguments, ``"x > y"``); a ValueError names the function, the
    relation and the first sample that breaks it or lies within rounding of its boundary.
    ``lhs`` and ``rhs`` are the sides (or the difference and 0) computed from the arguments;
    ``relation_op`` is ``"<"``, ``"<="``, ``">"``, ``">="`` or ``"!="``; ``size`` and ``operations``
    bound the rounding of their difference (:func:`_batch_broken`)."""
    broken = _batch_broken(numpy.asarray(lhs, dtype=numpy.float64),
                           numpy.asarray(rhs, dtype=numpy.float64), relation_op, operations,
                           numpy.asarray(size), numpy.finfo(frame[2]).eps / 2, numpy.floor)
    if broken.any():
        at = tuple(int(i) for i in numpy.argwhere(broken)[0])
        raise ValueError(f"{function}: the arguments must meet {relation} (the derivation was "
                         f"verified under it), which sample {at[0]} does not, or not by more "
                         f"than the rounding of its computation")
    return frame


def _batch_outputs(frame, vectors, *values):
    """Each of ``values`` (computed in the kernel's layout, or a constant) as a new array of
    shape (N,) (a scalar output) or (N, K) (a vector output) in the frame's dtype; the one
    array when there is one output, else a tuple."""
    n, k, dtype, two_d = frame
    results = []
    for vector, value in zip(vectors, values):
        inside = (n, k) if vector else ((n, 1) if two_d else (n,))
        if numpy.iscomplexobj(value):
            raise ValueError(  # (refused, not cut to its real part)
                "the expression's value is complex here: a compiled function computes in "
                "real numbers, and its real part alone is another value; restrict the "
                "arguments' assumptions so that it is real")
        array = numpy.asarray(value, dtype=dtype)
        if array.shape != inside:
            array = numpy.broadcast_to(array, inside).copy()
        results.append(array if vector or not two_d else array[:, 0])
    return results[0] if len(results) == 1 else tuple(results)
