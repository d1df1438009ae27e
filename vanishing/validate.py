"""``vanishing validate IMPL``: the command-line face of the conformance runner.

A subcommand module of ``vanishing/cli.py`` (``add_arguments``, ``main``). Exit status:
0 when every adapter conforms, 1 on a non-conformance, 2 for a broken adapter or a
usage error (always one line on stderr, never a traceback).
"""

import json
import platform
import sys
import time
from importlib import metadata

__all__ = ["add_arguments", "main"]


def add_arguments(p):
    """The arguments of ``vanishing validate`` on the argparse parser ``p``."""
    p.description = (
        "Check an RNN/LSTM/GRU cell or a gradient-clipping function against vanishing's reference models: "
        "forward values, gradients (against autograd and finite differences), the direct-path Jacobian, gate "
        "ranges, the parameter count, clipping. A failure says what differs and where, shows a shrunk "
        "counterexample with a reproduce snippet, and names the known bug that reproduces it. "
        "Exit 0: everything conforms; 1: a non-conformance; 2: a broken adapter or a usage error. "
        "The adapter protocol: " + protocol_reference() + ".")
    p.epilog = _plugin_note()
    p.add_argument("impl", metavar="IMPL", nargs="?", help="a built-in target: torch, keras, flax, equinox, haiku, mlx or onnx "
                   "(each needs its optional extra), or package.module:factory (a function returning one adapter or a list of them)")
    p.add_argument("--matrix", action="store_true", help="run every installed built-in target and write the conformance "
                   "matrix (framework x cell x dtype x check, with each cell's conventions and the framework versions)")
    p.add_argument("--out", metavar="FILE", help="with --matrix: write FILE.md and FILE.json (default: print the Markdown)")
    p.add_argument("--json", metavar="PATH", help="write machine-readable results to the file PATH (its directory must exist)")
    p.add_argument("--profile", default=None, help="Hypothesis profile: ci (default, derandomized), dev or thorough")
    p.add_argument("--seed", type=int, default=None, help="Hypothesis seed for non-derandomized profiles")
    p.add_argument("--only", nargs="+", metavar="PATTERN",
                   help="run only the checks matching ADAPTER/CHECK, ADAPTER or CHECK (fnmatch patterns or substrings of "
                        "the adapter name), e.g. --only lstm 'torch.nn.GRUCell[float32]/gradients'; IMPL may come before or after")
    p.add_argument("--call-timeout", metavar="SECONDS", type=_seconds, default=None,
                   help="time limit of each call to an adapter (default 30; 0: none). A call that exceeds it is reported "
                        "(which call, on which case) and the adapter counts as broken (exit 2); its remaining checks are "
                        "not run")
    p.add_argument("--quiet", action="store_true", help="print only failures and the summary")


def _plugin_note():
    """Where the pytest plugin runs: the pytest of this environment (another's does not know --vanishing-impl)."""
    import importlib.util
    where = (f"pytest in this environment ({sys.prefix})" if importlib.util.find_spec("pytest") else
             f"pytest installed in this environment ({sys.prefix}), where it is missing: {sys.executable} -m pip install pytest")
    return (f"The same checks in your test suite: {sys.executable} -m pytest --vanishing-impl=module:factory. "
            f"This needs {where}; a pytest from another environment answers "
            "'unrecognized arguments: --vanishing-impl'.")


def _seconds(text):
    """--call-timeout's value: a finite number of seconds >= 0."""
    import argparse
    import math
    try:
        v = float(text)
    except ValueError:
        v = math.nan
    if not (math.isfinite(v) and v >= 0):
        raise argparse.ArgumentTypeError(f"expected a number of seconds >= 0 (0: no limit), got {text!r}")
    return v


def _target_after_only(args):
    """``validate --only X TARGET``: ``--only`` takes every value up to the next option, the target too; give it back.

    Only when no target was named otherwise and the last value names one (a built-in target or
    module:factory), so a command that parsed before means what it meant."""
    from vanishing.checks.conformance.loader import BUILTIN_TARGETS
    only = getattr(args, "only", None)
    if args.impl or getattr(args, "matrix", False) or not only or len(only) < 2:
        return
    module, _, factory = only[-1].rpartition(":")
    if only[-1] in BUILTIN_TARGETS or (module and factory.isidentifier()):
        args.impl, args.only = only[-1], only[:-1]


def protocol_reference():
    """Where the user reads the adapter protocol (a path or address that exists for them)."""
    import vanishing
    return vanishing.documentation("VALIDATE.md", module="vanishing.checks.conformance.protocol")


