"""The console script ``vanishing`` (also ``python -m vanishing``).

Faces only: every command calls the one runner in ``vanishing.checks.runner`` (or the
conformance runner). Argument parsing, output files and exit codes live here and in the
subcommand modules; exit status 0 ok, 1 a claim or check contradicted, 2 a usage error
or broken input (one line on stderr).

A subcommand is a module (or an object) with ``add_arguments(parser)`` and
``main(args) -> exit status``, listed in :data:`COMMANDS`. It is imported only when its
command runs (or its ``--help`` is asked for), so ``vanishing --version`` and
``vanishing --help`` import nothing heavy. Adding one is one line in :data:`COMMANDS`.
"""

import argparse
import os
import sys

import vanishing

__all__ = ["COMMANDS", "UsageError", "main", "output_dir", "output_file"]


class UsageError(Exception):
    """Bad command-line input: printed as one line, exit status 2."""


# --- output paths: checked before any work ------------------------------------------------------

def output_file(path, option="--json"):
    """Check that ``path`` can be written as a file, before any work; returns it as a Path.

    An existing directory, a missing parent directory, a parent that is a file, or a file that
    cannot be created there (no permission, a read-only or virtual file system such as /proc)
    is a :class:`UsageError`. Parent directories are never created.
    """
    from pathlib import Path
    p = Path(path)
    if p.is_dir():
        raise UsageError(f"{option} {path}: is a directory; give a file name, e.g. {p / 'results.json'}")
    parent = p.parent
    if not parent.exists():
        raise UsageError(f"{option} {path}: the directory {parent} does not exist (create it first)")
    if not parent.is_dir():
        raise UsageError(f"{option} {path}: {parent} is not a directory")
    _probe_file(p, option, path)
    return p


def output_dir(path, option="--report", parents=False):
    """Check that ``path`` is a writable directory or can be created as one, before any work.

    Its parent must exist, unless ``parents`` (the command creates the missing directories):
    then the nearest existing ancestor must be a writable directory.
    """
    from pathlib import Path
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise UsageError(f"{option} {path}: exists and is not a directory")
    if p.is_dir():
        for name in ("certificate.md", "certificate.html", "certificate.json"):
            if (p / name).is_dir():
                raise UsageError(f"{option} {path}: {name} in it is a directory")
            if (p / name).exists():
                _probe_file(p / name, option, path)
        _probe_dir(p, option, path)
        return p
    base = p.parent
    while parents and not base.exists() and base != base.parent:
        base = base.parent
    if not base.exists():
        raise UsageError(f"{option} {path}: the directory {p.parent} does not exist "
                         f"({option} creates {p.name}, not its parents)")
    if not base.is_dir():
        raise UsageError(f"{option} {path}: {base} is not a directory")
    _probe_dir(base, option, path, f"cannot create it in {base}")
    return p


def _probe_file(p, option, path):
    """Open ``p`` for appending (unchanged if it exists; created and removed if not): the write the command will do."""
    existed = p.exists()
    try:
        with open(p, "ab"):
            pass
        if not existed:
            p.unlink()
    except OSError as e:
        raise UsageError(f"{option} {path}: cannot be written ({e.strerror or e})") from None


def _probe_dir(d, option, path, what="cannot be written"):
    """Create and remove a probe file in the directory ``d``: os.access says yes on read-only and virtual file systems."""
    import tempfile
    try:
        fd, probe = tempfile.mkstemp(prefix=".vanishing-probe-", dir=d)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise UsageError(f"{option} {path}: {what} ({e.strerror or e})") from None


# --- what users read -------------------------------------------------------------------------------

def _unicode(text):
    """LaTeX in a claim's text, as Unicode for the terminal.

    THE ONE CALL SITE for ``vanishing.mathtext.to_unicode`` (written by another helper).
    Until that module is in the tree, the text is shown unchanged.
    """
    try:
        import vanishing.mathtext as mathtext
    except ModuleNotFoundError as e:
        if e.name != "vanishing.mathtext":
            raise
        return text
    return mathtext.to_unicode(text) if text else text


