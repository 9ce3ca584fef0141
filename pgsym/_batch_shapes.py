"""The shape checks of generated batch-first functions, for every backend, in plain Python.

:mod:`pgsym.codegen` copies the source of ``_batch_shapes`` into every module
it writes with batch-first functions, beside the backend's ``_batch_arrays`` and
``_batch_outputs`` (:mod:`pgsym._batch`, :mod:`pgsym._batch_jax`, :mod:`pgsym._batch_torch`),
which call it. It reads shapes only, never values, so it costs nothing under ``jax.jit`` and
no device sync.

>>> _batch_shapes("f", ("x", "v"), ((2,), (2, 3)), (False, True), 3, 0)
(2, 3)
"""


def _batch_shapes(function, names, shapes, vectors, width, least):
    """The number of samples N and of entries K (None without a vector) of arguments of
    ``shapes``: a scalar argument (N,), a vector one (N, K), the same N for all; K is
    ``width`` where the sums fix it (else any, the same for all vectors) and at least
    ``least``. A ValueError names the function, the argument, the shape expected and the
    one received."""
    n = k = first = firsts = None  # N and K, and the arguments that set them
    for name, shape, vector in zip(names, shapes, vectors):
        shape = tuple(shape)
        samples = "N" if n is None else str(n)
        if vector:
            entries = str(width if width is not None else (k if k is not None else "K"))
            expected = f"({samples}, {entries})"
            what = f"{samples} samples first, then {entries} entries"
            if width is None and k is None and least:
                what += f" (at least {least})"
        else:
            expected = f"({samples},)"
            what = f"one value per sample, {samples} samples"
        if len(shape) != (2 if vector else 1):
            raise ValueError(f"{function}: argument {name!r} must have shape {expected}: {what}; "
                             f"got shape {shape}")
        if n is not None and shape[0] != n:
            raise ValueError(f"{function}: argument {name!r} must have shape {expected} to match "
                             f"{first!r} (N = {n}); got shape {shape}")
        n, first = shape[0], first or name
        if vector:
            entries = shape[1]
            if width is not None and entries != width:
                raise ValueError(f"{function}: argument {name!r} must have shape {expected}: "
                                 f"{what}; got shape {shape}")
            if k is not None and entries != k:
                raise ValueError(f"{function}: argument {name!r} must have shape {expected} to "
                                 f"match {firsts!r} (K = {k}); got shape {shape}")
            if entries < least:
                raise ValueError(f"{function}: argument {name!r} must have at least {least} "
                                 f"entries per sample (shape (N, {least}) or wider): the "
                                 f"function reads entry {least - 1}; got shape {shape}")
            k, firsts = entries, firsts or name
    return n, k


def _batch_outside(array, condition, floor):
    """Where the values of ``array`` (a NumPy, JAX or PyTorch array; ``floor`` its library's
    floor) break ``condition``, an assumption the derivation was verified under
    (``"positive"``, ``"negative"``, ``"nonnegative"``, ``"nonpositive"``, ``"nonzero"``,
    ``"integer"``, ``"noninteger"``, ``"even"``, ``"odd"``, or a bound: ``">= 0"``, ``"<= 2"``, ``"< 1"``). A nan
    breaks none: it comes out nan.

    >>> import numpy
    >>> _batch_outside(numpy.array([1.0, 0.0, numpy.nan]), "positive", numpy.floor).tolist()
    [False, True, False]
    """
    if condition == "positive":
        return array <= 0
    if condition == "negative":
        return array >= 0
    if condition == "nonnegative":
        return array < 0
    if condition == "nonpositive":
        return array > 0
    if condition == "nonzero":
        return array == 0
    if condition == "integer":  # (an infinity is none: inf - inf is nan; review 46)
        return ((array != floor(array)) | (array - array != 0)) & (array == array)
    if condition == "noninteger":  # (a whole finite number; an infinity is no integer)
        return (array == floor(array)) & (array - array == 0)
    if condition in ("even", "odd"):  # (an integer whose half is whole, or not)
        shifted = array if condition == "even" else array - 1
        return ((shifted / 2 != floor(shifted / 2)) | (array - array != 0)) & (array == array)
    if condition.startswith(">= "):
        return array < float(condition[3:])
    if condition.startswith("<= "):
        return array > float(condition[3:])
    if condition.startswith("> "):
        return array <= float(condition[2:])
    if condition.startswith("< "):
        return array >= float(condition[2:])
    raise ValueError(f"unknown condition {condition!r}")


def _batch_broken(lhs, rhs, relation, operations, size, unit, floor, least=0.0):
    """Where ``lhs relation rhs`` is not shown (``relation`` one of ``<``, ``<=``, ``>``,
    ``>=``, ``!=``): compared as they are where ``operations`` is 0 (the sign is exact), else their
    difference by more than the rounding its computation may have made, ``gamma_n * |size|``
    with ``n`` the ``operations`` and ``unit`` the unit roundoff (Higham), plus ``least`` (in
    JAX the smallest normal float: it flushes subnormal results to 0). A nan breaks none.

    >>> import numpy
    >>> _batch_broken(numpy.array([1.0, 2.0]), numpy.array([2.0, 2.0]), "<", 0, 0, 0, numpy.floor).tolist()
    [False, True]
    >>> _batch_broken(numpy.array([1.0, 2.0 - 4e-16]), numpy.array([2.0, 2.0]), "<", 2, 2.0, 2.0**-53, numpy.floor).tolist()
    [False, True]
    >>> _batch_broken(numpy.array([1.0, 2.0 - 4e-16]), numpy.array([2.0, 2.0]), "!=", 2, 2.0, 2.0**-53, numpy.floor).tolist()
    [False, True]
    """
    if not operations:
        return {"<": lhs >= rhs, "<=": lhs > rhs, ">": lhs <= rhs, ">=": lhs < rhs,
                "!=": lhs == rhs}[relation]
    margin = 2 * operations * unit / (1 - operations * unit) * abs(size) + least
    if relation == "!=":  # (equal, or apart by no more than the rounding)
        return abs(lhs - rhs) <= margin
    shifted = lhs - rhs + (margin if relation[0] == "<" else -margin)
    return _batch_outside(shifted, relation + " 0", floor)
