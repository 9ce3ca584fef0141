"""What printed code cannot compute as SymPy means it, refused before anything is printed.

Printed functions (:func:`pgsym.compile`, the kernels ``pgsym build`` writes) compute in
real floating point: their arguments are float32 or float64 arrays and their results are
cast to that dtype. On real arrays the functions they call give real numbers, or nan where
SymPy's value is not real (``numpy.log`` of a negative), so a result differs from the
verified expression silently only where

- the expression holds the imaginary unit: the complex value computed is cast to its real
  part, with a warning at best (``exp(I x)`` printed as ``cos x``);
- a library function means something else than SymPy's function on part of its domain:
  ``torch.lgamma`` and ``math.lgamma``, which SymPy's ``loggamma`` is printed as, are
  log|Gamma(z)|, real where SymPy's ``loggamma(z)`` is complex (every z < 0 but the poles).

>>> x = sp.Symbol("x", real=True)
>>> refusal([sp.exp(sp.I * x)]) is not None, refusal([sp.cos(x)])
(True, None)
>>> refusal([sp.loggamma(sp.Symbol("s", positive=True))]) is None
True
"""
from __future__ import annotations

from typing import Sequence

import sympy as sp


def refusal(expressions: Sequence[sp.Expr]) -> str | None:
    """Why ``expressions`` (with the arguments' symbols, whose assumptions are read) cannot
    be printed as real floating-point code that computes them, or None where they can."""
    for expression in expressions:
        if expression.has(sp.I, sp.zoo):
            return (f"{expression} holds the imaginary unit: printed functions compute in "
                    f"real floating point and return float32 or float64, so a complex value "
                    f"would come back as its real part. Rewrite it in real terms "
                    f"(sympy.expand_complex, .rewrite(sympy.cos)), or derive its real and "
                    f"imaginary parts and compile each")
        for node in expression.atoms(sp.loggamma):
            if node.args[0].is_positive is not True:
                return (f"{node}: SymPy's loggamma is printed as lgamma, which is "
                        f"log|Gamma(z)|, and that is loggamma(z) only for z > 0 (for z < 0 "
                        f"SymPy's value is complex), but {node.args[0]} is not known to be "
                        f"positive: declare the symbols it is made of positive, where the "
                        f"derivation means that")
    return None