def source_location(fn):
    """``module.name (path:line)`` of a function, with the path of the file as installed.

    Relative to the working directory when the file is below it (a checkout), else absolute
    (an installed wheel: the file in site-packages), so the path always exists for the user.
    """
    code = getattr(fn, "__code__", None)
    mod = getattr(fn, "__module__", "?")
    if code is None:
        return mod
    return f"{mod}.{fn.__name__} ({_user_path(code.co_filename)}:{code.co_firstlineno})"


def _user_path(path):
    path = os.path.abspath(path)
    rel = os.path.relpath(path)
    return path if rel.startswith(os.pardir) else rel


# --- verify ----------------------------------------------------------------------------------------

class _Verify:
    """``vanishing verify``: run every claim's check and compare with its recorded verdict."""

    @staticmethod
    def add_arguments(v):
        v.description = ("Run every claim's check (the same code path as pytest) and compare what it observes with the "
                         "recorded verdict. Exit 1 if any claim contradicts its verdict, 2 on a usage error.")
        v.add_argument("--only", nargs="+", metavar="ID", help="run only these claim IDs")
        v.add_argument("--profile", default=None, help="Hypothesis profile: ci (default, derandomized), dev or thorough")
        v.add_argument("--seed", type=int, default=None, help="Hypothesis seed for the non-derandomized profiles")
        v.add_argument("--jobs", "-j", type=_positive_int, default=1, metavar="N",
                       help="run the claims in N processes (same verdicts and JSON as one; default 1)")
        v.add_argument("--json", metavar="PATH", help="write machine-readable results to the file PATH (its directory must exist)")
        v.add_argument("--report", metavar="DIR", help="write the certificate (Markdown, HTML, JSON) into DIR "
                                                       "(created if missing; its parent must exist)")
        v.add_argument("--experiments", metavar="DIR", help="with --report: embed the figures of a `vanishing experiments` "
                                                            "run (DIR holds its experiments.json) next to the claims they illustrate")
        v.add_argument("--quiet", action="store_true", help="no progress lines")
        v.add_argument("--check-certificate", metavar="FILE", help="re-run the claims of a certificate (its certificate.json, or "
                       "the --report directory) with its profile and seed, and say per claim whether its verdict and outcome "
                       "still agree and whether the package hash matches; exit 0 if all agree, 1 if not")

    @staticmethod
    def main(args):
        return _verify(args)


