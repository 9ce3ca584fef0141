"""Which classes are SymPy's, mpmath's, pgsym's or Python's own (:func:`own_class`): the verdict
cache describes those by their names (their code is what the versions it keys say), and runs
the steps of a derivation holding any other in a process of their own, never kept.

A class of the user's may claim to be SymPy's: name SymPy's module as its ``__module__`` and
put itself there (``sympy.twice = twice``: hostile review 59), inherit its code from a class of
the user's, hold it in a ``functools.partial``, compile it under SymPy's file name (review
60), or hang itself inside a class SymPy has (``Symbol.G``) or in a module loaded later
(review 61).
So a class is own only where it is found where it claims to be and was there (at the top of
its module, or inside a class there) when pgsym first looked (pgsym looks when this module
is imported, which ``pgsym.derivation`` does, before the user's code builds anything; a
module of SymPy's or Python's loaded since holds no own class, one of pgsym's is read by its
code), every class it inherits from is own too, and every function it defines comes from a
file of SymPy, mpmath, pgsym or Python's library and holds no ``functools.partial``.

>>> import sympy as sp
>>> own_class(sp.exp), own_class(type("Mine", (sp.Function,), {}))
(True, False)
"""
from __future__ import annotations

import functools
import os
import sys
import weakref

from sympy.core.function import UndefinedFunction

__all__ = ["OWN_PACKAGES", "own_class"]

OWN_PACKAGES = frozenset({"sympy", "mpmath", "pgsym", "builtins"})


def own_class(cls: type) -> bool:
    """Whether ``cls`` is SymPy's, mpmath's, pgsym's or Python's own, and so is every class
    it inherits from; or it is the class of an undefined function, which SymPy makes (its
    assumptions are read where it is used)."""
    if isinstance(cls, UndefinedFunction):
        return True
    return all(_found_where_it_claims(base) and _defined_in(base)
               for base in getattr(cls, "__mro__", (cls,)))


def _found_where_it_claims(cls: type) -> bool:
    """Whether ``cls``'s module is one of :data:`OWN_PACKAGES` or Python's library, the class
    is found there under its name (a class may claim ``__module__ = "builtins"``: hostile
    review 43), and, in a module loaded before pgsym first looked, was there then."""
    if isinstance(cls, UndefinedFunction):
        return True
    module = getattr(cls, "__module__", None) or ""
    if not _own_module(module):
        return False
    found = sys.modules.get(module)
    path = getattr(cls, "__qualname__", "<none>").split(".")
    for part in path:
        found = getattr(found, part, None)
    if found is not cls:
        return False
    known = _KNOWN.get(module)
    if known is None:  # (loaded since: pgsym's own modules, by their code; no other)
        return module.split(".")[0] == "pgsym"
    return id(cls) in known


#: by module of SymPy's, mpmath's, pgsym's and Python's loaded when this module was imported,
#: the ids of the classes it held then, at its top and inside them (kept alive, so that the
#: ids stay theirs)
_KNOWN: dict[str, frozenset[int]] = {}
_KEPT: list[type] = []


def _own_module(name: str) -> bool:
    """Whether the module ``name`` is SymPy's, mpmath's, pgsym's or in Python's library (the
    classes pgsym's inherit from: Enum, collections.abc's, threading.local)."""
    top = name.split(".")[0]
    return top in OWN_PACKAGES or top in sys.stdlib_module_names


def _looked() -> None:
    """Fills :data:`_KNOWN` from the modules loaded now."""
    for name, module in list(sys.modules.items()):
        if not _own_module(name) or module is None or \
                getattr(getattr(module, "__spec__", None), "_initializing", False):
            continue  # (one still being imported, pgsym.derivation: its classes are to come)
        classes = [value for value in list(vars(module).values()) if isinstance(value, type)]
        for cls in classes:  # (and the classes defined inside them, Symbol.G: review 61)
            classes += [value for value in list(vars(cls).values()) if isinstance(value, type)
                        and getattr(value, "__qualname__", "").startswith(cls.__qualname__ + ".")
                        and value not in classes]
        _KEPT.extend(classes)
        _KNOWN[name] = frozenset(map(id, classes))


