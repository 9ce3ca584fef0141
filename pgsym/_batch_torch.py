"""The input checks and output shaping of generated batch-first functions for PyTorch.

:mod:`pgsym.codegen` copies the source of these two functions (and of
:func:`pgsym._batch_shapes._batch_shapes`) into every PyTorch module it writes with
batch-first functions; :func:`pgsym.compile` with ``backend="torch"`` runs the same source.
They read shapes and dtypes only, never values (no device sync; but those of 64-bit integers,
which float64 may round), and keep the device of the arguments. As :mod:`pgsym._batch` (the NumPy one): a vector argument ``(N, K)``, a scalar one
``(N,)`` (``(N, 1)`` beside vectors while computing); results ``(N,)`` or ``(N, K)``.

Importing this module imports torch: codegen reads it only when printing for PyTorch.
"""
import torch

from pgsym._batch_shapes import _batch_broken, _batch_outside, _batch_shapes


def _batch_arrays(function, names, values, vectors, width, least, domains):
    """The arguments ``values`` as tensors of one floating dtype in the kernel's layout, and
    the frame ``(N, K, dtype, two_d, device, outside)`` that ``_batch_outputs`` shapes the
    results by.

    ``domains`` gives, per argument, the conditions its values must meet (the assumptions
    the derivation was verified under, see ``_batch_outside``): checking them on the host
    would need a device sync, so a sample with an argument that breaks one is marked
    (``outside``, a boolean (N,) tensor, or None when no argument has a condition), and its
    results are nan.

    What is not a tensor is converted by ``torch.as_tensor``; integer tensors become
    float64 (a ValueError beyond 2**53, where float64 rounds them); the dtype is float32 only when every argument is float32. A ValueError names
    the function, the argument, the shape or dtype expected and the one received.
    """
    arrays = []
    for name, value in zip(names, values):
        try:
            array = value if isinstance(value, torch.Tensor) else torch.as_tensor(value)
        except (ValueError, TypeError, RuntimeError) as error:
            raise ValueError(f"{function}: argument {name!r} is not an array of numbers: "
                             f"{error}") from None
        if not (array.dtype.is_floating_point or array.dtype.is_complex or array.dtype == torch.bool):
            # float64 holds every integer only up to 2**53: beyond, integers that differ
            # may become equal floats (reads the values of 64-bit integers: a device sync)
            if array.dtype.itemsize > 4 and array.numel() and bool(
                    (array > 2**53).any() or (array < -2**53).any()):
                raise ValueError(f"{function}: argument {name!r} holds integers beyond 2**53, "
                                 f"which float64 (what the function computes in) does not hold "
                                 f"exactly; pass floats where rounding them is meant")
            array = array.to(torch.float64)
        elif array.dtype not in (torch.float32, torch.float64):
            raise ValueError(f"{function}: argument {name!r} must hold float32 or float64 "
                             f"numbers (or integers), got dtype {str(array.dtype).removeprefix('torch.')}")
        arrays.append(array)
    n, k = _batch_shapes(function, names, [a.shape for a in arrays], vectors, width, least)
    dtype = arrays[0].dtype if arrays else torch.float64
    for array in arrays[1:]:
        dtype = torch.promote_types(dtype, array.dtype)
    device = arrays[0].device if arrays else None
    outside = None
    for array, conditions in zip(arrays, domains):
        for condition in conditions:
            # (a bound is compared in float64 where the device has it, as in NumPy)
            widen = condition[0] in "<>" and array.dtype == torch.float32 \
                and array.device.type != "mps"
            broken = _batch_outside(array.double() if widen else array, condition, torch.floor)
            broken = broken if broken.dim() == 1 else broken.any(dim=1)
            outside = broken if outside is None else outside | broken
    two_d = any(vectors)
    laid_out = []
    for array, vector in zip(arrays, vectors):
        array = array.to(dtype)
        laid_out.append(array[:, None] if two_d and not vector else array)
    return laid_out, (n, k, dtype, two_d, device, outside)


def _batch_relation(frame, function, relation, lhs, rhs, relation_op, size, operations):
    """The frame with the samples that break ``relation`` (a condition of the derivation
    between arguments, ``"x > y"``) marked outside, their results nan.
    ``lhs`` and ``rhs`` are the sides (or the difference and 0) computed from the arguments;
    ``relation_op`` is ``"<"``, ``"<="``, ``">"``, ``">="`` or ``"!="``; ``size`` and ``operations``
    bound the rounding of their difference (:func:`_batch_broken`)."""
    n, k, dtype, two_d, device, outside = frame
    shape = (n, 1) if two_d else (n,)
    lhs, rhs = (torch.broadcast_to(torch.as_tensor(side, dtype=dtype, device=device), shape)
                for side in (lhs, rhs))
    broken = _batch_broken(lhs, rhs, relation_op, operations,
                           torch.as_tensor(size, dtype=dtype, device=device),
                           torch.finfo(dtype).eps / 2, torch.floor)
    broken = broken if broken.dim() == 1 else broken.any(dim=1)
    return n, k, dtype, two_d, device, broken if outside is None else outside | broken


def _batch_outputs(frame, vectors, *values):
    """Each of ``values`` (computed in the kernel's layout, or a constant) as a tensor of
    shape (N,) (a scalar output) or (N, K) (a vector output) in the frame's dtype, on the
    arguments' device; the one tensor when there is one output, else a tuple; nan for the
    samples marked outside."""
    n, k, dtype, two_d, device, outside = frame
    results = []
    for vector, value in zip(vectors, values):
        inside = (n, k) if vector else ((n, 1) if two_d else (n,))
        if (torch.is_tensor(value) and torch.is_complex(value)) or isinstance(value, complex):
            raise ValueError(  # (refused, not cut to its real part)
                "the expression's value is complex here: a compiled function computes in "
                "real numbers, and its real part alone is another value; restrict the "
                "arguments' assumptions so that it is real")
        array = torch.as_tensor(value, dtype=dtype, device=device)
        if tuple(array.shape) != inside:
            array = torch.broadcast_to(array, inside).clone()
        if outside is not None:
            array = torch.where(outside[:, None] if len(inside) == 2 else outside,
                                torch.full((), float("nan"), dtype=dtype, device=device), array)
        results.append(array if vector or not two_d else array[:, 0])
    return results[0] if len(results) == 1 else tuple(results)
