"""A real full file system for tests: a small tmpfs mounted under tmp_path (root only).

``disk.fill()`` writes a filler file until the device answers ENOSPC (down to the last byte of
the last page); ``disk.free()`` deletes it. Tests that need it skip with the reason when the
process is not root or the kernel refuses the mount.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


class Disk:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.filler = root / "filler"

    def fill(self) -> None:
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            for size in (1 << 20, 1 << 16, 1 << 12, 1):
                block = b"\xa5" * size
                while True:
                    try:
                        os.write(fd, block)
                    except OSError as exc:
                        if exc.errno != errno.ENOSPC:
                            raise
                        break
        finally:
            os.close(fd)

    def free(self) -> None:
        self.filler.unlink()

    def is_full(self) -> bool:
        probe = self.root / "probe"
        try:
            probe.write_bytes(b"x" * 4096)
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                probe.unlink(missing_ok=True)
                return True
            raise
        probe.unlink()
        return False


@contextmanager
def small_disk(folder: Path, size: str = "8m") -> Iterator[Disk]:
    if os.geteuid() != 0:
        pytest.skip("a real full disk needs a small tmpfs, and mounting one needs root")
    folder.mkdir(parents=True, exist_ok=True)
    mount = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)]
    done = subprocess.run(mount, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield Disk(folder)
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False)
