"""What ``pgsym build`` makes of the notes besides the document, declared as data: the
kernels of the gradient library (``KERNELS``) and the figures (``FIGURES``).

Each kernel prints the last step of derivations of ``policy_scores``, each proved for
symbolic sizes (d features, A actions, k action dimensions), with the arguments its atoms
become. The kernels are batch-last, in the layout ``pgsym.gradients`` calls them with:
actions (or action dimensions, or features) first, samples last, so that sums over a
handful of actions run along contiguous rows; a score over features and actions is printed
from the same last step as one ``einsum`` of the features and its cofactor (the argument
that stands for the cofactor's expression), samples first, ``(N, d, A)``.
``pgsym.gradients`` checks the inputs. The same kernels are printed for JAX and PyTorch,
for ``pgsym.gradients.jax`` and ``pgsym.gradients.torch``.
"""
from __future__ import annotations

from pathlib import Path

import sympy as sp

from derivations import policy_scores as ps
from pgsym.codegen import Kernel, KernelModule, Output, Source
from pgsym.document import Figure
from pgsym.publish import Drawing

_softmax_score = ps.softmax_score_template()
_weights_score = ps.gaussian_weights_score_template()
_log_std_score = ps.gaussian_log_std_score_template()
_gaussian_arguments = {"actions": ps.action, "mean": ps.mu, "log_std": ps.log_std}

KERNELS = KernelModule(
    file="../pgsym/gradients/_kernels.py",
    origin="derivations/policy_scores.py",
    # pgsym.gradients.jax and pgsym.gradients.torch: _kernels_jax.py, _kernels_torch.py;
    # the compiled loops of pgsym.gradients where numba is installed: _kernels_numba.py
    backends=("numpy", "jax", "torch", "numba"),
    kernels=(
        Kernel(
            "softmax_log_prob",
            derivations=("softmax log-probability",),
            outputs=(Output(ps.softmax_log_prob_template()),),
            arguments={"chosen": ps.z(ps.a), "shift": ps.m, "logits": ps.z},
            batch="last",
            doc="log pi(a|s) (1, N) from the chosen logit (1, N), the shift (1, N) and the logits (A, N).",
        ),
        Kernel(
            "softmax_probabilities",
            derivations=("softmax probability",),
            outputs=(Output(ps.softmax_probability_template()),),
            arguments={"logits": ps.z, "shift": ps.m},
            axis=(ps.c,),
            batch="last",
            doc="pi(c|s) (A, N) for every action c, from the logits (A, N) and the shift (1, N).",
        ),
        Kernel(
            "softmax_score",
            derivations=("softmax score",),
            outputs=(Output(_softmax_score),),
            arguments={"features": ps.phi, "cofactor": _softmax_score.args[1]},
            axes=(ps.i, ps.c),
            batch="last",
            doc="d log pi(a|s) / d theta_ic (N, d, A): the features (d, N) times the cofactor "
                "(A, N) that softmax_score_cofactor computes.",
        ),
        Kernel(
            "softmax_score_cofactor",
            derivations=("softmax score",),
            outputs=(Output(_softmax_score, factor_out=(ps.phi[ps.i],)),),
            arguments={"onehot": sp.KroneckerDelta(ps.a, ps.c), "probabilities": ps.pi},
            axis=(ps.c,),
            batch="last",
            doc="d log pi(a|s) / d theta_ic divided by phi_i (A, N): from the one-hot action (A, N) "
                "and pi(.|s) (A, N).",
        ),
        Kernel(
            "gaussian_log_prob",
            derivations=("Gaussian log-density",),
            outputs=(Output(ps.gaussian_log_prob_template()),),
            arguments=_gaussian_arguments,
            batch="last",
            doc="log N(a; mean, exp(log_std)^2) (1, N), summed over the k action dimensions: actions "
                "and mean (k, N), log_std (k, 1).",
        ),
        Kernel(
            "gaussian_score_cofactors",
            derivations=(Source("Gaussian score in the weights", output=0),
                         Source("Gaussian score in the log standard deviations", output=1)),
            outputs=(Output(_weights_score, factor_out=(ps.phi[ps.i],)), Output(_log_std_score)),
            arguments=_gaussian_arguments,
            axis=(ps.c,),
            batch="last",
            doc="d log N / d W_ic divided by phi_i, and d log N / d log_std_c, each (k, N): actions "
                "and mean (k, N), log_std (k, 1).",
        ),
        Kernel(
            "gaussian_weights_score",
            derivations=("Gaussian score in the weights",),
            outputs=(Output(_weights_score),),
            arguments={"features": ps.phi, "cofactor": _weights_score.args[1]},
            axes=(ps.i, ps.c),
            batch="last",
            doc="d log N / d W_ic (N, d, k): the features (d, N) times the cofactor (k, N) that "
                "gaussian_score_cofactors computes.",
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
