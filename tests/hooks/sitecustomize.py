"""Test hooks for crawls of tests/hostilesite.HostileSite, in the crawl and its cleaning workers.

Python imports `sitecustomize` at start-up from the path; tests put this folder on PYTHONPATH with
hostilesite.hook_environment(), which also says which sentences trigger what. A page carrying:

- WIREDESK_TEST_KILL: the process cleaning it kills itself with SIGKILL, as the kernel's OOM
  killer would;
- WIREDESK_TEST_RAISE: the cleaner raises;
- WIREDESK_TEST_MEMORY: the cleaner asks for 8 GiB, which a worker under WIREDESK_CLEAN_MEMORY_LIMIT
  (RLIMIT_AS) cannot have: MemoryError. Without a limit it refuses to try.

Nothing happens in a process started without those variables.
"""

from __future__ import annotations

import os
import resource
import signal
from typing import Any

_MARKERS = {name: os.environ.get(f"WIREDESK_TEST_{name}") for name in ("KILL", "RAISE", "MEMORY")}


def _hooked(clean: Any) -> Any:
    def clean_with_hooks(page: bytes | str, *args: Any, **kwargs: Any) -> Any:
        text = page.decode("utf-8", "replace") if isinstance(page, bytes) else page
        if _MARKERS["KILL"] and _MARKERS["KILL"] in text:
            os.kill(os.getpid(), signal.SIGKILL)
        if _MARKERS["RAISE"] and _MARKERS["RAISE"] in text:
            raise RuntimeError("raised by the test hook")
        if _MARKERS["MEMORY"] and _MARKERS["MEMORY"] in text:
            if resource.getrlimit(resource.RLIMIT_AS)[0] == resource.RLIM_INFINITY:
                raise AssertionError("the memory hook needs WIREDESK_CLEAN_MEMORY_LIMIT")
            bytearray(8 << 30)
        return clean(page, *args, **kwargs)

    return clean_with_hooks


if any(_MARKERS.values()):
    import cleaner

    cleaner.clean = _hooked(cleaner.clean)