def _versions():
    out = {"python": platform.python_version()}
    for dist in ("vanishing", "numpy", "scipy", "autograd", "hypothesis", "torch"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def _fail(msg):
    print(f"vanishing validate: {' '.join(str(msg).split())}", file=sys.stderr)
    return 2


def main(args):
    """Run ``vanishing validate`` for parsed ``args``; returns the exit status.

    Ctrl-C (KeyboardInterrupt, not an Exception) goes up to ``vanishing.cli.main``: "interrupted", exit 130,
    as for every command; exit 2 would say the adapter is broken."""
    try:
        return _run(args)
    except Exception as e:  # a face never shows a bare traceback
        return _fail(f"{type(e).__name__}: {e}")


def _run(args):
    from vanishing.checks import profiles
    from vanishing.checks.conformance.loader import load
    from vanishing.checks.conformance.protocol import AdapterError, describe
    from vanishing.checks.conformance.runner import NOT_APPLICABLE, validate_adapter
    from vanishing.cli import UsageError, output_file

    _target_after_only(args)
    try:
        profile, seed = profiles.resolve(args.profile, args.seed)
        json_path = output_file(args.json, "--json") if args.json else None
        if getattr(args, "matrix", False):
            if args.impl:
                raise UsageError(f"--matrix runs every installed built-in target; drop {args.impl!r}")
            out = output_file(args.out, "--out") if args.out else None
        elif not args.impl:
            raise UsageError("name what to validate (torch, keras, flax, equinox, haiku, mlx, onnx, or module:factory), or use --matrix")
        elif getattr(args, "out", None):
            raise UsageError("--out goes with --matrix (use --json for one target's results)")
    except (profiles.ProfileError, UsageError) as e:
        return _fail(str(e).replace("a seed has no effect", "--seed has no effect"))
    if getattr(args, "matrix", False):
        from vanishing.checks.conformance import matrix
        return matrix.main(out=str(out) if out else None, profile=profile, seed=seed)
    try:
        infos = load(args.impl)
    except AdapterError as e:
        return _fail(e)
    t0 = time.perf_counter()
    reports = []
    quiet = getattr(args, "quiet", False)
    only = getattr(args, "only", None)

    def progress(info, r):
        if not quiet or r.status not in ("pass", NOT_APPLICABLE):
            print(r.text() if r.status != "pass" or r.notes else f"PASS  {info.name} / {r.check}  ({r.examples} examples, {r.seconds:.2f}s)",
                  flush=True)
    for info in infos:
        if not quiet:
            print(f"\n== {describe(info)}", flush=True)
        rep = validate_adapter(info, profile=profile, seed=seed, only=only, progress=progress,
                               call_timeout=getattr(args, "call_timeout", None))
        if rep.broken:
            print(f"vanishing validate: broken adapter: {rep.broken}", file=sys.stderr, flush=True)
        for r in rep.results:
            if r.status == "error":   # (a "broken" result is the rep.broken line above)
                print(f"vanishing validate: {r.adapter}/{r.check}: {r.lines[0]}", file=sys.stderr, flush=True)
        reports.append(rep)
    total = time.perf_counter() - t0
    na = [r for rep in reports for r in rep.results if r.status == NOT_APPLICABLE]   # neither passed nor failed
    ran = [r for rep in reports for r in rep.results if r.status != NOT_APPLICABLE]
    if only and not ran and not na and not any(rep.broken for rep in reports):
        return _fail(f"--only {' '.join(only)} matches no check of {', '.join(i.name for i in infos)}")
    broken = [rep for rep in reports if rep.broken]
    # the reference cross-check failed (crosscheck.py): vanishing's bug, so the adapter is not blamed
    unchecked = [rep for rep in reports if not rep.broken and any(r.check == "reference" and r.status == "error" for r in rep.results)]
    failing = [rep for rep in reports if not rep.broken and not rep.ok and rep not in unchecked]
    unrun = [rep for rep in reports if not rep.broken and not rep.results]
    conform = len(reports) - len(broken) - len(failing) - len(unrun) - len(unchecked)
    print(f"\n{len(reports)} adapter(s): {conform} conform, {len(failing)} do not, {len(broken)} broken"
          + (f", {len(unchecked)} not validated (vanishing's reference is wrong)" if unchecked else "")
          + (f", {len(unrun)} not selected by --only" if unrun else "")
          + f"; {sum(r.status == 'pass' for r in ran)} of {len(ran)} checks pass"
          + (f", {len(na)} do not apply (forward-only adapters: no gradients)" if na else "") + ". "
          f"profile={profile} seed={seed if seed is not None else 'derandomized'} time={total:.1f}s")
    for rep in failing:
        bad = [r.check for r in rep.results if r.status not in ("pass", NOT_APPLICABLE)]
        print(f"  does not conform: {rep.info.name}: {', '.join(bad)}")
    for rep in broken:
        print(f"  broken: {rep.info.name}: {rep.broken}")
    for rep in unchecked:
        print(f"  not validated: {rep.info.name}: vanishing's own reference is wrong (a bug in vanishing, please report it)")
    if json_path:
        doc = {"tool": "vanishing validate", "impl": args.impl, "command": " ".join(["vanishing"] + sys.argv[1:]),
               "profile": profile, "hypothesis_seed": seed if seed is not None else "derandomized",
               "versions": _versions(), "seconds": round(total, 3),
               "summary": {"adapters": len(reports), "conform": conform,
                           "do_not_conform": len(failing), "broken": len(broken), "not_selected": len(unrun),
                           "checks": len(ran), "checks_passed": sum(r.status == "pass" for r in ran),
                           "checks_not_applicable": len(na)},
               "adapters": [rep.to_json() for rep in reports]}
        try:
            json_path.write_text(json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8")
        except OSError as e:
            return _fail(f"could not write {json_path} ({e}); the results above stand")
        print(f"wrote {json_path}")
    if broken or any(r.status == "error" for r in ran):
        return 2
    return 1 if failing else 0
