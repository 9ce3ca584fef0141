"""A finite MDP of any size, left abstract: what the general policy gradient theorems of
section 4 (``policy_gradient_theorem``, ``average_reward_gradient``) are stated for.

``n`` states and ``m`` actions (symbolic positive integers), the policy pi(a | s; theta), the
dynamics P(t | s, a), the rewards R(s, a) and the start distribution mu(s) are undefined
functions. Their defining properties (rows of pi, P and mu sum to one, the Bellman equations
of the values, the resolvent of I - gamma P_pi) are :class:`pgsym.Equation` s taken as
given: a step citing one is *proved under that assumption*, and every output prints it.

Functions are written with the index that is summed over first, as in the notes' sums:
``pi(a, s, theta)`` is pi(a | s; theta), ``P(t, s, a)`` is P(t | s, a).
"""
import sympy as sp

from pgsym import Equation

theta = sp.Symbol("theta", real=True)
gamma = sp.Symbol("gamma", nonnegative=True)
#: the numbers of states and of actions
n, m = sp.symbols("n m", integer=True, positive=True)
s, t, x = sp.symbols("s t x", integer=True)
a = sp.Symbol("a", integer=True)

#: pi(a, s, theta) = pi(a | s; theta), the policy; P(t, s, a) = P(t | s, a), the dynamics
pi = sp.Function("pi", positive=True)
P = sp.Function("P", nonnegative=True)
R = sp.Function("R", real=True)
mu = sp.Function("mu", nonnegative=True)


def states(variable: sp.Symbol) -> tuple:
    """The limits of a sum over every state."""
    return (variable, 0, n - 1)


ACTIONS = (a, 0, m - 1)


def d_theta(expr: sp.Expr) -> sp.Expr:
    """The (unevaluated) derivative with respect to the parameter theta."""
    return sp.Derivative(expr, theta)


def on_policy(expr: sp.Expr) -> sp.Expr:
    """sum_a pi(a | s) P(t | s, a) expr, the probability of the move s -> t times expr."""
    return sp.Sum(pi(a, s, theta) * P(t, s, a) * expr, ACTIONS)


POLICY_SUMS_TO_ONE = Equation("policy's normalisation", sp.Sum(pi(a, s, theta), ACTIONS),
                              sp.S.One, variables=(s, theta))
DYNAMICS_SUM_TO_ONE = Equation("dynamics' normalisation", sp.Sum(P(t, s, a), states(t)),
                               sp.S.One, variables=(s, a))

#: the discounted values V(s; theta) and Q(s, a; theta) of the policy, and the stationary
#: distribution d(s; theta) of the chain it induces
V = sp.Function("V", real=True)
Q = sp.Function("Q", real=True)
d = sp.Function("d", nonnegative=True)

BELLMAN_V = Equation("Bellman equation for V", V(s, theta),
                     sp.Sum(pi(a, s, theta) * Q(s, a, theta), ACTIONS),
                     variables=(s, theta))
BELLMAN_Q = Equation("Bellman equation for Q", Q(s, a, theta),
                     R(s, a) + gamma * sp.Sum(P(t, s, a) * V(t, theta), states(t)),
                     variables=(s, a, theta))
STATIONARY = Equation("stationarity of d", sp.Sum(d(s, theta) * on_policy(1), states(s)),
                      d(t, theta), variables=(t, theta))
STATIONARY_SUMS_TO_ONE = Equation("normalisation of d", sp.Sum(d(s, theta), states(s)), sp.S.One,
                                  variables=(theta,))
