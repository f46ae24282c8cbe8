"""Measuring commands: wall time, the peak memory of the process tree, and a description of the machine.

Every benchmark runs as a subprocess, ours as a user runs it (``python -m toolkit …``) and the others
the same way, so interpreter start-up is counted for everyone. Two memory figures:

* ``peak_rss_mb``: the largest resident set of any one process of the tree (``wait4``'s ``ru_maxrss``,
  what ``/usr/bin/time -v`` prints);
* ``peak_pss_mb``: the largest *sum* over the tree of the proportional set sizes, sampled every 50 ms
  from ``/proc/<pid>/smaps_rollup`` (shared pages counted once): what a pool of worker processes
  really costs the machine. Linux only; None elsewhere.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_SECONDS = 0.05


@dataclass
class Measure:
    """One timed run of a command."""

    label: str
    seconds: float
    peak_rss_mb: float
    peak_pss_mb: float | None
    returncode: int
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def memory_mb(self) -> float:
        """The tree's peak PSS when sampled (it never misses shared pages twice), else the peak RSS."""
        return self.peak_pss_mb if self.peak_pss_mb else self.peak_rss_mb


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def _pss_kb(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    m = re.search(r"^Pss:\s+(\d+) kB", text, re.M)
    return int(m.group(1)) if m else 0


def tree_pss_mb(pid: int) -> float:
    """The summed PSS of ``pid`` and all its descendants, in MB."""
    total = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        total += _pss_kb(p)
        todo.extend(_children(p))
    return total / 1024


def python_env() -> dict[str, str]:
    """The environment for running the toolkit from this checkout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    # as installed: pip compiles every module when it installs, so no program here compiles its source at
    # each start (a machine that sets PYTHONDONTWRITEBYTECODE would charge tic ~0.06 s a run for it)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("PYTHONHASHSEED", "0")
    return env


TIME = "/usr/bin/time"  # GNU time: its child is forked from a small process (see run())


def run(label: str, cmd: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None,
        stdout: Path | None = None, timeout: float = 3600, ok: tuple[int, ...] = (0, 1),
        sample: bool = True) -> Measure:
    """Run ``cmd``, measuring wall time and memory; a return code outside ``ok`` raises with its stderr.

    Linux keeps a process's peak RSS across ``exec``, so a command forked straight from this (large) process
    would report this process's peak: the command runs under GNU ``time``, whose own footprint is tiny,
    and its peak RSS is the one ``time`` reports. ``sample=False``: no sampling of the process tree's
    proportional set size (reading ``smaps_rollup`` 20 times a second takes CPU from a program that keeps
    both cores busy), only the time and the peak RSS."""
    sampling = sample and sys.platform.startswith("linux") and Path("/proc/self/smaps_rollup").exists()
    timed = Path(TIME).is_file()
    if timed:
        cmd = [TIME, "-f", "tic-bench-maxrss-kb=%M", *cmd]
    out = open(stdout, "wb") if stdout else subprocess.DEVNULL  # noqa: SIM115 - closed below
    try:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env or python_env(), stdout=out, stderr=subprocess.PIPE)
        peak = 0.0
        status = None
        rusage = None
        while True:
            pid, st, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                status, rusage = st, ru
                break
            if sampling:
                peak = max(peak, tree_pss_mb(proc.pid))
            if time.perf_counter() - start > timeout:
                proc.kill()
                pid, st, ru = os.wait4(proc.pid, 0)
                status, rusage = st, ru
                break
            time.sleep(SAMPLE_SECONDS if sampling else 0.005)  # unsampled: the end seen within 5 ms
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
    finally:
        if stdout:
            out.close()  # type: ignore[union-attr]
    maxrss_kb = rusage.ru_maxrss
    if timed:
        found = re.findall(r"tic-bench-maxrss-kb=(\d+)", err)
        if found:
            maxrss_kb = int(found[-1])
        err = re.sub(r"(Command exited with non-zero status \d+\n)?tic-bench-maxrss-kb=\d+\n?", "", err)
    if proc.returncode not in ok:
        raise RuntimeError(f"{label}: {' '.join(map(str, cmd))} exited with {proc.returncode}:\n{err[-2000:]}")
    return Measure(label, seconds, maxrss_kb / 1024, peak if sampling else None, proc.returncode)


def best_of(n: int, label: str, cmd: list[str], *, memory_apart: bool = False, **kwargs: Any) -> Measure:
    """The fastest of ``n`` runs (its memory figures are that run's). ``memory_apart``: the ``n`` timed runs
    are not sampled, and one more run measures the memory (for programs that use every core)."""
    if not memory_apart:
        runs = [run(label, cmd, **kwargs) for _ in range(max(1, n))]
        return min(runs, key=lambda m: m.seconds)
    fastest = min((run(label, cmd, sample=False, **kwargs) for _ in range(max(1, n))), key=lambda m: m.seconds)
    mem = run(label, cmd, **kwargs)
    return Measure(label, fastest.seconds, max(fastest.peak_rss_mb, mem.peak_rss_mb), mem.peak_pss_mb,
                   fastest.returncode, fastest.note, fastest.extra)


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def soffice() -> str | None:
    try:
        from toolkit.adapters.pdf import find_soffice

        return find_soffice()
    except Exception:  # the letters module is another helper's: fall back to PATH
        return shutil.which("soffice") or shutil.which("libreoffice")


def machine() -> dict[str, str]:
    """nproc, CPU model, RAM, OS, Python and the libraries' versions."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or "unknown"
    ram = "unknown"
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
        ram = f"{kb / 1024**2:.1f} GiB"
    except (OSError, AttributeError):
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 1
    office = "not installed"
    exe = soffice()
    if exe:
        try:
            office = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            office = exe
    from toolkit import __version__

    return {
        "nproc": f"{usable} (os.cpu_count {os.cpu_count()})",
        "CPU": cpu,
        "RAM": ram,
        "OS": f"{platform.system()} {platform.release()}",
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "tic (sjz-tic)": __version__,
        "python-calamine": _version("python-calamine"),
        "openpyxl": _version("openpyxl"),
        "frictionless": _version("frictionless"),
        "jsonschema": _version("jsonschema"),
        "docxtpl": _version("docxtpl"),
        "python-docx": _version("python-docx"),
        "lxml": _version("lxml"),
        "LibreOffice": office,
    }
