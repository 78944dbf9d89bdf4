"""The one runner: ``mechsim run | sweep | audit | plot | compare | report | list | describe``.

User errors (bad scenario, bad override, unknown id, missing results) print one
``mechsim: error: ...`` line and exit with status 2, without a traceback.
An interrupted run (Ctrl-C or SIGTERM) writes what it finished and exits with status 130.

Results (paths written, summary tables) go to stdout; messages go through ``logging``
(logger ``mechsim``) to stderr: ``-v`` adds debug messages and lets Ray's and Flower's
own warnings through, ``-q`` keeps only warnings and errors. By default Ray's and
Flower's log lines and Python warnings are kept out of the output.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from mechsim.errors import MechsimError

__all__ = ["main", "build_parser"]

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130
log = logging.getLogger("mechsim")
#: third-party loggers kept at ERROR unless -v
NOISY = ("ray", "flwr", "filelock", "urllib3", "matplotlib", "numexpr", "torch")


def configure_logging(verbose: int = 0, quiet: bool = False) -> None:
    """``mechsim`` messages to stderr at INFO (``-v``: DEBUG, ``-q``: WARNING); third parties quiet unless ``-v``."""
    level = logging.WARNING if quiet else (logging.DEBUG if verbose else logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("mechsim: %(message)s" if not verbose else "%(name)s %(levelname)s: %(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(level)
    log.propagate = False
    logging.captureWarnings(True)
    pyw = logging.getLogger("py.warnings")
    pyw.handlers[:] = [handler]
    pyw.propagate = False
    if verbose:
        for name in NOISY:
            logging.getLogger(name).setLevel(logging.DEBUG if verbose > 1 else logging.INFO)
        return
    for name in NOISY:
        logging.getLogger(name).setLevel(logging.ERROR)
    os.environ.setdefault("RAY_DEDUP_LOGS", "1")
    os.environ.setdefault("RAY_DISABLE_IMPORT_WARNING", "1")
    os.environ.setdefault("FLWR_TELEMETRY_ENABLED", "0")
    for mod in (r"ray(\..*)?", r"flwr(\..*)?", r"torch(\..*)?"):
        warnings.filterwarnings("ignore", module=mod)


def _progress_flag(args: argparse.Namespace) -> bool | None:
    return None if args.progress is None else args.progress


def cmd_run(args: argparse.Namespace) -> int:
    from mechsim.core.results import find_complete_run
    from mechsim.core.runner import run_scenario
    from mechsim.core.scenario import load_scenario

    scenario = load_scenario(args.scenario, args.set or [], seed=args.seed)
    if not args.force:
        found = find_complete_run(args.out, scenario)
        if found is not None:
            from mechsim.core.runner import load_results

            log.info(
                "reusing %s: an identical, complete run (same resolved scenario and seed) is already there; "
                "pass --force to compute it again", found
            )
            print(f"reusing {found} (identical, complete run)")
            _print_summary(load_results(found))
            return 0
    log.debug("running %s (seed %s)", scenario.name, scenario.seed)
    results = run_scenario(scenario, progress=_progress_flag(args), argv=["mechsim", *sys.argv[1:]])
    # An interrupted run may lack tables its plots need: write the rows, skip the figures.
    path = results.write(args.out, plot=results.complete and not args.no_plot)
    if not results.complete:
        log.warning(
            "interrupted: wrote the finished part to %s (a complete run of the same scenario and seed is never replaced by it)",
            path,
        )
        return EXIT_INTERRUPTED
    print(f"wrote {path}")
    _print_summary(results)
    return 0


def _print_summary(results) -> None:
    """The grouped summary table (variants as columns, 95% CIs), or the flattened sweep metrics."""
    from mechsim.core.family import get_family
    from mechsim.metrics.display import format_summary

    table = format_summary(results.summary)
    if table:
        print(table)
        return
    metrics_of = get_family(results.scenario.family).sweep_metrics
    if metrics_of is None:
        return
    metrics = metrics_of(results.summary)
    width = max((len(k) for k in metrics), default=0)
    for key, value in metrics.items():
        print(f"  {key:<{width}}  {value:.6g}")


def cmd_sweep(args: argparse.Namespace) -> int:
    from mechsim.sweep import SweepInterrupted, run_sweep

    try:
        res = run_sweep(
            args.scenario,
            args.grid,
            seeds=args.seeds,
            workers=args.workers,
            backend=args.backend,
            out=args.out,
            overrides=args.set or [],
            progress=_progress_flag(args),
            plot=not args.no_plot,
        )
    except SweepInterrupted as exc:
        print(f"mechsim: {exc}", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(res.describe())
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from mechsim.core.family import families, get_family
    from mechsim.core.registry import kinds, specs
    from mechsim.core.scenario import load_scenario, shipped_scenarios

    print("components (by kind):")
    all_specs = list(specs())
    for kind in kinds():
        print(f"  [{kind}]")
        for spec in all_specs:
            if spec.kind == kind:
                print(f"    {spec.id:<40} {spec.summary}")
    print("families:")
    for name in families():
        print(f"    {name:<40} {get_family(name).doc}")
    print("shipped scenarios:")
    for name in shipped_scenarios():
        try:
            desc = load_scenario(name).description
        except MechsimError as exc:  # a broken shipped file is listed, not fatal
            desc = f"(invalid: {exc})"
        print(f"    {name:<40} {desc}")
    return 0


def scenario_keys_markdown() -> str:
    """The ``[scenario]`` keys and sections of every registered family, as Markdown (README reference)."""
    from mechsim.core.family import families, get_family
    from mechsim.core.scenario import _BASE_SETTINGS

    def dflt(v) -> str:
        return "required" if v is ... else f"`{v!r}`"

    lines = ["Keys every scenario has in `[scenario]`:", "", "| key | type | default |", "|---|---|---|"]
    for key, (constraint, default) in _BASE_SETTINGS.items():
        want = "a safe name (letters, digits, `.`, `_`, `-`)" if key == "name" else constraint.describe()
        lines.append(f"| `{key}` | {want} | {dflt(default)} |")
    for name in families():
        fam = get_family(name)
        lines += ["", f"**{name}** ({fam.doc})", "", "| key | type | default | meaning |", "|---|---|---|---|"]
        for key, st in fam.settings.items():
            lines.append(f"| `scenario.{key}` | {st.constraint.describe()} | {dflt(st.default)} | {st.doc} |")
        for sec_name, sec in fam.sections.items():
            shape = f"`[{sec_name}.<label>]` (one or more)" if sec.many else f"`[{sec_name}]`"
            need = "required" if sec.required else "optional"
            lines.append(f"| {shape} | a `{sec.kind}` component: `id` + its parameters | {need} | {sec.doc} |")
    return "\n".join(lines).replace("\u03c8", "psi") + "\n"


def cmd_keys(args: argparse.Namespace) -> int:
    print(scenario_keys_markdown(), end="")
    return 0


def cmd_describe(args: argparse.Namespace) -> int:
    import inspect

    from mechsim.core.mechanism import Mechanism
    from mechsim.core.registry import get

    spec = get(args.id)
    print(f"{spec.id}  (kind {spec.kind})")
    doc = inspect.cleandoc(spec.factory.__doc__ or "")
    if doc:
        print()
        print(doc)
    print()
    print("parameters:")
    params = spec.params
    if not params:
        print("    (none)")
    for name, (constraint, default) in params.items():
        want = constraint.describe() if constraint is not None else "any value"
        dflt = "required" if default is inspect.Parameter.empty else f"default {default!r}"
        print(f"    {name:<24} {want}; {dflt}")
    if isinstance(spec.factory, type) and issubclass(spec.factory, Mechanism):
        print()
        print(f"claims: {spec.factory.claims.describe()}")
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    """A run folder, a scenario folder (its latest run) or a sweep folder."""
    folder = Path(args.results_dir)
    if (folder / "sweep.json").is_file():
        from mechsim.sweep.runner import load_sweep, plot_sweep_folder, _axes_from_manifest
        from mechsim.sweep.store import SweepFolder

        sweep = SweepFolder(folder)
        manifest = sweep.read_manifest()
        try:
            table = load_sweep(folder, partial=True)
            axes = _axes_from_manifest(manifest)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            from mechsim.errors import ResultsError

            raise ResultsError(f"{folder}: the sweep manifest is damaged ({type(exc).__name__}: {exc})") from None
        paths = plot_sweep_folder(sweep, table, axes, title=str(manifest.get("scenario_name", "")))
    else:
        from mechsim.core.runner import load_results

        results = load_results(folder)
        if results.path != folder:
            log.info("%s holds runs; plotting the latest complete one, %s", folder, results.path)
        paths = results.plot()
    for p in paths:
        print(f"wrote {p}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from mechsim.core.runner import load_results
    from mechsim.metrics.display import format_grid
    from mechsim.plots.report import compare_rows, plot_compare

    named = []
    for run in args.runs:
        res = load_results(run)
        name = f"{res.scenario.name}@{res.path.name}" if res.path is not None else res.scenario.name
        named.append((name, res))
    print(format_grid(*compare_rows(named)))
    if args.out:
        path = plot_compare(named, Path(args.out) / "compare.png")
        print(f"wrote {path}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from mechsim.core.runner import load_results
    from mechsim.plots.report import write_report

    res = load_results(args.results_dir)
    path = write_report(res, args.output)
    print(f"wrote {path}")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from mechsim.audit import audit_scenario

    report = audit_scenario(
        args.scenario,
        agents=args.agent or None,
        overrides=args.set or [],
        seed=args.seed,
        out=args.out,
        progress=_progress_flag(args),
    )
    print(report.format())
    if report.path is not None:
        print(f"wrote {report.path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mechsim", description="Simulate incentive mechanisms in learning systems.")
    p.add_argument("--version", action="version", version=f"mechsim {_version()}")
    p.add_argument(
        "--import", dest="imports", action="append", default=[], metavar="MODULE",
        help="import a plugin module first (it registers components or families); repeatable",
    )
    p.add_argument("-v", "--verbose", action="count", default=0, help="more messages (-vv: third-party debug too)")
    p.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors on stderr")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(sp: argparse.ArgumentParser, *, seed: bool = True) -> None:
        sp.add_argument("scenario", metavar="SCENARIO", help="a scenario file or a shipped name such as bandits/classic")
        if seed:
            sp.add_argument("--seed", type=int, default=None, help="root seed (overrides scenario.seed)")
        sp.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a dotted key, e.g. policies.ucb1.alpha=0.5")
        g = sp.add_mutually_exclusive_group()
        g.add_argument("--progress", dest="progress", action="store_true", default=None, help="always show progress bars")
        g.add_argument("--no-progress", dest="progress", action="store_false", help="never show progress bars")

    r = sub.add_parser("run", help="run one scenario and write a results folder")
    common(r)
    r.add_argument("--out", default="results", help="results root (default: results)")
    r.add_argument("--no-plot", action="store_true", help="skip the figures")
    r.add_argument("--force", action="store_true", help="recompute even when an identical complete run is in --out")
    r.set_defaults(func=cmd_run)

    s = sub.add_parser("sweep", help="run a grid of scenario variants over several seeds")
    common(s, seed=False)
    s.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="KEY=V1,V2,...",
        help="values of one dotted key; quote list values in the shell: 'KEY=[a,b];[c,d]' (omit for a seed-only sweep)",
    )
    s.add_argument("--seeds", type=int, default=1, help="seeds per cell (scenario.seed + 0..N-1)")
    s.add_argument("--workers", type=int, default=1, help="parallel workers")
    s.add_argument("--backend", default="local", help="local (processes, default) or ray")
    s.add_argument("--out", default=None, help="sweep folder (default: results/sweeps/<scenario-name>)")
    s.add_argument("--no-plot", action="store_true", help="skip the figures")
    s.set_defaults(func=cmd_sweep)

    a = sub.add_parser("audit", help="measure agents' gains from deviating (incentive compatibility)")
    common(a)
    a.add_argument("--agent", action="append", help="agent to audit (repeatable; default: every agent)")
    a.add_argument("--out", default="results", help="results root")
    a.set_defaults(func=cmd_audit)

    pl = sub.add_parser("plot", help="redraw the figures of a run folder, a scenario folder (latest run) or a sweep folder")
    pl.add_argument("results_dir", metavar="RESULTS_DIR")
    pl.set_defaults(func=cmd_plot)

    cp = sub.add_parser("compare", help="put runs side by side: a grouped table (and a figure with --out)")
    cp.add_argument("runs", nargs="+", metavar="RUN", help="run folders, or scenario folders (their latest run)")
    cp.add_argument("--out", default=None, help="folder for compare.png")
    cp.set_defaults(func=cmd_compare)

    rp = sub.add_parser("report", help="write one self-contained HTML page (summary, tables, figures) for a run")
    rp.add_argument("results_dir", metavar="RUN")
    rp.add_argument("-o", "--output", default=None, help="the HTML file (default: RUN/report.html)")
    rp.set_defaults(func=cmd_report)

    ls = sub.add_parser("list", help="list registered components (by kind), families and shipped scenarios")
    ls.set_defaults(func=cmd_list)

    k = sub.add_parser("keys", help="print every family's scenario keys and sections (Markdown, as in the README)")
    k.set_defaults(func=cmd_keys)

    d = sub.add_parser("describe", help="print a component's parameters, constraints, defaults and claims")
    d.add_argument("id", metavar="ID", help="a component id such as collab/fair-equal-v1")
    d.set_defaults(func=cmd_describe)
    return p


def _hoist_global_flags(argv: list[str]) -> list[str]:
    """Let ``-v`` / ``-q`` go anywhere on the line (argparse wants them before the command)."""
    flags = [a for a in argv if a in ("-v", "-vv", "--verbose", "-q", "--quiet")]
    rest = [a for a in argv if a not in flags]
    return flags + rest


def _version() -> str:
    from mechsim import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_hoist_global_flags(sys.argv[1:] if argv is None else list(argv)))
    configure_logging(args.verbose, args.quiet)
    try:
        from mechsim.core.registry import load_module

        for mod in args.imports:
            load_module(mod)
        return int(args.func(args) or 0)
    except MechsimError as exc:
        print(f"mechsim: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("mechsim: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # output piped into `head` and closed early
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
