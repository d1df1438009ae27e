"""pytest plugin (entry point ``pytest11``): run vanishing's conformance checks inside any test suite.

Install vanishing and pass your adapter factory (the protocol: ``vanishing validate --help``
says where it is documented). pytest must be installed in the same environment as vanishing: the
plugin is registered by vanishing's installed entry point, so another environment's pytest (a global
one) does not load it and calls ``--vanishing-impl`` an unrecognised argument; ``python -m pytest``
runs the environment's own::

    pytest --vanishing-impl=mypkg.cells:make                 # your suite + one test item per check
    pytest --vanishing-impl=mypkg.cells:make -k vanishing    # only the conformance checks
    pytest --vanishing-impl=torch --vanishing-profile=dev    # the PyTorch built-ins, randomized

The checks are collected like any test: each (adapter, check) pair is an item
``vanishing[ADAPTER/CHECK]`` in the file that defines the factory, e.g.
``mypkg/cells.py::vanishing[mylstm/gradients]`` (for ``torch``, vanishing's own
``torch_adapters.py``). The header counts them, ``-k``, ``-x``, ``--lf`` and ``--sw`` work,
and a node ID that pytest prints re-runs that one check when passed back::

    pytest --vanishing-impl=mypkg.cells:make "mypkg/cells.py::vanishing[mylstm/gradients]"

With only directories (or no paths) on the command line, the conformance items join
the run; with files or node IDs, only those named. A failing item prints what differs
and where, the diagnosis (which known bug reproduces it), the shrunk counterexample and
a reproduce snippet, exactly as ``vanishing validate`` does. A broken adapter (factory
raises, wrong shapes, NaN, wrong dtype, missing method, on the smoke test) becomes one failing item
``vanishing[ADAPTER]`` (or ``vanishing[SPEC]``) with a one-line reason. An unknown profile,
a seed for a derandomized one, or a factory module that cannot be found is a usage
error. ``--vanishing-impl`` may be repeated. ``--vanishing-call-timeout SECONDS`` sets the time limit
of each adapter call (30 s by default): an item whose call times out fails, and so do the adapter's
later items, without calling it again.

For hand-written tests the fixture ``vanishing_impl`` gives the adapters themselves
(the objects the factories returned, in order; skipped when the option is absent);
``vanishing.checks.conformance.validate_adapter(AdapterInfo(adapter))`` runs the checks
on one of them.

Without ``--vanishing-impl`` the plugin adds nothing and imports nothing heavy.
"""

import os
import sys
from pathlib import Path

import pytest

__all__ = ["ConformanceFile", "ConformanceItem", "vanishing_impl"]


def pytest_addoption(parser):
    group = parser.getgroup("vanishing")
    group.addoption("--vanishing-impl", action="append", default=[], metavar="MODULE:FACTORY",
                    help="an adapter factory (or 'torch') to validate against vanishing's reference models; "
                         "adds one test item per conformance check (repeatable)")
    group.addoption("--vanishing-profile", action="store", default=None, metavar="NAME",
                    help="Hypothesis profile for the conformance checks: ci (default, derandomized), dev or thorough")
    group.addoption("--vanishing-seed", action="store", type=int, default=None, metavar="N",
                    help="Hypothesis seed for a non-derandomized --vanishing-profile")
    group.addoption("--vanishing-call-timeout", action="store", type=float, default=None, metavar="SECONDS",
                    help="time limit of each call to an adapter (default 30; 0: none); a call that exceeds it fails its "
                         "item, and the adapter's later items, as a broken adapter")


class _Options:
    """What --vanishing-impl asks for: the profile and seed, and for each anchor file its adapter specs."""

    def __init__(self, profile, seed, specs, anchors, call_timeout=None):
        self.profile, self.seed, self.specs, self.anchors = profile, seed, specs, anchors
        self.call_timeout = call_timeout
        self._loaded = {}

    def load(self, spec):
        """The AdapterInfos of ``spec``, loaded once per session (an AdapterError is kept and raised again)."""
        if spec not in self._loaded:
            from vanishing.checks.conformance import load
            from vanishing.checks.conformance.protocol import AdapterError
            try:
                self._loaded[spec] = load(spec)
            except AdapterError as e:
                self._loaded[spec] = e
        got = self._loaded[spec]
        if isinstance(got, Exception):
            raise got
        return got


