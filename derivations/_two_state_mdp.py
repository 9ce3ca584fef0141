"""The 2-state, 2-action MDP and tabular softmax policy shared by the derivations of
sections 2 and 4 (objectives, policy gradient theorem, average-reward gradient), with the
closed forms they all start from."""
import sympy as sp

S = A = 2
gamma = sp.Symbol("gamma", positive=True)
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


def policy_closed_forms() -> tuple[sp.Matrix, list]:
    """The softmax policy's transition matrix P_pi[s, t] and expected rewards r_pi[s],
    written out in theta."""
    policy = sp.Matrix(S, A, lambda i, j: sp.exp(theta[i, j]) / sum(sp.exp(theta[i, k]) for k in range(A)))
    P_pi = sp.Matrix(S, S, lambda i, k: sum(policy[i, j] * P[i][j][k] for j in range(A)))
    r_pi = [sum(policy[i, j] * R[i][j] for j in range(A)) for i in range(S)]
    return P_pi, r_pi


def stationary_distribution(P_pi: sp.Matrix) -> list:
    """d with d P_pi = d and sum d = 1; with two states, d(0) P_pi[0, 1] = d(1) P_pi[1, 0]."""
    leave, enter = P_pi[0, 1], P_pi[1, 0]
    return [sp.cancel(enter / (leave + enter)), sp.cancel(leave / (leave + enter))]
