"""The 2-state, 2-action MDP and tabular softmax policy shared by the derivations of
sections 2 and 4 (objectives, policy gradient theorem, average-reward gradient), with the
closed forms they all start from."""
import sympy as sp
from sympy.polys.matrices import DomainMatrix

from derivations._finite_mdp import gamma

S = A = 2
theta = sp.IndexedBase("theta", real=True)

# the MDP: P[s][a][t] = Pr(t | s, a), rewards R[s][a], start distribution MU0[s]
P = [[[sp.Rational(1, 3), sp.Rational(2, 3)], [sp.Rational(3, 4), sp.Rational(1, 4)]],
     [[sp.Rational(1, 2), sp.Rational(1, 2)], [sp.Rational(1, 5), sp.Rational(4, 5)]]]
R = [[sp.Integer(1), sp.Integer(-2)], [sp.Rational(1, 2), sp.Integer(3)]]
MU0 = [sp.Rational(2, 3), sp.Rational(1, 3)]


def table(values, rank: int) -> sp.Lambda:
    """A Lambda that looks ``values`` up by ``rank`` integer indices.

    Written as a sum of Kronecker deltas rather than a Piecewise: SymPy folds a Piecewise
    out of an enclosing sum, which can free that sum's index.
    """
    indices = sp.symbols(f"i0:{rank}", cls=sp.Dummy, integer=True)

    def lookup(rows, depth):
        if depth == rank:
            return rows
        return sp.Add(*[sp.KroneckerDelta(indices[depth], k) * lookup(row, depth + 1)
                        for k, row in enumerate(rows)])
    return sp.Lambda(indices, lookup(values, 0))


def softmax_policy() -> sp.Lambda:
    """pi(s, a) = exp(theta[s, a]) / sum_b exp(theta[s, b]), as the derivations define it."""
    i, j, k = sp.symbols("i j k", cls=sp.Dummy, integer=True)
    return sp.Lambda((i, j), sp.exp(theta[i, j]) / sp.Sum(sp.exp(theta[i, k]), (k, 0, A - 1)))


# The closed forms are rational functions of gamma and the exponentials exp(theta[s, a]).
# They are computed in that field of fractions, where every value is kept as one reduced
# fraction, and written out once: sp.cancel of the written-out linear solve gave the same
# fractions at 20 times the cost, most of the catalogue's build time.
_EXPONENTIALS = [sp.exp(theta[i, j]) for i in range(S) for j in range(A)]
_STAND_INS = sp.symbols(f"x0:{S * A}", positive=True)
FIELD = sp.QQ.frac_field(gamma, *_STAND_INS)


def _fraction(expr: sp.Expr):
    return FIELD.from_sympy(expr.xreplace(dict(zip(_EXPONENTIALS, _STAND_INS))))


def written_out(value) -> sp.Expr:
    """A fraction of FIELD as a SymPy expression in gamma and exp(theta[s, a]), in lowest
    terms (numerator over denominator, as sp.cancel writes it)."""
    numerator, denominator = (part.as_expr().xreplace(dict(zip(_STAND_INS, _EXPONENTIALS)))
                              for part in (value.numer, value.denom))
    return numerator / denominator


def solve(matrix: list[list], right_hand_side: list) -> list:
    """x with matrix x = right_hand_side, entries of FIELD."""
    size = len(right_hand_side)
    system = DomainMatrix([list(row) for row in matrix], (size, size), FIELD)
    column = DomainMatrix([[entry] for entry in right_hand_side], (size, 1), FIELD)
    return [row[0] for row in system.lu_solve(column).to_list()]


def policy_closed_forms() -> tuple[list[list], list]:
    """The softmax policy's transition matrix P_pi[s][t] and expected rewards r_pi[s], as
    entries of FIELD."""
    policy = [[_fraction(sp.exp(theta[i, j]) / sum(sp.exp(theta[i, k]) for k in range(A)))
               for j in range(A)] for i in range(S)]
    P_pi = [[sum((policy[i][j] * FIELD.convert(P[i][j][k]) for j in range(A)), FIELD.zero)
             for k in range(S)] for i in range(S)]
    r_pi = [sum((policy[i][j] * FIELD.convert(R[i][j]) for j in range(A)), FIELD.zero)
            for i in range(S)]
    return P_pi, r_pi


def stationary_distribution(P_pi: list[list]) -> list:
    """d with d P_pi = d and sum d = 1; with two states, d(0) P_pi[0][1] = d(1) P_pi[1][0]."""
    leave, enter = P_pi[0][1], P_pi[1][0]
    return [enter / (leave + enter), leave / (leave + enter)]


def bellman_matrix(P_pi: list[list]) -> list[list]:
    """I - gamma P_pi, whose solve with r_pi gives the state values."""
    discount = FIELD.from_sympy(gamma)
    return [[(FIELD.one if i == k else FIELD.zero) - discount * P_pi[i][k] for k in range(S)]
            for i in range(S)]
