"""A probe for the product process, loaded by putting this folder first on PYTHONPATH (analysis only).

- ``OPENLINES_PROBE_MEM=<file>``: tracemalloc from the start; SIGRTMIN+1 takes a baseline snapshot,
  SIGRTMIN+2 writes the 40 largest growths since it (by allocating line, 6 frames) to ``<file>``.
  With ``OPENLINES_PROBE_MEM_RAW=1`` also both snapshots (``<file>.before.snap``, ``.after.snap``, for
  ``tracemalloc.Snapshot.load``) and a census of gc-tracked objects grown, count and shallow bytes by
  type (``<file>.types``); ``OPENLINES_PROBE_FRAMES=0`` then takes the census alone, without
  tracemalloc (its slowness lets heartbeats expire and close sockets before the dump).
- ``OPENLINES_PROBE_CPU=<file>``: a sampler thread reads every thread's stack each 2 ms while it
  runs (``sys._current_frames``; a thread waiting in a lock or a selector is counted as idle) and
  SIGRTMIN+2 writes self and inclusive counts per function per thread to ``<file>``. It biases toward
  the GIL's switch points; it shows where the Python time goes, not exact shares.
"""
from __future__ import annotations

import collections
import os
import signal
import sys
import threading
import time

_MEM = os.environ.get("OPENLINES_PROBE_MEM")
_CPU = os.environ.get("OPENLINES_PROBE_CPU")
IDLE = {"select", "poll", "wait", "_wait_for_tstate_lock", "get", "accept", "sleep", "readline", "read",
        "epoll", "_worker", "acquire", "recv", "serve_forever", "join", "_next_batch"}

if os.environ.get("OPENLINES_PROBE_NAMES"):
    # Python's thread names as the kernel's (/proc/<pid>/task/*/comm, 15 bytes): run_bench then
    # prints each thread's CPU per message.
    import ctypes

    _libc = ctypes.CDLL(None)
    _named_run = threading.Thread.run

    def _run_named(self: threading.Thread) -> None:
        _libc.prctl(15, self.name.removeprefix("openlines-").encode()[:15], 0, 0, 0)  # PR_SET_NAME
        _named_run(self)

    threading.Thread.run = _run_named  # type: ignore[method-assign]

if _MEM:
    import tracemalloc

    _FRAMES = int(os.environ.get("OPENLINES_PROBE_FRAMES", "1"))  # 0: the gc census alone (with _RAW)
    if _FRAMES:
        tracemalloc.start(_FRAMES)
    _base: list[tracemalloc.Snapshot] = []

    def _census() -> "collections.Counter[str]":
        import gc
        counts: collections.Counter[str] = collections.Counter()
        for o in gc.get_objects():  # how many of each gc-tracked type, and their shallow bytes ("~" keys)
            name = f"{type(o).__module__}.{type(o).__qualname__}"
            counts[name] += 1
            counts["~" + name] += sys.getsizeof(o)
        return counts

    _types: list["collections.Counter[str]"] = []

    def _baseline(*_: object) -> None:
        if os.environ.get("OPENLINES_PROBE_MEM_RAW"):  # raw snapshots and a gc census, for offline analysis
            _types[:] = [_census()]
        if not _FRAMES:
            return
        _base[:] = [tracemalloc.take_snapshot()]
        if os.environ.get("OPENLINES_PROBE_MEM_RAW"):
            _base[0].dump(str(_MEM) + ".before.snap")

    def _dump_mem(*_: object) -> None:
        if os.environ.get("OPENLINES_PROBE_MEM_RAW"):  # the census first: a snapshot stalls the loop
            after = _census()
            after.subtract(_types[0] if _types else collections.Counter())
            with open(str(_MEM) + ".types", "w") as out:
                for name, n in sorted(after.items(), key=lambda kv: -kv[1]):
                    if not name.startswith("~") and n > 0:
                        out.write(f"{n:8d} {after['~' + name]:10d} B  {name}\n")
        if not _FRAMES:
            open(str(_MEM), "w").close()
            return
        now = tracemalloc.take_snapshot()
        if os.environ.get("OPENLINES_PROBE_MEM_RAW"):
            now.dump(str(_MEM) + ".after.snap")
        stats = now.compare_to(_base[0], "traceback") if _base else now.statistics("traceback")
        with open(str(_MEM) + ".part", "w") as out:
            total = sum(s.size_diff for s in stats) if _base else 0
            out.write(f"total growth {total / 1024:.0f} KiB\n")
            mine: collections.Counter[str] = collections.Counter()
            for stat in stats:  # each growth charged to the innermost frame of the project's own code
                frames = [f for f in stat.traceback if "/site-packages/" not in f.filename
                          and "/lib/python3" not in f.filename]
                where = f"{frames[-1].filename.rsplit('/', 2)[-2:]}:{frames[-1].lineno}" if frames else "(library only)"
                mine[where] += stat.size_diff
            for where, size in mine.most_common(40):
                out.write(f"{size / 1024:9.1f} KiB  {where}\n")
            for stat in stats[:40]:
                out.write(f"\n{stat.size_diff / 1024:.1f} KiB in {stat.count_diff} blocks\n")
                for line in stat.traceback.format()[-12:]:
                    out.write(line + "\n")
        os.replace(str(_MEM) + ".part", str(_MEM))

    signal.signal(signal.SIGRTMIN + 1, _baseline)
    signal.signal(signal.SIGRTMIN + 2, _dump_mem)