_OPTIONS = pytest.StashKey[_Options]()


def _anchor(spec):
    """The file whose node ID carries ``spec``'s items: the module of the factory (raises UsageError if none)."""
    import importlib.util
    if spec.strip() == "torch":
        return Path(importlib.util.find_spec("vanishing.checks.conformance.torch_adapters").origin)
    module, sep, factory = spec.strip().rpartition(":")
    if not sep or not module or not factory.isidentifier():
        raise pytest.UsageError(f"--vanishing-impl={spec}: expected 'torch' or 'package.module:factory' "
                                "(a module, a colon, a function name)")
    if module.endswith(".py") or os.sep in module or "/" in module:
        path = Path(os.path.abspath(module))
        if not path.is_file():
            raise pytest.UsageError(f"--vanishing-impl={spec}: no such file {module!r}")
        return path
    cwd = os.getcwd()   # like `python -m` (and vanishing validate): the working directory is importable
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)
    try:
        found = importlib.util.find_spec(module)
    except Exception as e:   # a parent package that does not import
        raise pytest.UsageError(f"--vanishing-impl={spec}: cannot import {module!r}: "
                                f"{type(e).__name__}: {' '.join(str(e).split())}") from None
    if found is None or not found.origin or not os.path.isfile(found.origin):
        raise pytest.UsageError(f"--vanishing-impl={spec}: no module named {module!r} "
                                f"(looked in the working directory and sys.path)")
    return Path(os.path.abspath(found.origin))


def pytest_configure(config):
    specs = config.getoption("--vanishing-impl")
    profile, seed = config.getoption("--vanishing-profile"), config.getoption("--vanishing-seed")
    call_timeout = config.getoption("--vanishing-call-timeout")
    if call_timeout is not None and not (0 <= call_timeout < float("inf")):
        raise pytest.UsageError(f"--vanishing-call-timeout: expected a number of seconds >= 0 (0: no limit), got {call_timeout!r}")
    if not specs and profile is None and seed is None:
        return
    from vanishing.checks import profiles
    if seed is None:   # a pytest-xdist worker runs with the seed its controller drew (and printed)
        seed = getattr(config, "workerinput", {}).get("vanishing_seed")
    try:
        profile, seed = profiles.resolve(profile, seed)
    except profiles.ProfileError as e:
        msg = str(e).replace("a seed has no effect", "--vanishing-seed has no effect")
        raise pytest.UsageError(f"--vanishing-profile: {msg}" if "unknown profile" in msg else msg) from None
    anchors = {}
    for spec in specs:
        anchors.setdefault(_anchor(spec), []).append(spec)
    config.stash[_OPTIONS] = _Options(profile, seed, list(specs), anchors, call_timeout)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """pytest-xdist: every worker uses the controller's seed, so one seed is printed and reproduces every item."""
    plan = node.config.stash.get(_OPTIONS, None)
    if plan is not None:
        node.workerinput["vanishing_seed"] = plan.seed


def pytest_report_header(config):
    plan = config.stash.get(_OPTIONS, None)
    if plan is None or not plan.anchors:
        return None
    seed = "derandomized" if plan.seed is None else plan.seed
    return f"vanishing: conformance of {', '.join(plan.specs)}; profile={plan.profile} seed={seed}"


def _nodeid(config, path):
    """The node ID of an anchor file: relative to the rootdir when inside it, else absolute (either re-runs)."""
    try:
        return path.relative_to(config.rootpath).as_posix()
    except ValueError:
        return path.as_posix()


