"""The console script ``vanishing`` (also ``python -m vanishing``).

Faces only: every command calls the one runner in ``vanishing.checks.runner``.
"""

import argparse
import sys
import textwrap

import vanishing

__all__ = ["main"]


def _parser():
    p = argparse.ArgumentParser(
        prog="vanishing",
        description="Property-based verification of the mathematics of gradient flow: vanishing and "
                    "exploding gradients in deep nets, RNNs, LSTMs and GRUs.")
    p.add_argument("--version", action="version", version=f"vanishing {vanishing.__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    v = sub.add_parser("verify", help="check every claim of the catalogue and print its verdict",
                       description="Run every claim's check (the same code path as pytest) and compare what it "
                                   "observes with the recorded verdict. Exit 1 if any claim contradicts its verdict.")
    v.add_argument("--only", nargs="+", metavar="ID", help="run only these claim IDs")
    v.add_argument("--profile", default=None, help="Hypothesis profile: ci (default), dev or thorough")
    v.add_argument("--seed", type=int, default=None, help="Hypothesis seed for non-derandomized profiles")
    v.add_argument("--json", metavar="PATH", help="write machine-readable results to PATH")
    v.add_argument("--report", metavar="DIR", help="write the certificate (Markdown, HTML, JSON) into DIR")
    v.add_argument("--quiet", action="store_true", help="no progress lines")

    ls = sub.add_parser("list", help="list the claims: ID, verdict, title")
    ls.add_argument("--verdict", choices=["verified", "corrected", "refuted"], help="only claims with this verdict")

    sh = sub.add_parser("show", help="show one claim: statement, sources, verdict, and where its check lives")
    sh.add_argument("id", metavar="ID")

    from vanishing.checks.conformance import cli as validate_cli
    validate_cli.add_parser(sub)
    return p


def _fmt_ratio(o):
    if o.tolerance == 0 and o.max_error == 0:
        return "—"
    return f"{o.max_error:.1e}/{o.tolerance:.1e}"


def _table(outcomes):
    head = ("ID", "verdict", "outcome", "examples", "max err/tol", "time")
    rows = [(o.claim.id, o.claim.verdict, o.outcome.upper() if not o.consistent else o.outcome, str(o.examples),
             _fmt_ratio(o), f"{o.seconds:.2f}s") for o in outcomes]
    w = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
    line = lambda r: "  ".join(c.ljust(w[i]) if i < 3 else c.rjust(w[i]) for i, c in enumerate(r))  # noqa: E731
    return "\n".join([line(head), "  ".join("-" * x for x in w)] + [line(r) for r in rows])


def _verify(args):
    from hypothesis import settings

    from vanishing import report
    from vanishing.checks import profiles, runner

    profile = args.profile or profiles.DEFAULT_PROFILE
    if profile not in profiles.PROFILES:
        print(f"vanishing verify: unknown profile {profile!r}; choose from {', '.join(profiles.PROFILES)}", file=sys.stderr)
        return 2
    settings.load_profile(profile)
    if args.seed is not None and settings.get_profile(profile).derandomize:
        print(f"vanishing verify: --seed has no effect with the derandomized profile {profile!r}; "
              "use --profile dev or thorough to run with a seed", file=sys.stderr)
        return 2
    try:
        cat = runner.catalogue()
        ids = runner.resolve_ids(args.only, cat) if args.only else list(cat)
    except runner.UnknownClaim as e:
        print(f"vanishing verify: {e}", file=sys.stderr)
        return 2
    seed = args.seed
    if seed is None and not settings.get_profile(profile).derandomize:
        import random
        seed = random.SystemRandom().getrandbits(32)

    def progress(i, n, outcome, cid):
        if args.quiet:
            return
        if outcome is None:
            print(f"[{i + 1:>3}/{n}] {cid} ...", file=sys.stderr, flush=True)
        elif not outcome.consistent:
            print(textwrap.indent(outcome.summary(), "      "), file=sys.stderr, flush=True)

    outcomes = runner.run_all(ids, profile=profile, seed=seed, progress=progress)
    print(_table(outcomes))
    n_fail = sum(not o.consistent for o in outcomes)
    total = sum(o.seconds for o in outcomes)
    counts = {v: sum(o.claim.verdict == v for o in outcomes) for v in ("verified", "corrected", "refuted")}
    print(f"\n{len(outcomes)} claims ({counts['verified']} verified, {counts['corrected']} corrected, {counts['refuted']} refuted): "
          f"{len(outcomes) - n_fail} agree with their verdict, {n_fail} contradict it. "
          f"profile={profile} seed={seed if seed is not None else 'derandomized'} time={total:.1f}s")
    for o in outcomes:
        if not o.consistent:
            print("\n" + o.summary())
    if args.json or args.report:
        doc = report.to_json(outcomes, profile, seed if seed is not None else "derandomized")
        try:
            if args.json:
                print(f"wrote {report.write_json(args.json, doc)}")
            if args.report:
                d = report.write_report(args.report, doc)
                print(f"wrote {d / 'certificate.md'}, {d / 'certificate.html'}, {d / 'certificate.json'}")
        except OSError as e:
            print(f"vanishing verify: could not write the results ({e}); the verdicts above stand "
                  f"({n_fail} contradiction(s))", file=sys.stderr)
            return 2
    return 1 if n_fail else 0


def _list(args):
    from vanishing.checks import runner
    for c in runner.catalogue().values():
        if args.verdict and c.verdict != args.verdict:
            continue
        print(f"{c.id:<40} {c.verdict:<10} {c.title}")
    return 0


def _show(args):
    from vanishing.checks import runner
    from vanishing.checks.registry import REGISTRY
    from vanishing.report import citation_id
    cat = runner.catalogue()
    try:
        cid = runner.resolve_ids([args.id], cat)[0]
    except runner.UnknownClaim as e:
        print(f"vanishing show: {e}", file=sys.stderr)
        return 2
    c = cat[cid]
    print(f"{c.id}: {c.title}\ncite as {citation_id(c.id)}\nverdict: {c.verdict}\n\nstatement:\n  {c.statement}")
    if c.original:
        print(f"\nas the source states it:\n  {c.original}")
    if c.counterexample:
        print(f"\ncounterexample:\n  {c.counterexample}")
    if c.hypotheses:
        print("\nhypotheses:\n" + "\n".join(f"  - {h}" for h in c.hypotheses))
    print("\nsources:\n" + "\n".join(f"  - {s.ref}{' (' + s.where + ')' if s.where else ''}: {s.quote}" for s in c.sources))
    print(f"\nspec record: {c.file} record #{c.index}\ncheck: {REGISTRY[c.id].where if c.id in REGISTRY else '(none)'}")
    print(f"oracles: {', '.join(c.oracles)}")
    if c.notes:
        print(f"\nnotes:\n  {c.notes}")
    return 0


def main(argv=None):
    args = _parser().parse_args(argv)
    if args.command is None:
        _parser().print_help()
        return 0
    try:
        if args.command == "verify":
            return _verify(args)
        if args.command == "list":
            return _list(args)
        if args.command == "show":
            return _show(args)
        if args.command == "validate":
            from vanishing.checks.conformance import cli as validate_cli
            return validate_cli.run(args)
    except BrokenPipeError:   # `vanishing show ID | head`: the reader left; nothing more to say
        sys.stderr.close()
        return 0
    except Exception as e:  # a face never shows a bare traceback
        from vanishing.spec import SpecError
        kind = "spec error" if isinstance(e, SpecError) else type(e).__name__
        print(f"vanishing {args.command}: {kind}: {e}", file=sys.stderr)
        return 2
    return 0
