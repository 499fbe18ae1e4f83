"""Memory the machine can give a run, and what a run used (peak RSS, peak anonymous RSS)."""

from __future__ import annotations

import resource
import threading
import time
from pathlib import Path

_CGROUP_LIMITS = ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")


def _meminfo(key: str, path: str = "/proc/meminfo") -> int | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _cgroup_room() -> int | None:
    for limit_path in _CGROUP_LIMITS:
        try:
            raw = Path(limit_path).read_text().strip()
        except OSError:
            continue
        if raw == "max" or int(raw) >= 1 << 60:
            return None
        used_path = Path(limit_path).with_name(
            "memory.current" if limit_path.endswith("max") else "memory.usage_in_bytes"
        )
        used = int(used_path.read_text().strip()) if used_path.is_file() else 0
        return max(0, int(raw) - used)
    return None


def available_bytes(override: int | None = None) -> int | None:
    """MemAvailable, or the cgroup's room when a limit is set and smaller.

    ``override`` (bytes; ``RunConfig.memory_available``, which the command line fills from
    ``$HARNESS_MEM_AVAILABLE``) replaces both (tests; a user reserving memory)."""
    if override is not None:
        return override
    found = [v for v in (_meminfo("MemAvailable"), _cgroup_room()) if v is not None]
    return min(found) if found else None


def rss_anon_bytes() -> int:
    """Resident anonymous memory of this process (beyond memory-mapped files)."""
    return _meminfo("RssAnon", "/proc/self/status") or 0


def peak_rss_bytes() -> int:
    """ru_maxrss of this process (includes file-backed pages such as memory-mapped stores)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class AnonPeak:
    """Samples RssAnon in a daemon thread; ``peak()`` is the highest since the last ``mark()``."""

    def __init__(self, interval: float = 0.05) -> None:
        self._peak = rss_anon_bytes()
        self._stop = threading.Event()
        self._interval = interval
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._peak = max(self._peak, rss_anon_bytes())
            time.sleep(self._interval)

    def start(self) -> AnonPeak:
        """Starts sampling; returns ``self`` so it can be made and started in one line."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stops the sampler and waits for it, so no sample is taken after this returns."""
        self._stop.set()
        self._thread.join()

    def mark(self) -> int:
        """The peak so far, then restart from the present value."""
        peak = max(self._peak, rss_anon_bytes())
        self._peak = rss_anon_bytes()
        return peak
