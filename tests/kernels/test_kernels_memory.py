"""kernels.memory: glibc malloc keeps freed memory after import, unless switched off."""
import os
import platform
import subprocess
import sys

import numpy as np

from minidl.kernels.memory import keep_freed_memory


def test_keep_freed_memory_can_be_switched_off_and_on():
    # On glibc both calls apply (True); elsewhere both report that nothing was changed.
    off, on = keep_freed_memory(False), keep_freed_memory(True)
    on_glibc = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
    assert off is on is on_glibc
    big = np.ones(8_000_000)  # 64 MB: served from the heap when memory is kept
    assert big.sum() == 8_000_000


def test_import_keeps_freed_memory_unless_switched_off():
    on_glibc = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
    probe = "import minidl; from minidl.kernels import memory; print(memory.kept)"
    for setting, expected in ((None, on_glibc), ("0", False), ("off", False)):
        env = {k: v for k, v in os.environ.items() if k != "MINIDL_KEEP_FREED_MEMORY"}
        if setting is not None:
            env["MINIDL_KEEP_FREED_MEMORY"] = setting
        out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
        assert out.stdout.strip() == str(expected), (setting, out.stdout, out.stderr)
