"""Symbols and functions shared by the derivations, named as in the notes."""
import sympy as sp

theta = sp.Symbol("theta", real=True)
x = sp.Symbol("x", real=True)
s, a = sp.symbols("s a", real=True)

#: the likelihood p(x; theta), positive wherever the notes use its logarithm
p = sp.Function("p", positive=True)
#: the policy pi_theta(s, a)
pi = sp.Function("pi", positive=True)
