"""Run a measured function in a fresh process: wall time, CPU time and that process's peak memory (max RSS)."""

from __future__ import annotations

import multiprocessing
import resource
import statistics
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Sample:
    seconds: float
    peak_rss_mb: float
    # CPU seconds of the process and of the subprocesses it waited for: steadier than wall time when other
    # work shares the cores (at load 10 on 2 cores, `dagster definitions validate` took 65 s wall, 18 s CPU).
    cpu_seconds: float = 0.0
    value: Any = None  # what the measured function returned: small (counts), it goes through a pipe


@dataclass(frozen=True)
class Figure:
    """The median of several samples of one measurement."""

    name: str
    samples: tuple[Sample, ...]

    @property
    def seconds(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    @property
    def cpu_seconds(self) -> float:
        return statistics.median(s.cpu_seconds for s in self.samples)

    @property
    def peak_rss_mb(self) -> float:
        return max(s.peak_rss_mb for s in self.samples)

    @property
    def value(self) -> Any:
        """The last sample's returned value."""
        return self.samples[-1].value


def _child(
    target: Callable[..., Any], args: tuple, setup: Callable[..., Any] | None, queue: multiprocessing.Queue
) -> None:
    warnings.filterwarnings("ignore")  # Dagster's beta/preview notices, once per process: noise in the output
    prepared = (setup(*args),) if setup is not None else ()
    cpu_began, began = cpu_seconds(), time.perf_counter()
    value = target(*args, *prepared)
    elapsed = time.perf_counter() - began
    queue.put(Sample(elapsed, max(peak_rss_mb(), children_peak_rss_mb()), cpu_seconds() - cpu_began, value))


def cpu_seconds() -> float:
    """User + system CPU time of this process and of its finished children."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def peak_rss_mb() -> float:
    """This process's own peak resident memory (VmHWM).

    Not `ru_maxrss`: Linux carries that across exec, so a spawned child would report at least the RSS its
    parent had when it forked (the parent holds the generated data).
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_peak_rss_mb() -> float:
    """The largest peak resident memory among this process's finished subprocesses (a CLI it ran)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def sample(target: Callable[..., Any], *args: Any, setup: Callable[..., Any] | None = None) -> Sample:
    """One run of `target(*args)` in a spawned process (a clean heap, so its peak RSS is its own).

    `setup(*args)`, if given, runs first and untimed (imports, building definitions: a code server does
    that once, not per run); its result is passed to `target` as a last argument.
    """
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(target, args, setup, queue))
    process.start()
    process.join()
    if process.exitcode != 0:
        raise RuntimeError(f"benchmark {target.__name__} failed with exit code {process.exitcode}")
    return queue.get(timeout=5)


@dataclass(frozen=True)
class Spec:
    """One measurement of a figure set: what to run, on what, and its untimed setup."""

    name: str
    target: Callable[..., Any]
    args: tuple = ()
    setup: Callable[..., Any] | None = None


def interleaved(specs: dict[str, Spec], repeats: int) -> dict[str, Figure]:
    """Medians of `repeats` samples of each spec, taken round-robin (a, b, c, a, b, c, ...).

    A ratio between two figures is then taken under the same background load even when the machine's
    load drifts during the run, which it does on shared machines.
    """
    samples: dict[str, list[Sample]] = {key: [] for key in specs}
    for _ in range(repeats):
        for key, spec in specs.items():
            samples[key].append(sample(spec.target, *spec.args, setup=spec.setup))
    return {key: Figure(specs[key].name, tuple(samples[key])) for key in specs}


def figure(
    name: str, repeats: int, target: Callable[..., Any], *args: Any, setup: Callable[..., Any] | None = None
) -> Figure:
    """The median of `repeats` samples of one measurement."""
    return interleaved({name: Spec(name, target, args, setup)}, repeats)[name]