def _positive_int(s):
    try:
        n = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {s!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {n}")
    return n


def _fmt_ratio(o):
    """The worst error/tolerance ratio of the run (the certificate's number); — when nothing was compared."""
    if o.recorder.tolerance == 0 and o.recorder.max_error == 0:
        return "—"
    return f"{o.recorder.max_ratio:.2g}"


def _levels(o):
    """The levels of evidence that backed the verdict, strongest first; a level that failed is marked, one not run says so."""
    seen = []
    for e in o.evidence:
        tag = e["level"] if e["status"] == "passed" else f"({e['level']} not run)" if e["status"] == "not run" \
            else f"{e['level']}!{e['status']}"
        if tag not in seen:
            seen.append(tag)
    return "+".join(seen) or "-"


def _table(outcomes):
    head = ("ID", "verdict", "outcome", "evidence", "examples", "max err/tol", "time")
    rows = [(o.claim.id, o.claim.verdict, o.outcome.upper() if not o.consistent else o.outcome, _levels(o), str(o.examples),
             _fmt_ratio(o), f"{o.seconds:.2f}s") for o in outcomes]
    w = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
    line = lambda r: "  ".join(c.ljust(w[i]) if i < 4 else c.rjust(w[i]) for i, c in enumerate(r))  # noqa: E731
    return "\n".join([line(head), "  ".join("-" * x for x in w)] + [line(r) for r in rows])


def _check_certificate(args):
    """``verify --check-certificate FILE``: re-run a certificate's claims as it ran them and compare."""
    from hypothesis import settings

    from vanishing import provenance
    from vanishing.checks import profiles, runner
    given = [f for f in ("only", "profile", "seed", "json", "report", "experiments") if getattr(args, f) is not None]
    if given:
        raise UsageError(f"--check-certificate takes the claims, profile and seed from the certificate: drop --{given[0]}")
    try:
        doc = provenance.load_certificate(args.check_certificate)
        seed = doc.get("hypothesis_seed")
        profile, seed = profiles.resolve(doc.get("profile"), None if seed in (None, "derandomized") else seed)
    except (provenance.CertificateError, profiles.ProfileError) as e:
        raise UsageError(str(e)) from None
    settings.load_profile(profile)
    cat = runner.catalogue()
    ids = [c["id"] for c in doc["claims"] if c["id"] in cat]
    progress = None if args.quiet else (lambda i, n, o, cid: o is None and print(f"[{i + 1:>3}/{n}] {cid} ...", file=sys.stderr, flush=True))
    run = run_parallel if args.jobs > 1 and len(ids) > 1 else None
    outcomes = run(ids, profile, seed, args.jobs, progress) if run else runner.run_all(ids, profile=profile, seed=seed, progress=progress)
    rows, pkg = provenance.compare(doc, {o.claim.id: o for o in outcomes}, cat)
    w = max(len(r["id"]) for r in rows)
    for r in rows:
        (v0, v1), (o0, o1) = r["verdict"], r["outcome"]
        print(f"{r['id']:<{w}}  {'agrees' if r['agree'] else 'DISAGREES'}:  verdict {v0}" + (f" -> {v1}" if v1 != v0 else "")
              + f", outcome {o0}" + (f" -> {o1}" if o1 != o0 else ""))
    bad = sum(not r["agree"] for r in rows)
    print(f"\npackage hash: {'matches' if pkg['agree'] else 'DIFFERS'} (certificate {pkg['recorded']}, installed {pkg['now']})")
    print(f"{len(rows) - bad} of {len(rows)} claims agree with the certificate {args.check_certificate} "
          f"(profile={profile} seed={seed if seed is not None else 'derandomized'})")
    return 0 if not bad and pkg["agree"] else 1


def _verify(args):
    import textwrap

    from hypothesis import settings

    from vanishing import report
    from vanishing.checks import profiles, runner

    if args.check_certificate:
        return _check_certificate(args)

    try:
        profile, seed = profiles.resolve(args.profile, args.seed)
    except profiles.ProfileError as e:
        raise UsageError(str(e).replace("a seed has no effect", "--seed has no effect")) from None
    json_path = output_file(args.json, "--json") if args.json else None
    report_dir = output_dir(args.report, "--report") if args.report else None
    if args.experiments:
        from pathlib import Path
        if not args.report:
            raise UsageError("--experiments needs --report DIR (the figures go into the certificate)")
        src = Path(args.experiments)
        if not (src.is_file() or (src / report.FIGURES_JSON).is_file()):
            raise UsageError(f"--experiments {args.experiments}: no {report.FIGURES_JSON} there "
                             "(run `vanishing experiments --out DIR` first)")
    settings.load_profile(profile)
    try:
        cat = runner.catalogue()
        ids = runner.resolve_ids(args.only, cat) if args.only else list(cat)
    except runner.UnknownClaim as e:
        raise UsageError(str(e)) from None

    def progress(i, n, outcome, cid):
        if args.quiet:
            return
        if outcome is None:
            print(f"[{i + 1:>3}/{n}] {cid} ...", file=sys.stderr, flush=True)
            return
        if args.jobs > 1:   # claims finish out of order: one line each as they do
            print(f"[{i:>3}/{n}] {cid} {outcome.outcome}", file=sys.stderr, flush=True)
        if not outcome.consistent:
            print(textwrap.indent(outcome.summary(), "      "), file=sys.stderr, flush=True)

    if args.jobs > 1 and len(ids) > 1:
        outcomes = run_parallel(ids, profile, seed, args.jobs, progress)
    else:
        outcomes = runner.run_all(ids, profile=profile, seed=seed, progress=progress)
    print(_table(outcomes))
    n_fail = sum(not o.consistent for o in outcomes)
    total = sum(o.seconds for o in outcomes)
    counts = {v: sum(o.claim.verdict == v for o in outcomes) for v in ("verified", "corrected", "refuted")}
    print(f"\n{len(outcomes)} claims ({counts['verified']} verified, {counts['corrected']} corrected, {counts['refuted']} refuted): "
          f"{len(outcomes) - n_fail} agree with their verdict, {n_fail} contradict it. "
          f"profile={profile} seed={seed if seed is not None else 'derandomized'} time={total:.1f}s")
    fd_n, fd_cap = sum(o.recorder.fd_entries for o in outcomes), sum(o.recorder.fd_capped for o in outcomes)
    if fd_n:
        print(f"finite differences: {fd_n} entries compared; {fd_cap} could not be checked to 1e-6 relative "
              "(there a bug of that size would go unseen)")
    cut = [f"{o.claim.id} ({p.name})" for o in outcomes for p in o.properties if p.shrink_cut]
    if cut:
        print(f"{len(cut)} counterexample(s) not fully shrunk (the {profile} profile's shrink budget was reached): {', '.join(cut)}")
    for o in outcomes:
        if not o.consistent:
            print("\n" + o.summary())
    if json_path or report_dir:
        doc = report.to_json(outcomes, profile, seed if seed is not None else "derandomized")
        try:
            if json_path:
                print(f"wrote {report.write_json(json_path, doc)}")
            if report_dir:
                d = report.write_report(report_dir, doc, experiments=args.experiments)
                print(f"wrote {d / 'certificate.md'}, {d / 'certificate.html'}, {d / 'certificate.json'}")
        except (OSError, ValueError) as e:   # ValueError: a broken experiments.json
            print(f"vanishing verify: could not write the results ({e}); the verdicts above stand "
                  f"({n_fail} contradiction(s))", file=sys.stderr)
            return 2
    return 1 if n_fail else 0


def _run_one(cid, profile, seed):
    from vanishing.checks import runner
    return runner.run_claim(cid, profile=profile, seed=seed)


def _worker_init(storage):
    import signal

    from hypothesis import configuration
    # Ctrl-C reaches the whole process group: the parent alone answers it (stops the workers, says "interrupted", 130)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if storage is not None:
        configuration.set_hypothesis_home_dir(storage)
    from vanishing import report  # noqa: F401  (the serial run has it imported: same local modules, same draws)
    from vanishing.checks import runner
    runner.catalogue()


def run_parallel(ids, profile, seed, jobs, progress=None):
    """Run the claims ``ids`` in ``jobs`` processes; the outcomes in the order of ``ids``.

    Each process runs :func:`vanishing.checks.runner.run_claim` with the same profile and seed
    as a serial run, so verdicts and results agree with it. On Linux the workers are forked
    copies of this process: the same modules are imported, and
    Hypothesis draws constants from the imported local modules (docs/DESIGN.md), so a
    derandomized run draws the same examples as a serial one.
    """
    import concurrent.futures as cf
    import multiprocessing as mp

    from hypothesis import configuration

    # fork on Linux (the workers are copies of this process); elsewhere the platform's default start method,
    # and the initializer imports what a serial run has imported
    ctx = mp.get_context("fork") if sys.platform.startswith("linux") else None
    storage = configuration.storage_directory(intent_to_write=False).home_directory
    done = {}
    with cf.ProcessPoolExecutor(max_workers=min(jobs, len(ids)), mp_context=ctx,
                                initializer=_worker_init, initargs=(os.fspath(storage),)) as ex:
        futures = {ex.submit(_run_one, cid, profile, seed): cid for cid in ids}
        try:
            for f in cf.as_completed(futures):
                cid = futures[f]
                done[cid] = f.result()
                if progress:
                    progress(len(done), len(ids), done[cid], cid)
        except KeyboardInterrupt:   # stop the claims running now; cancelling a future would race the pool's own thread
            for proc in list((getattr(ex, "_processes", None) or {}).values()):
                proc.terminate()
            raise
        except BaseException:
            for f in futures:
                f.cancel()
            raise
    return [done[cid] for cid in ids]


# --- list, show ------------------------------------------------------------------------------------

class _List:
    """``vanishing list``."""

    @staticmethod
    def add_arguments(ls):
        ls.add_argument("--verdict", choices=["verified", "corrected", "refuted"], help="only claims with this verdict")
        from vanishing.checks.evidence import LEVELS
        ls.add_argument("--evidence", choices=list(LEVELS), metavar="LEVEL",
                        help="only claims backed by this level of evidence: " + ", ".join(LEVELS))

    @staticmethod
    def main(args):
        from vanishing.checks import evidence, runner
        for c in runner.catalogue().values():
            levels = evidence.levels(c.id) + ["property"]
            if (args.verdict and c.verdict != args.verdict) or (args.evidence and args.evidence not in levels):
                continue
            print(f"{c.id:<40} {c.verdict:<10} {'+'.join(levels):<24} {c.title}")
        return 0


class _Show:
    """``vanishing show ID``."""

    @staticmethod
    def add_arguments(sh):
        sh.description = ("Show one claim: its statement, the source's own words, its sources, verdict and "
                          "counterexample, and the files of its spec record and of its check as installed.")
        sh.add_argument("id", metavar="ID")
        sh.add_argument("--bibtex", action="store_true", help="print only the claim's BibTeX entry (with this package's hash and commit)")

    @staticmethod
    def main(args):
        from pathlib import Path

        from vanishing import spec
        from vanishing.checks import runner
        from vanishing.checks.registry import REGISTRY
        from vanishing.mathtext import title_text
        from vanishing.report import citation_id
        cat = runner.catalogue()
        try:
            cid = runner.resolve_ids([args.id], cat)[0]
        except runner.UnknownClaim as e:
            raise UsageError(str(e)) from None
        c = cat[cid]
        if args.bibtex:
            import datetime

            from vanishing import citation, provenance
            print(citation.bibtex(c.id, c.title, c.verdict, provenance.package(), provenance.git(),
                                  year=datetime.datetime.now(datetime.timezone.utc).year))
            return 0
        # The statement is LaTeX (the certificate typesets it); the other fields are prose, where braces are braces.
        print(f"{c.id}: {title_text(c.title)}\ncite as {citation_id(c.id)}\nverdict: {c.verdict}\n\nstatement:\n  {_unicode(c.statement)}")
        if c.original:
            print(f"\nas the source states it:\n  {c.original}")
        if c.counterexample:
            print(f"\ncounterexample:\n  {c.counterexample}")
        if c.hypotheses:
            print("\nhypotheses:\n" + "\n".join(f"  - {h}" for h in c.hypotheses))
        print("\nsources:\n" + "\n".join(f"  - {s.ref}{' (' + s.where + ')' if s.where else ''}: {s.quote}" for s in c.sources))
        record = Path(spec.__file__).parent / c.file.removeprefix("spec/")
        check = source_location(REGISTRY[c.id].build) if c.id in REGISTRY else "(none)"
        print(f"\nspec record: {_user_path(record)} record #{c.index}\ncheck: {check}")
        print(f"oracles: {', '.join(c.oracles)}")
        from vanishing.checks import evidence
        graded = evidence.registered().get(c.id, [])
        print("evidence (strongest first; `vanishing verify --only " + c.id + "` re-runs all of it):")
        for e, r in zip(graded, evidence.run(c.id)):               # runs the evidence: its scope is what ran
            print(f"  - {e.level} ({r.status}): {r.summary} [{e.where}]")
            for line in evidence.scope_lines(r.scope):
                print(f"      {line}")
        print("  - property: Hypothesis, over the check's strategies (the ranges: the hypotheses above)")
        if c.notes:
            print(f"\nnotes:\n  {c.notes}")
        return 0


# --- the command table -----------------------------------------------------------------------------

#: name -> (module path or object with add_arguments/main, one-line help shown by ``vanishing --help``).
COMMANDS = {
    "verify": (_Verify, "check every claim of the catalogue and print its verdict"),
    "list": (_List, "list the claims: ID, verdict, title"),
    "show": (_Show, "show one claim: statement, sources, verdict, and where its check lives"),
    "validate": ("vanishing.validate", "validate another implementation (PyTorch's, or yours) against the reference models"),
    "gradcheck": ("vanishing.gradcheck.command", "check a function's gradients (NumPy/autograd, PyTorch, JAX) against finite differences"),
    "bench": ("vanishing.bench", "measure the gradient oracles against other checkers, and vanishing's own speed"),
    "experiments": ("vanishing.experiments", "run the experiments behind the claims and draw their figures (extra: experiments)"),
}


def _load(target):
    if isinstance(target, str):
        import importlib
        return importlib.import_module(target)
    return target


def _command_in(argv):
    """The subcommand named in ``argv``: the first argument that is not an option (top-level options take no value)."""
    for a in argv:
        if a == "--":
            return None
        if not a.startswith("-"):
            return a if a in COMMANDS else None
    return None


def _parser(command=None):
    """The parser; only ``command``'s module is imported, to add its arguments."""
    p = argparse.ArgumentParser(
        prog="vanishing",
        description="Property-based verification of the mathematics of gradient flow: vanishing and "
                    "exploding gradients in deep nets, RNNs, LSTMs and GRUs.")
    p.add_argument("--version", action="version", version=f"vanishing {vanishing.__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name, (target, help_) in COMMANDS.items():
        sp = sub.add_parser(name, help=help_, description=help_)
        if name == command:
            _load(target).add_arguments(sp)
    return p


def _keep_hypothesis_out_of_cwd():
    """Hypothesis keeps a cache (the constants it draws from local modules) in ./.hypothesis unless told
    otherwise; our profiles have no example database, so a user's working directory is left alone: the cache
    goes to the user's cache directory, unless HYPOTHESIS_STORAGE_DIRECTORY says where."""
    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        return
    import tempfile
    from pathlib import Path

    from hypothesis import configuration
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    for d in (Path(base) / "vanishing" / "hypothesis", Path(tempfile.gettempdir()) / "vanishing-hypothesis"):
        try:
            d.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(d, os.W_OK | os.X_OK):
            configuration.set_hypothesis_home_dir(d)
            return


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    command = _command_in(argv)
    parser = _parser(command)
    if not argv:   # like argparse tools: a bare command is a usage error, with the help to say why
        parser.print_help(sys.stderr)
        return 2
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_usage(sys.stderr)
        print("vanishing: error: a command is required", file=sys.stderr)
        return 2
    try:
        _keep_hypothesis_out_of_cwd()
        return _load(COMMANDS[args.command][0]).main(args)
    except UsageError as e:
        print(f"vanishing {args.command}: {' '.join(str(e).split())}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"vanishing {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:   # `vanishing show ID | head`: the reader left; nothing more to say
        sys.stderr.close()
        return 0
    except Exception as e:  # a face never shows a bare traceback
        from vanishing.spec import SpecError
        kind = "spec error" if isinstance(e, SpecError) else type(e).__name__
        print(f"vanishing {args.command}: {kind}: {' '.join(str(e).split())}", file=sys.stderr)
        return 2