def _defined_in(cls: type) -> bool:
    """Whether every function ``cls`` itself defines (methods, class and static methods,
    properties, and what they wrap) was compiled from a file of SymPy, mpmath, pgsym or
    Python's library (or is a method a dataclass, named tuple or enum made), and every other
    callable it holds is Python's own. A class of the user's may put itself where it claims
    to be (``sympy.twice = twice`` with ``__module__ = "sympy"``: hostile review 59), but its
    code stays in the user's file."""
    # (kept by the class with what it holds: a function added to it later is checked)
    holds = tuple(map(id, vars(cls).values()))
    found = _DEFINED_IN.get(cls)
    if found is not None and found[0] == holds:
        return found[1]
    _CHECKING.add(cls)
    try:
        own = _functions_own(cls)
    finally:
        _CHECKING.discard(cls)
    _DEFINED_IN[cls] = (holds, own)
    return own


_DEFINED_IN: "weakref.WeakKeyDictionary[type, tuple[tuple, bool]]" = weakref.WeakKeyDictionary()


def _functions_own(cls: type) -> bool:
    """:func:`_defined_in`, worked out."""
    for value in vars(cls).values():
        if isinstance(value, type):
            continue  # (a class defined inside: checked where it is used)
        pending, seen = [value], set()
        while pending:
            item = pending.pop()
            if id(item) in seen:
                continue
            seen.add(id(item))
            if isinstance(item, functools.partial):  # (its arguments are code or data of
                return False  # anyone's: partial(operator.mul, 3), hostile review 60)
            pending += [getattr(item, name) for name in ("__func__", "__wrapped__", "fget",
                                                         "fset", "fdel", "func")
                        if getattr(item, name, None) is not None]
            code = getattr(item, "__code__", None)
            if code is not None:
                path = code.co_filename
                made = path == "<string>" and getattr(item, "__name__", "") in _MADE_METHODS
                if not made and not _in_own_files(path):
                    return False
            elif callable(item) and not isinstance(item, type) and type(item) not in \
                    _CHECKING and type(item).__module__ not in ("builtins", "functools") \
                    and not own_class(type(item)):
                return False  # (an object of a class of the user's, called as a method)
    return True


#: the classes whose functions are being checked (an object of one may be held by another,
#: or by itself: SymPy's IdentityFunction keeps its one instance)
_CHECKING: set[type] = set()


#: the methods dataclasses, named tuples and enums write (compiled from "<string>")
_MADE_METHODS = frozenset({"__init__", "__repr__", "__eq__", "__hash__", "__setattr__",
                           "__delattr__", "__lt__", "__le__", "__gt__", "__ge__", "__new__",
                           "__getstate__", "__setstate__"})


def _in_own_files(path: str) -> bool:
    """Whether the file ``path`` is one of SymPy's, mpmath's or pgsym's, or of Python's own
    library (not a package installed beside it, in site-packages)."""
    path = os.path.realpath(path)
    packages, library = _own_roots()
    return path.startswith(packages) or path.startswith(library) and not \
        {"site-packages", "dist-packages"} & set(path.split(os.sep))


@functools.lru_cache(maxsize=None)
def _own_roots() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The folders of SymPy's, mpmath's and pgsym's files, and those of Python's library,
    each ending with a separator."""
    import sysconfig

    packages = {os.path.dirname(file) for file in (
        getattr(sys.modules.get(name), "__file__", None) for name in ("sympy", "mpmath", "pgsym"))
        if file}
    library = {sysconfig.get_paths()[name] for name in ("stdlib", "platstdlib")}
    return tuple(tuple(os.path.realpath(folder) + os.sep for folder in folders)
                 for folders in (packages, library))


_looked()
