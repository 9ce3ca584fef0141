"""What ``pgsym build`` makes of the notes besides the document, declared as data: the
kernels of the gradient library (``KERNELS``) and the figures (``FIGURES``).

Each kernel is a family of derivations of ``policy_scores`` (one per size in its size
table), the template every member ends in with the sizes symbolic, and the arguments its
atoms become. The kernels are batch-last, in the layout ``pgsym.gradients`` calls them with:
actions (or action dimensions) first, samples last, so that sums over a handful of actions
run along contiguous rows; ``pgsym.gradients`` checks the inputs.
"""
from __future__ import annotations

from pathlib import Path

import sympy as sp

from derivations import policy_scores as ps
from pgsym.codegen import Kernel, KernelModule, Output, Source
from pgsym.document import Figure
from pgsym.publish import Drawing

#: the number of actions (softmax) and of action dimensions (Gaussian), as the templates write them
A, k = sp.symbols("A k", integer=True, positive=True)


def _family(builders, sizes, size: sp.Symbol | None = None) -> tuple[Source, ...]:
    """Every member of a family: each builder at each size, proving output n for builder n;
    ``size`` is the template's symbol for the second size (actions, dimensions)."""
    return tuple(Source(builder(*shape).name, {size: shape[1]} if size is not None else {}, n)
                 for shape in sizes for n, builder in enumerate(builders))


_directional = (ps.direction[ps.i, ps.c], ps.phi[ps.i])  # V_ic phi_i: the outer product's factors

KERNELS = KernelModule(
    file="../pgsym/gradients/_kernels.py",
    origin="derivations/policy_scores.py",
    kernels=(
        Kernel(
            "softmax_log_prob",
            derivations=_family([ps.softmax_log_prob], ps.SOFTMAX_SIZES, A),
            outputs=(Output(ps.softmax_log_prob_template(A)),),
            arguments={"chosen": ps.z(ps.a), "shift": ps.m, "logits": ps.z},
            batch="last",
            doc="log pi(a|s) (1, N) from the chosen logit (1, N), the shift (1, N) and the logits (A, N).",
        ),
        Kernel(
            "softmax_probabilities",
            derivations=_family([ps.softmax_probability], ps.SOFTMAX_SIZES, A),
            outputs=(Output(ps.softmax_probability_template(A)),),
            arguments={"logits": ps.z, "shift": ps.m},
            axis=(ps.c,),
            batch="last",
            doc="pi(c|s) (A, N) for every action c, from the logits (A, N) and the shift (1, N).",
        ),
        Kernel(
            "softmax_score_cofactor",
            derivations=_family([ps.softmax_score], ps.SOFTMAX_SIZES),
            outputs=(Output(ps.softmax_score_template(), "summand", _directional),),
            arguments={"onehot": sp.KroneckerDelta(ps.a, ps.c), "probabilities": ps.pi},
            axis=(ps.c,),
            batch="last",
            doc="d log pi(a|s) / d theta_ic divided by phi_i (A, N): from the one-hot action (A, N) "
                "and pi(.|s) (A, N).",
        ),
        Kernel(
            "gaussian_log_prob",
            derivations=_family([ps.gaussian_log_prob], ps.GAUSSIAN_SIZES, k),
            outputs=(Output(ps.gaussian_log_prob_template(k)),),
            arguments={"actions": ps.action, "mean": ps.mu, "log_std": ps.log_std},
            batch="last",
            doc="log N(a; mean, exp(log_std)^2) (1, N), summed over the k action dimensions: actions "
                "and mean (k, N), log_std (k, 1).",
        ),
        Kernel(
            "gaussian_score_cofactors",
            derivations=_family([ps.gaussian_weights_score, ps.gaussian_log_std_score],
                                ps.GAUSSIAN_SIZES),
            outputs=(Output(ps.gaussian_weights_score_template(), "summand", _directional),
                     Output(ps.gaussian_log_std_score_template(), "summand",
                            (ps.direction[0, ps.c],))),
            arguments={"actions": ps.action, "mean": ps.mu, "log_std": ps.log_std},
            axis=(ps.c,),
            batch="last",
            doc="d log N / d W_ic divided by phi_i, and d log N / d log_std_c, each (k, N): actions "
                "and mean (k, N), log_std (k, 1).",
        ),
    ),
)


def _draw_convergence(path: Path) -> None:
    from pgsym import checks
    from pgsym.printing.plots import convergence_plot

    convergence_plot(checks.convergence(0), path)


FIGURES = (
    Drawing(Figure("convergence.png",
                   "The score-function (REINFORCE) estimate of the gradient of a softmax bandit "
                   "approaching the exact gradient as the sample grows, without and with the "
                   "baseline b = E[r]; dashed: the expected error, computed exactly.",
                   "4 The Policy Gradient Theorem"),
            _draw_convergence),
)
