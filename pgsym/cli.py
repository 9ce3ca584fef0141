"""The ``pgsym`` command: argument parsing and presentation only."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Callable, TypeVar

from pgsym import catalog
from pgsym.cache import StepCache
from pgsym.derivation import DerivationError
from pgsym.document import assemble
from pgsym.notation import NotationError
from pgsym.printing.latex import derivation_to_latex
from pgsym.printing.text import errata_list, report_table, summary
from pgsym.rules import registered_rules
from pgsym.verification import DEFAULT_TIME_LIMIT, Settings, verify

T = TypeVar("T")


def _checked(convert: Callable[[str], T], holds: Callable[[T], bool],
             what: str) -> Callable[[str], T]:
    """An argparse ``type=``: the text converted by ``convert``, refused unless ``holds``."""
    def parse(text: str) -> T:
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not holds(value):
            raise argparse.ArgumentTypeError(f"must be {what}, not {text!r}")
        return value
    return parse


_MAX_SECONDS = 86400.0  # a day; the interval timer overflows somewhere above 1e9 s
_seconds = _checked(float, lambda s: 0 < s <= _MAX_SECONDS,  # false for nan
                    f"a positive number of seconds, at most {_MAX_SECONDS:g} (a day)")
_positive = _checked(int, lambda n: n > 0, "a positive whole number")
_seed = _checked(int, lambda n: n >= 0, "a whole number, 0 or more")
_module_name = _checked(str, lambda name: all(part.isidentifier() for part in name.split(".")),
                        "the name of a package to import, such as derivations")


def _folder(text: str) -> Path:
    """An argparse ``type=``: a folder to write into, which need not exist yet."""
    path = Path(text)
    existing = next((p for p in (path, *path.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise argparse.ArgumentTypeError(f"{existing} is a file, not a folder")
    return path


def _file(text: str) -> Path:
    """An argparse ``type=``: a file to write, in a folder that exists."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder, not a file")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"no folder {path.parent} to write {path.name} into")
    return path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pgsym", description="Machine-checked derivations of policy gradients.")
    commands = parser.add_subparsers(dest="command", required=True)

    package = argparse.ArgumentParser(add_help=False)
    package.add_argument("--package", type=_module_name, default="derivations", metavar="NAME",
                         help="importable package whose modules build the derivations "
                              "(default %(default)s)")

    caching = argparse.ArgumentParser(add_help=False)
    caching.add_argument("--no-cache", action="store_true",
                         help="check every step from scratch: neither read nor store the "
                              "verdicts kept between runs (in $PGSYM_CACHE_DIR, else "
                              "~/.cache/pgsym)")

    check = commands.add_parser("verify", parents=[package, caching],
                                help="verify derivations and print their verdicts")
    check.add_argument("names", nargs="*", help="derivations to verify (default: all)")
    check.add_argument("--time-limit", type=_seconds, default=DEFAULT_TIME_LIMIT, metavar="S",
                       help="CPU seconds allowed for checking each step's rule and, "
                            "separately, its value: a guard against runaway checks "
                            "(default %(default)s)")
    check.add_argument("--accept-numeric", action="store_true",
                       help="let steps that are only checked numerically pass (the output "
                            "still says which); by default only proved steps pass")
    check.add_argument("--errata", action="store_true",
                       help="also list the places where the notes are wrong or need a condition")

    build = commands.add_parser(
        "build", parents=[package, caching],
        help="verify every derivation; write the document (LaTeX, Markdown, HTML, a LaTeX "
             "fragment per derivation, the figures the package declares) and the NumPy kernels "
             "the package declares")
    build.add_argument("--out", type=_folder, metavar="DIR",
                       help="where the document goes (default: the package's generated/ "
                            "folder, or ./generated when the package is installed)")
    build.add_argument("--time-limit", type=_seconds, default=DEFAULT_TIME_LIMIT, metavar="S",
                       help="CPU seconds allowed for checking each step's rule and, "
                            "separately, its value: a guard against runaway checks "
                            "(default %(default)s)")
    build.add_argument("--accept-numeric", action="store_true",
                       help="let steps that are only checked numerically pass (the output "
                            "still says which); by default only proved steps pass")
    build.add_argument("--pdf", action="store_true",
                       help="also compile notes.pdf with pdflatex (TeX Live)")
    build.add_argument("--no-figures", action="store_true",
                       help="do not draw the figures (they need matplotlib: pgsym[plots])")
    build.add_argument("--kernels", type=_file, metavar="FILE",
                       help="where the NumPy kernels the package declares (KERNELS) go "
                            "(default: the file KERNELS names, relative to the package's "
                            "folder; in the current directory when the package is installed)")

    numeric = commands.add_parser(
        "check", help="run the numerical checks of the gradient library against exact answers")
    numeric.add_argument("--cases", type=_positive, default=5, metavar="K",
                         help="random instances of each check (default %(default)s)")
    numeric.add_argument("--seed", type=_seed, default=0)
    numeric.add_argument("--plot", type=_file, metavar="FILE",
                         help="save a plot of REINFORCE converging to the exact gradient, with "
                              "and without a baseline (needs matplotlib: pgsym[plots])")

    latex = commands.add_parser("latex", parents=[package],
                                help="print a derivation, or every one a module builds, as LaTeX")
    latex.add_argument("name", help="a derivation's name or slug, or a module's name")
    latex.add_argument("--verdicts", action="store_true",
                       help="verify first and mark each step with its verdict")

    commands.add_parser("list", parents=[package], help="list the derivations")
    commands.add_parser("rules", help="list the rules a step may cite")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs the command line; returns the exit status (0 only when everything holds).

    Packages are imported from the current directory first, as ``python -m pgsym`` does:
    ``pgsym build`` in a checkout of pgsym finds the notes' ``derivations`` there.
    """
    arguments = _parser().parse_args(argv)
    here = os.getcwd()
    added = here not in sys.path and "" not in sys.path
    if added:
        sys.path.insert(0, here)
    try:
        return _COMMANDS[arguments.command](arguments)
    except (DerivationError, NotationError) as error:  # (a package's own bad input)
        print(f"pgsym: error: {error}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as missing:  # (latex2mathml, run outside pgsym's venv: a
        # raw traceback, new user 32)
        print(f"pgsym: error: the module {missing.name!r} is not installed in this Python "
              f"({sys.executable}); install what pgsym (or your package) needs there, e.g. "
              f"python -m pip install -e '.[plots]' in pgsym's checkout, or run the pgsym of "
              f"the environment that has it", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader of the output (`head`, say) has gone: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as error:  # a file or folder that cannot be written, say
        where = f"{error.filename}: " if error.filename else ""
        print(f"pgsym: error: {where}{error.strerror or error}", file=sys.stderr)
        return 2
    finally:
        if added and here in sys.path:
            sys.path.remove(here)


def _verify(arguments: argparse.Namespace) -> int:
    entries = catalog.find(arguments.package, arguments.names)
    cache = _cache(arguments)
    reports = _verify_and_print(entries, _settings(arguments), cache)
    if arguments.errata:
        print()
        print(errata_list(assemble(entries, reports)))
    return _exit_status(reports)


def _exit_status(reports) -> int:
    """0 when every step passed; else 1, said in a last line (new user 30 saw the build end
    with status 1 and no word of why)."""
    if all(r.ok for r in reports):
        return 0
    steps = [step for report in reports for step in report.steps]
    failed = sum(not step.ok for step in steps)
    empty = sum(not report.steps for report in reports)
    why = [f"{failed} of {len(steps)} steps did not pass (above)"] if failed else []
    why += [f"{empty} derivation{'s have' if empty != 1 else ' has'} no steps"] if empty else []
    print(f"pgsym: exit status 1: {'; '.join(why)}", file=sys.stderr)
    return 1


def _settings(arguments: argparse.Namespace) -> Settings:
    return Settings(time_limit=arguments.time_limit, accept_numeric=arguments.accept_numeric)


def _verify_and_print(entries: list[catalog.Entry], settings: Settings,
                      cache: StepCache | None = None) -> list:
    """Verifies the entries (with progress on a terminal) and prints the table."""
    progress = _progress_of(len(entries))
    reports = catalog.verify_entries(entries, settings, on_done=progress, cache=cache)
    _cache_used(cache)
    _print_reports(entries, reports)
    return reports


def _cache(arguments: argparse.Namespace) -> StepCache | None:
    return None if arguments.no_cache else StepCache()


def _cache_used(cache: StepCache | None) -> None:
    """Says on stderr how many steps the cache answered (stdout is the same either way)."""
    if cache is None:
        return
    if cache.problem:
        _status(f"the verdict cache is not used: {cache.problem}")
        return
    total = cache.hits + cache.misses
    ignored = f"; {cache.ignored} unfit entries ignored" if cache.ignored else ""
    _status(f"{cache.hits} of {total} step verdicts from the cache in {cache.directory}, "
            f"{cache.stored} stored{ignored}")


def _progress_of(total: int) -> Callable[[int], None]:
    return lambda done: _progress(done, total, "derivations verified")


def _verified_progress(done: int) -> None:
    """Progress of a build, whose number of derivations the bar does not know: none."""


def _print_reports(entries: list[catalog.Entry], reports: list) -> None:
    equations = {e.derivation.name: e.derivation.equation for e in entries}
    print(report_table(reports, equations))
    print()
    for report in reports:
        for message in report.failures():
            print(message)
    print(summary(reports))


def _build(arguments: argparse.Namespace) -> int:
    from pgsym import codegen, publish
    from pgsym.building import build

    cache = _cache(arguments)

    def show(entries, reports) -> None:
        _cache_used(cache)
        _print_reports(entries, reports)

    try:
        result = build(arguments.package, arguments.out, _settings(arguments), pdf=arguments.pdf,
                       figures=not arguments.no_figures, kernels=arguments.kernels,
                       progress=_status, on_verified=show, on_done=_verified_progress,
                       cache=cache)
    except codegen.BuildError as error:
        print(f"pgsym: error: {error}", file=sys.stderr)
        return 2
    except publish.PublishError as error:
        print(f"pgsym: error: {error}", file=sys.stderr)
        return 1
    count = len(result.changed)
    number = len(result.entries)
    print(f"document of {number} derivation{'s' if number != 1 else ''} in {result.out}: "
          f"{count} file{'s' if count != 1 else ''} changed")
    if result.pdf is not None:
        print(f"PDF: {result.pdf}")
    if result.kernels_error:
        print(f"pgsym: not writing the kernels to {result.kernels}: {result.kernels_error}",
              file=sys.stderr)
        return 1
    if result.kernels is not None:
        number = len(codegen.declared_kernels(arguments.package).kernels)
        for path in result.kernel_files or (result.kernels,):  # one file per backend
            written = path in result.kernels_changed if result.kernel_files \
                else result.kernels_written
            print(f"{number} kernel{'s' if number != 1 else ''} "
                  f"{'written to' if written else 'up to date in'} {path}")
    return _exit_status(result.reports)


def _status(message: str) -> None:
    print(f"pgsym: {message}", file=sys.stderr, flush=True)


def _check(arguments: argparse.Namespace) -> int:
    from pgsym import checks
    from pgsym.printing.text import checks_table

    suite = checks.standard_suite(arguments.seed, arguments.cases)
    results = []
    for number, check in enumerate(suite, start=1):
        result = check()
        if result is not None:
            results.append(result)
        _progress(number, len(suite))
    print(checks_table(results))
    if arguments.plot is not None:
        try:
            from pgsym.printing.plots import convergence_plot
        except ImportError as missing:
            print(f"pgsym: cannot plot: {missing.name} is not installed; "
                  f"pip install 'pgsym[plots]'", file=sys.stderr)
            return 2
        convergence_plot(checks.convergence(arguments.seed), arguments.plot)
        print(f"plot saved to {arguments.plot}")
    return 0 if all(r.passed for r in results) else 1


def _progress(done: int, total: int, what: str = "checks", width: int = 30) -> None:
    if not sys.stderr.isatty():
        return
    filled = width * done // total
    end = "\n" if done == total else ""
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {what}", end=end,
          file=sys.stderr, flush=True)


def _latex(arguments: argparse.Namespace) -> int:
    entries = catalog.find(arguments.package, [arguments.name])
    for number, entry in enumerate(entries):
        report = verify(entry.derivation) if arguments.verdicts else None
        if len(entries) > 1:  # a module's derivations, each headed by its name
            print(("\n" if number else "") + "% " + " ".join(entry.derivation.name.split()))
        print(derivation_to_latex(entry.derivation, report), end="")
    return 0


def _list(arguments: argparse.Namespace) -> int:
    for entry in catalog.discover(arguments.package):
        d = entry.derivation
        print(f"{entry.slug:45} {d.equation:12} {len(d.steps):2} steps  {d.description}")
    return 0


def _rules(arguments: argparse.Namespace) -> int:
    for name, rule in sorted(registered_rules().items()):
        kind = "transformation" if rule.is_transformation else "equality only"
        print(f"{name:30} [{kind}] {rule.description}")
    return 0


_COMMANDS = {"verify": _verify, "build": _build, "check": _check, "latex": _latex, "list": _list, "rules": _rules}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
