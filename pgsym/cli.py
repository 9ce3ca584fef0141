"""The ``pgsym`` command: argument parsing and presentation only."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pgsym import catalog
from pgsym.derivation import DerivationError
from pgsym.document import assemble
from pgsym.printing.latex import derivation_to_latex
from pgsym.printing.text import errata_list, report_table, summary
from pgsym.rules import registered_rules
from pgsym.verify import DEFAULT_TIME_LIMIT, verify


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pgsym", description="Machine-checked derivations of policy gradients.")
    commands = parser.add_subparsers(dest="command", required=True)

    package = argparse.ArgumentParser(add_help=False)
    package.add_argument("--package", default="derivations", metavar="NAME",
                         help="importable package whose modules build the derivations "
                              "(default %(default)s)")

    check = commands.add_parser("verify", parents=[package],
                                help="verify derivations and print their verdicts")
    check.add_argument("names", nargs="*", help="derivations to verify (default: all)")
    check.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT, metavar="S",
                       help="seconds allowed for checking each step (default %(default)s)")
    check.add_argument("--errata", action="store_true",
                       help="also list the places where the notes are wrong or need a condition")

    build = commands.add_parser(
        "build", parents=[package],
        help="verify every derivation; write the document (LaTeX, Markdown, HTML, figures, "
             "a LaTeX fragment per derivation) and regenerate the gradient library")
    build.add_argument("--out", type=Path, metavar="DIR",
                       help="where the document goes (default: the package's generated/ folder)")
    build.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT, metavar="S",
                       help="seconds allowed for checking each step (default %(default)s)")
    build.add_argument("--pdf", action="store_true",
                       help="also compile notes.pdf with pdflatex (TeX Live)")
    build.add_argument("--no-figures", action="store_true",
                       help="do not draw the figures (they need matplotlib: pgsym[plots])")
    build.add_argument("--kernels", type=Path, metavar="FILE",
                       help="where the generated NumPy kernels go (default: inside the "
                            "installed package, pgsym/gradients/_kernels.py)")

    numeric = commands.add_parser(
        "check", help="run the numerical checks of the gradient library against exact answers")
    numeric.add_argument("--cases", type=int, default=5, metavar="K",
                         help="random instances of each check (default %(default)s)")
    numeric.add_argument("--seed", type=int, default=0)
    numeric.add_argument("--plot", type=Path, metavar="FILE",
                         help="save a plot of REINFORCE converging to the exact gradient, with "
                              "and without a baseline (needs matplotlib: pgsym[plots])")

    latex = commands.add_parser("latex", parents=[package], help="print a derivation as LaTeX")
    latex.add_argument("name")
    latex.add_argument("--verdicts", action="store_true",
                       help="verify first and mark each step with its verdict")

    commands.add_parser("list", parents=[package], help="list the derivations")
    commands.add_parser("rules", help="list the rules a step may cite")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs the command line; returns the exit status (0 only when everything holds)."""
    arguments = _parser().parse_args(argv)
    try:
        return _COMMANDS[arguments.command](arguments)
    except DerivationError as error:
        print(f"pgsym: error: {error}", file=sys.stderr)
        return 2


def _verify(arguments: argparse.Namespace) -> int:
    entries = catalog.find(arguments.package, arguments.names)
    reports = _verify_and_print(entries, arguments.time_limit)
    if arguments.errata:
        print()
        print(errata_list(assemble(entries, reports)))
    return 0 if all(r.ok for r in reports) else 1


def _verify_and_print(entries: list[catalog.Entry], time_limit: float) -> list:
    """Verifies the entries (with progress on a terminal) and prints the table."""
    reports = catalog.verify_entries(
        entries, time_limit, on_done=lambda done: _progress(done, len(entries), "derivations verified"))
    equations = {e.derivation.name: e.derivation.equation for e in entries}
    print(report_table(reports, equations))
    print()
    for report in reports:
        for message in report.failures():
            print(message)
    print(summary(reports))
    return reports


def _build(arguments: argparse.Namespace) -> int:
    from pgsym import codegen, publish

    entries = catalog.discover(arguments.package)
    out = arguments.out or catalog.package_directory(arguments.package) / "generated"
    reports = _verify_and_print(entries, arguments.time_limit)
    document = assemble(entries, reports, package=arguments.package)
    figures = not arguments.no_figures
    if figures:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            print("pgsym: not drawing the figures: matplotlib is not installed; "
                  "pip install 'pgsym[plots]'", file=sys.stderr)
            figures = False
    changed = publish.write_document(document, out, figures=figures, progress=_status)
    print(f"document of {len(entries)} derivations in {out}: "
          f"{len(changed)} file{'s' if len(changed) != 1 else ''} changed")
    if arguments.pdf:
        try:
            print(f"PDF: {publish.compile_pdf(out / 'notes.tex', progress=_status)}")
        except publish.PublishError as error:
            print(f"pgsym: error: {error}", file=sys.stderr)
            return 1
    if not document.ok:
        print("pgsym: not regenerating the gradient library: some derivations do not verify",
              file=sys.stderr)
        return 1
    if arguments.package != "derivations":
        return 0
    try:
        target = arguments.kernels or codegen.KERNELS_PATH
        changed_kernels = codegen.write_kernels(target, verified={r.derivation for r in reports})
    except codegen.BuildError as error:
        print(f"pgsym: error: {error}", file=sys.stderr)
        return 1
    print(f"gradient kernels {'rewritten' if changed_kernels else 'up to date'}: {target}")
    return 0


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
    [entry] = catalog.find(arguments.package, [arguments.name])
    report = verify(entry.derivation) if arguments.verdicts else None
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
