"""The one runner: ``mechsim run | sweep | audit | plot | list | describe``.

User errors (bad scenario, bad override, unknown id, missing results) print one
``mechsim: error: ...`` line and exit with status 2, without a traceback.
An interrupted run writes what it finished and exits with status 130.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from mechsim.errors import MechsimError

__all__ = ["main", "build_parser"]

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130


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

            print(f"reusing {found}: an identical, complete run (same resolved scenario and seed) is already there; "
                  "pass --force to compute it again")
            _print_summary(load_results(found))
            return 0
    results = run_scenario(scenario, progress=_progress_flag(args), argv=["mechsim", *sys.argv[1:]])
    # An interrupted run may lack tables its plots need: write the rows, skip the figures.
    path = results.write(args.out, plot=results.complete and not args.no_plot)
    if not results.complete:
        print(f"interrupted: wrote the finished part to {path} (a complete run of the same scenario and seed is never replaced by it)", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(f"wrote {path}")
    _print_summary(results)
    return 0


def _print_summary(results) -> None:
    """Headline metrics: the family's flattened sweep metrics, one per line."""
    from mechsim.core.family import get_family

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
    from mechsim.core.runner import load_results

    results = load_results(args.results_dir)
    paths = results.plot()
    for p in paths:
        print(f"wrote {p}")
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

    pl = sub.add_parser("plot", help="redraw the figures of a results folder")
    pl.add_argument("results_dir", metavar="RESULTS_DIR")
    pl.set_defaults(func=cmd_plot)

    ls = sub.add_parser("list", help="list registered components (by kind), families and shipped scenarios")
    ls.set_defaults(func=cmd_list)

    d = sub.add_parser("describe", help="print a component's parameters, constraints, defaults and claims")
    d.add_argument("id", metavar="ID", help="a component id such as collab/fair-equal-v1")
    d.set_defaults(func=cmd_describe)
    return p


def _version() -> str:
    from mechsim import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