if _CPU:
    _self: collections.Counter[tuple[str, str]] = collections.Counter()
    _incl: collections.Counter[tuple[str, str]] = collections.Counter()
    _busy: collections.Counter[str] = collections.Counter()

    def _name(code: object) -> str:
        c = code  # type: ignore[assignment]
        return f"{c.co_name} ({os.path.basename(c.co_filename)}:{c.co_firstlineno})"  # type: ignore[attr-defined]

    def _sample() -> None:
        me = threading.get_ident()
        names = {}
        while True:
            time.sleep(0.002)
            if len(names) != threading.active_count():
                names = {t.ident: t.name for t in threading.enumerate()}
            for ident, frame in sys._current_frames().items():
                if ident == me or frame.f_code.co_name in IDLE:
                    continue
                thread = names.get(ident, str(ident))
                _busy[thread] += 1
                _self[(thread, _name(frame.f_code))] += 1
                seen = set()
                while frame is not None:
                    key = (thread, _name(frame.f_code))
                    if key not in seen:
                        seen.add(key)
                        _incl[key] += 1
                    frame = frame.f_back  # type: ignore[assignment]

    def _dump_cpu(*_: object) -> None:
        with open(str(_CPU) + ".part", "w") as out:
            for thread, n in _busy.most_common():
                out.write(f"== {thread}: {n} busy samples\n-- self\n")
                for (t, fn), k in _self.most_common():
                    if t == thread and k * 200 >= n:
                        out.write(f"{k / n:6.1%} {fn}\n")
                out.write("-- inclusive\n")
                for (t, fn), k in _incl.most_common():
                    if t == thread and k * 100 >= n:
                        out.write(f"{k / n:6.1%} {fn}\n")
        os.replace(str(_CPU) + ".part", str(_CPU))
        _self.clear(), _incl.clear(), _busy.clear()

    threading.Thread(target=_sample, name="probe", daemon=True).start()
    signal.signal(signal.SIGRTMIN + 2, _dump_cpu)

_PROFILE = os.environ.get("OPENLINES_PROBE_PROFILE")
if _PROFILE:
    # cProfile in the named threads (the loop, the journal writer, the team threads): deterministic, so
    # call-heavy code looks dearer than it is, but it counts every call where a sampler only sees the
    # GIL's hand-off points. SIGRTMIN+2 writes each thread's top functions to <file>.
    import cProfile
    import io
    import pstats
    import re

    _WANTED = re.compile(os.environ.get("OPENLINES_PROBE_THREADS", "openlines-loop|openlines-journal-w|openlines-team"))
    _profiles: dict[str, cProfile.Profile] = {}
    _run = threading.Thread.run

    def _profiled_run(self: threading.Thread) -> None:
        if not _WANTED.search(self.name):
            return _run(self)
        # OPENLINES_PROBE_TIMER=cpu: the thread's CPU time (time.thread_time), not the wall clock; a wait for
        # the GIL after a syscall (other threads busy) then is not charged to the syscall. Slower.
        timer = (time.thread_time,) if os.environ.get("OPENLINES_PROBE_TIMER") == "cpu" else ()
        profile = _profiles.setdefault(self.name, cProfile.Profile(*timer))
        profile.enable()
        try:
            return _run(self)
        finally:
            profile.disable()

    threading.Thread.run = _profiled_run  # type: ignore[method-assign]

    def _dump_profile(*_: object) -> None:
        with open(_PROFILE + ".part", "w") as out:
            for name, profile in sorted(_profiles.items()):
                text = io.StringIO()
                stats = pstats.Stats(profile, stream=text)
                # OPENLINES_PROBE_SORT=ncalls: the most called first (on a flat profile, calls are the cost)
                stats.sort_stats(os.environ.get("OPENLINES_PROBE_SORT", "tottime")).print_stats(35)
                stats.sort_stats("cumulative").print_stats(45)
                if os.environ.get("OPENLINES_PROBE_CALLERS"):  # who calls these (a regex of "file:line(name)")
                    stats.print_callers(os.environ["OPENLINES_PROBE_CALLERS"])
                out.write(f"===== {name}\n{text.getvalue()}\n")
        os.replace(_PROFILE + ".part", _PROFILE)

    signal.signal(signal.SIGRTMIN + 2, _dump_profile)

if os.environ.get("OPENLINES_PROBE_SWITCH"):  # an experiment: the GIL's switch interval, in seconds
    sys.setswitchinterval(float(os.environ["OPENLINES_PROBE_SWITCH"]))
