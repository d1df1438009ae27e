"""A time limit on every call to an adapter: :func:`call` runs a function and gives up on it after ``seconds``.

An adapter is somebody else's code: it may loop forever on some input, wait on a lock that is never
released, or merely be slow. ``vanishing validate`` must report that (exit status 2, naming the call and
the case) and finish, never hang.

How. Each calling thread owns one *worker*, a daemon thread that runs the calls one at a time; the caller
waits for the result with a time limit (``threading.Event.wait(seconds)``). When the limit passes, the caller
raises :class:`Timeout` at once, and the call is stopped: an exception (:class:`_Interrupted`, a
BaseException, so that an adapter's ``except Exception`` does not swallow it) is raised inside the worker with
CPython's ``PyThreadState_SetAsyncExc``, which interrupts Python code at its next bytecode, including loops
that never return. Compiled code (a NumPy, PyTorch or XLA kernel) that does not return is not interrupted;
the worker is then abandoned, still running, and the next call gets a fresh worker. A daemon thread does not
keep the process alive, so ``vanishing validate`` still exits. The caller's context variables (NumPy's
``errstate``, for one) are copied into each call.

Why not ``signal.alarm``/``setitimer`` (SIGALRM raising in the main thread). It is simpler and kills pure
Python code the same way, but: it works only in the main thread (not in a thread of the user's test suite,
where the pytest plugin may run); it takes SIGALRM from whoever else uses it (``pytest-timeout``'s signal
method, the user's own code); and a call blocked in compiled code that releases the GIL (a lock, a
kernel, I/O) blocks the main thread with it, so the run hangs. With a worker the caller always regains
control after ``seconds``; the price is a hand-off between two threads per call (about 20 µs).

With ``seconds`` of 0 or None the function runs in the caller's thread, without a limit.
"""

import contextvars
import ctypes
import threading
from queue import SimpleQueue

__all__ = ["CALL_TIMEOUT", "GRACE", "Timeout", "call"]

#: The default time limit of one adapter call, in seconds (``vanishing validate --call-timeout``). The slowest
#: legitimate calls seen: a first call that compiles (JAX's jit: a few seconds), Keras's eager JAX backend on
#: T = 80 (about 1 s).
CALL_TIMEOUT = 30.0

#: How long a timed-out call is given to unwind after it was interrupted, in seconds.
GRACE = 2.0


class Timeout(Exception):
    """A call that did not return within its limit; ``stopped``: it was interrupted (else it runs on, abandoned)."""

    def __init__(self, seconds, stopped):
        super().__init__(f"timed out after {seconds:g} s")
        self.seconds, self.stopped = seconds, stopped


class _Interrupted(BaseException):
    """Raised asynchronously inside a call that ran out of time."""


class _Job:
    __slots__ = ("ctx", "done", "error", "fn", "result")

    def __init__(self, fn):
        self.fn, self.ctx, self.done = fn, contextvars.copy_context(), threading.Event()
        self.result = self.error = None


class _Worker:
    def __init__(self):
        self.jobs = SimpleQueue()
        self.thread = threading.Thread(target=self._loop, name="vanishing-adapter-call", daemon=True)
        self.thread.vanishing_worker = True
        self.thread.start()

    def _loop(self):
        while True:
            try:
                job = self.jobs.get()
                if job is None:
                    return
                try:
                    job.result = job.ctx.run(job.fn)
                except BaseException as e:   # the adapter's exception (or our interruption) goes back to the caller
                    job.error = e
                job.done.set()
            except _Interrupted:   # delivered just after a call returned: nothing to interrupt
                continue

    def interrupt(self):
        return ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self.thread.ident), ctypes.py_object(_Interrupted))


_local = threading.local()


def call(fn, seconds):
    """``fn()``, or :class:`Timeout` when it has not returned after ``seconds`` (0 or None: no limit).

    The exception ``fn`` raises is raised here (any BaseException, re-raised in the caller's thread)."""
    if not seconds or getattr(threading.current_thread(), "vanishing_worker", False):
        return fn()
    worker = getattr(_local, "worker", None)
    if worker is None or not worker.thread.is_alive():
        worker = _local.worker = _Worker()
    job = _Job(fn)
    worker.jobs.put(job)
    if not job.done.wait(seconds):
        worker.interrupt()
        stopped = job.done.wait(GRACE)
        if not stopped:           # in compiled code: leave it running, daemon, and use a fresh worker from now on
            worker.jobs.put(None)
            _local.worker = None
        raise Timeout(seconds, stopped)
    if job.error is not None:
        if isinstance(job.error, _Interrupted):   # interrupted as it returned, at the limit
            raise Timeout(seconds, True)
        err, job.error = job.error, None
        raise err
    return job.result
