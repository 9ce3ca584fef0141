"""The derivations of the notes, one module each; every module defines ``build()``.

``TITLE`` and ``OUTLINE`` give the document ``pgsym build`` writes: the notes' sections in
order, a short text for each (plain text with ``$...$`` math; a paragraph written as
``$$...$$`` is displayed) and the modules whose derivations it shows. ``KERNELS`` (the
gradient library's kernels: which derivations, at which sizes, become which functions with
which arguments) and ``FIGURES`` are declared in ``_specs.py`` and read only by
``pgsym build``, so that ``pgsym verify`` does not import the code printers.
"""

TITLE = "Notes on policy gradients and the log derivative trick, machine-checked"

SOURCE = ("David Meyer, Notes on policy gradients and the log derivative trick for "
          "reinforcement learning (last update November 10, 2020)")

OUTLINE = (
    ("1 Introduction", """
The notes parameterize the policy directly instead of a value function; equations (1)-(3) are
definitions, so there is nothing to derive here.

$$\\pi_\\theta(s, a) = \\mathbb{P}[a \\mid s, \\theta]$$

Every derivation below is checked step by step by pgsym: each step is compared with the one
before it and with the rule that justifies it. A step is proved when SymPy shows the two
equal, checked numerically when only random points agree (with the tolerance shown), and
the document says which.
""", ()),
    ("2 Policy Objective Functions", """
The start value $J_1$, the average value $J_{avV}$ and the average reward per time step
$J_{avR}$ of every finite MDP ($n$ states, $m$ actions), with $d$ the stationary distribution
of the policy: with the discounted value function, $(1 - \\gamma) J_{avV} = J_{avR}$, so
$J_{avV} = J_{avR} / (1 - \\gamma)$ (the Bellman equations and the stationarity of $d$ taken as
given; a 2-state instance in closed form illustrates it). The update of equations (4) and
(6) climbs $J$: its first-order change is $\\alpha \\lVert \\nabla_\\theta J \\rVert^2 \\ge 0$.
""", ("objectives", "gradient_ascent")),
    ("3 Computing the gradient analytically", """
The log-derivative trick, the score of a policy, the score-function estimator of
equation (7) for a finite support, for a softmax and for a Gaussian (footnote 4), and the
score's mean and Fisher information (for any number of outcomes).
""", ("log_derivative_trick", "score_function_identity", "score_function_estimator",
      "gaussian_estimator", "fisher_information")),
    ("4 The Policy Gradient Theorem", """
Equations (8)-(10) hold for a one-step MDP. Equation (11) is proved for every finite MDP
($n$ states, $m$ actions, any differentiable policy $\\pi(a \\mid s; \\theta)$), step by step as
in Sutton et al. (2000): for the start value, by differentiating the Bellman equations and
solving the recursion with the resolvent $G = (I - \\gamma P_\\pi)^{-1}$, so that the states
are weighted by the discounted visitation $d(s) = \\sum_x \\mu(x) G(x, s)$, which sums to
$1/(1 - \\gamma)$; for the average reward, by averaging the recursion of the differential
values over the stationary distribution. The Bellman equations, the normalisations of
$\\pi$, $P$, $\\mu$ and $d$, stationarity and the resolvent (which exists for
$0 \\le \\gamma < 1$) are taken as given, and every step that rests on one says so. A
2-state instance of each is kept, in closed form, as an illustration. A baseline that does
not depend on the action leaves the gradient unchanged (for any number of actions).
""", ("one_step_mdp", "policy_gradient_theorem", "average_reward_gradient", "baseline")),
    ("Beyond the notes: two examples", """
Two results the notes use without deriving, each proved for a symbolic size by first proving
a lemma and then citing it: the trajectory form of the policy gradient,
$\\nabla_\\theta \\log P(\\tau; \\theta) = \\sum_{t=0}^{T-1} \\nabla_\\theta \\log \\pi(a_t \\mid s_t; \\theta)$
for a horizon $T$, and the optimal constant baseline $b^*$, which minimises the second moment
of $g - b$ over $A$ actions (a step that claims $\\ge$).
""", ("trajectory_policy_gradient", "optimal_baseline")),
    ("Appendix: the gradient library", """
The closed forms the module pgsym.gradients is generated from: log-probabilities and scores of
the linear softmax and Gaussian policies, proved for all sizes: any number of features $d$,
actions $A$ and action dimensions $k$, each score one component $(i, c)$ of the gradient for
indices in their ranges.
""", ("policy_scores",)),
)


def __getattr__(name: str):
    if name in ("KERNELS", "FIGURES"):
        from derivations import _specs

        return getattr(_specs, name)
    raise AttributeError(f"module 'derivations' has no attribute {name!r}")