class ConformanceFile(pytest.File):
    """The conformance items of the adapter factories defined in one file."""

    def collect(self):
        from vanishing.checks.conformance.protocol import AdapterError
        from vanishing.checks.conformance.runner import Plan
        opts = self.config.stash[_OPTIONS]
        seen = set()

        def item(name, **kw):
            base, n = name, 1
            while name in seen:   # two factories in one file may return adapters of the same name
                n += 1
                name = f"{base[:-1]}#{n}]"
            seen.add(name)
            # the ID as a string, parsed by pytest as a parametrized one, equals what --lf reads back from its cache
            return ConformanceItem.from_parent(self, name=name, nodeid=f"{self.nodeid}::{name}", **kw)

        for spec in opts.anchors[self.path]:
            try:
                infos = opts.load(spec)
            except AdapterError as e:
                yield item(f"vanishing[{spec}]", broken=str(e))
                continue
            for info in infos:
                # validate_adapter's plan: the smoke test here, then one item per check (each cross-checks the reference first)
                plan = Plan(info, opts.profile, opts.seed, call_timeout=opts.call_timeout)
                steps = plan.steps()
                if next(steps).run():
                    yield item(f"vanishing[{info.name}]", broken=plan.broken)
                    continue
                for step in steps:
                    if step.check is not None:
                        yield item(f"vanishing[{info.name}/{step.name}]", plan=plan, step=step)


class ConformanceFailure(Exception):
    """Raised by a conformance item; carries the report of the failing check (or a one-line reason)."""

    def __init__(self, text):
        super().__init__(text)
        self.text = text


class ConformanceItem(pytest.Item):
    """One conformance check of one adapter."""

    def __init__(self, *, plan=None, step=None, broken="", **kw):
        super().__init__(**kw)
        self.plan, self.step, self.broken = plan, step, broken
        if step is not None:
            self.user_properties.append(("vanishing_claim", step.check.claim))

    def runtest(self):
        if self.broken:
            raise ConformanceFailure(f"broken adapter: {self.broken}")
        bad = self.plan.reference()   # the reference itself first (memoised): a wrong one must not blame the adapter
        if bad is not None:
            raise ConformanceFailure("\n".join(bad.lines))
        r = self.step.run()
        if r.status == "n/a":   # a gradient check of a forward-only adapter: does not apply (not passed, not failed)
            pytest.skip(f"does not apply: {r.lines[0]}")
        for note in r.notes:
            self.add_report_section("call", "vanishing", note)
        if r.status != "pass":
            raise ConformanceFailure(r.text())

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ConformanceFailure):
            return excinfo.value.text
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, self.name


def pytest_collect_file(file_path, parent):
    """An anchor file named on the command line (a pasted node ID) collects its conformance items."""
    plan = parent.config.stash.get(_OPTIONS, None)
    if plan is not None and file_path in plan.anchors and parent.session.isinitpath(file_path):
        return ConformanceFile.from_parent(parent, path=file_path, nodeid=_nodeid(parent.config, file_path))
    return None


def _whole_suite(config):
    """True when the run is over directories (or pytest's defaults), not over named files or node IDs."""
    args = config.args or ["."]
    return any((config.invocation_params.dir / a.split("::")[0]).is_dir() for a in args)


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    """A run over the whole suite collects the conformance items after the user's tests (once per anchor)."""
    rep = yield
    if isinstance(collector, pytest.Session) and rep.passed:
        plan = collector.config.stash.get(_OPTIONS, None)
        if plan is not None and _whole_suite(collector.config):
            for path in plan.anchors:
                if not collector.isinitpath(path):   # named on the command line: collected there
                    rep.result.append(ConformanceFile.from_parent(collector, path=path,
                                                                  nodeid=_nodeid(collector.config, path)))
    return rep


@pytest.fixture
def vanishing_impl(request):
    """The adapters named by --vanishing-impl: the objects the factories returned (skipped without the option)."""
    plan = request.config.stash.get(_OPTIONS, None)
    if plan is None or not plan.anchors:
        pytest.skip("no --vanishing-impl=MODULE:FACTORY given")
    from vanishing.checks.conformance.protocol import AdapterError
    out = []
    for spec in plan.specs:
        try:
            out += [info.obj for info in plan.load(spec)]
        except AdapterError as e:
            pytest.fail(f"--vanishing-impl={spec}: {e}", pytrace=False)
    return out
