"""The input checks and output shaping of generated batch-first functions for JAX.

:mod:`pgsym.codegen` copies the source of these two functions (and of
:func:`pgsym._batch_shapes._batch_shapes`) into every JAX module it writes with batch-first
functions; :func:`pgsym.compile` with ``backend="jax"`` runs the same source. They read
shapes and dtypes only, never values (but those of integers that the float computed in may
round), so the functions work under ``jax.jit`` and on any device. As :mod:`pgsym._batch` (the NumPy one): a vector argument ``(N, K)``, a scalar one
``(N,)`` (``(N, 1)`` beside vectors while computing); results ``(N,)`` or ``(N, K)``.

Importing this module imports JAX: codegen reads it only when printing for JAX.
"""
import jax.numpy

from pgsym._batch_shapes import _batch_broken, _batch_outside, _batch_shapes


def _batch_arrays(function, names, values, vectors, width, least, domains):
    """The arguments ``values`` as JAX arrays of one floating dtype in the kernel's layout,
    and the frame ``(N, K, dtype, two_d, outside)`` that ``_batch_outputs`` shapes the
    results by.

    ``domains`` gives, per argument, the conditions its values must meet (the assumptions
    the derivation was verified under, see ``_batch_outside``): values are not known under
    ``jax.jit``, so a sample with an argument that breaks one is marked (``outside``, a
    boolean (N,) array, or None when no argument has a condition), and its results are nan.

    Integers become JAX's default float (float64 where ``jax_enable_x64`` is set, else
    float32), refused where that float would round them (beyond 2**53 or 2**24; under
    ``jax.jit``, integers of a dtype that may hold such values). With ``jax_enable_x64``
    set, the dtype is float32 only when every argument is float32; without it (JAX's
    default) JAX holds every array in float32, float64 arguments included, so the function
    computes in float32 whatever it is given. A ValueError names the function, the
    argument, the shape or dtype expected and the one received.
    """
    arrays = []
    for name, value in zip(names, values):
        try:
            array = jax.numpy.asarray(value)
        except (ValueError, TypeError) as error:
            raise ValueError(f"{function}: argument {name!r} is not an array of numbers: "
                             f"{error}") from None
        if jax.numpy.issubdtype(array.dtype, jax.numpy.integer):
            floats = jax.numpy.result_type(float)
            # a float holds every integer only up to 2**(mantissa + 1) (2**24 in float32,
            # 2**53 in float64): beyond, integers that differ may become equal floats
            limit, held = 2 ** (jax.numpy.finfo(floats).nmant + 1), jax.numpy.iinfo(array.dtype)
            if held.max > limit or held.min < -limit:
                try:
                    beyond = bool((array > limit).any()) or (
                        held.min < 0 and bool((array < -limit).any()))
                except jax.errors.ConcretizationTypeError:  # under jax.jit: values unknown
                    raise ValueError(f"{function}: argument {name!r} holds {array.dtype} "
                                     f"integers, which {floats} (what the function computes "
                                     f"in) holds exactly only up to 2**{limit.bit_length() - 1}, "
                                     f"and under jax.jit their values cannot be checked; pass "
                                     f"floats") from None
                if beyond:
                    raise ValueError(f"{function}: argument {name!r} holds integers beyond "
                                     f"2**{limit.bit_length() - 1}, which {floats} (what the "
                                     f"function computes in) does not hold exactly; pass "
                                     f"floats where rounding them is meant")
            array = array.astype(floats)
        elif array.dtype not in (jax.numpy.float32, jax.numpy.float64):
            raise ValueError(f"{function}: argument {name!r} must hold float32 or float64 "
                             f"numbers (or integers), got dtype {array.dtype}")
        arrays.append(array)
    n, k = _batch_shapes(function, names, [a.shape for a in arrays], vectors, width, least)
    outside = None
    for array, conditions in zip(arrays, domains):
        for condition in conditions:
            # (a bound is compared in float64 where JAX has it (x64), as in NumPy)
            widen = condition[0] in "<>" and jax.config.jax_enable_x64
            broken = _batch_outside(array.astype(jax.numpy.float64) if widen else array,
                                    condition, jax.numpy.floor)
            broken = broken if broken.ndim == 1 else broken.any(axis=1)
            outside = broken if outside is None else outside | broken
    dtype = jax.numpy.result_type(*arrays) if arrays else jax.numpy.result_type(float)
    two_d = any(vectors)
    laid_out = []
    for array, vector in zip(arrays, vectors):
        array = array.astype(dtype)
        laid_out.append(array[:, None] if two_d and not vector else array)
    return laid_out, (n, k, dtype, two_d, outside)


def _batch_relation(frame, function, relation, lhs, rhs, relation_op, size, operations):
    """The frame with the samples that break ``relation`` (a condition of the derivation
    between arguments, ``"x > y"``) marked outside, their results nan.
    ``lhs`` and ``rhs`` are the sides (or the difference and 0) computed from the arguments;
    ``relation_op`` is ``"<"``, ``"<="``, ``">"``, ``">="`` or ``"!="``; ``size`` and ``operations``
    bound the rounding of their difference (:func:`_batch_broken`)."""
    n, k, dtype, two_d, outside = frame
    shape = (n, 1) if two_d else (n,)
    lhs, rhs = (jax.numpy.broadcast_to(jax.numpy.asarray(side), shape) for side in (lhs, rhs))
    broken = _batch_broken(lhs, rhs, relation_op, operations, jax.numpy.asarray(size),
                           jax.numpy.finfo(dtype).eps / 2, jax.numpy.floor,
                           jax.numpy.finfo(dtype).tiny)
    broken = broken if broken.ndim == 1 else broken.any(axis=1)
    return n, k, dtype, two_d, broken if outside is None else outside | broken


def _batch_outputs(frame, vectors, *values):
    """Each of ``values`` (computed in the kernel's layout, or a constant) as a JAX array of
    shape (N,) (a scalar output) or (N, K) (a vector output) in the frame's dtype; the one
    array when there is one output, else a tuple; nan for the samples marked outside."""
    n, k, dtype, two_d, outside = frame
    results = []
    for vector, value in zip(vectors, values):
        inside = (n, k) if vector else ((n, 1) if two_d else (n,))
        if jax.numpy.iscomplexobj(value):
            raise ValueError(  # (refused, not cut to its real part)
                "the expression's value is complex here: a compiled function computes in "
                "real numbers, and its real part alone is another value; restrict the "
                "arguments' assumptions so that it is real")
        array = jax.numpy.asarray(value, dtype=dtype)
        if array.shape != inside:
            array = jax.numpy.broadcast_to(array, inside)
        if outside is not None:
            array = jax.numpy.where(outside[:, None] if len(inside) == 2 else outside,
                                    jax.numpy.nan, array)
        results.append(array if vector or not two_d else array[:, 0])
    return results[0] if len(results) == 1 else tuple(results)
