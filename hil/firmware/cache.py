"""A firmware image built once per source state: `ensure_image()` returns the ELF for a target and
board, building it with hil.firmware.build only when no image of the same sources exists yet.

The cache key hashes every file under firmware/ and sdk_bindings/c/, the target, the board and
the compiler's version, so an edit to the app, the SDK or the toolchain makes a new image and an
unchanged tree reuses the old one. Images live in build/firmware-cache/<key>/ (git-ignored with
build/). Two processes asking at once (two `hil run`s, pytest workers) take a lock file: one
builds, the other waits and then finds the finished image.

    image = ensure_image()                      # bare-metal mps2-an385, AUTO modem dialect
    image = ensure_image("baremetal", "mps2-an385", cache_dir=tmp_path)
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from hil.firmware.build import REPO, FirmwareBuildError, build

CACHE_DIR = REPO / "build" / "firmware-cache"
SOURCE_DIRS = (REPO / "firmware", REPO / "sdk_bindings" / "c")
_SKIPPED_DIRS = frozenset({"build", "__pycache__", ".git", ".pytest_cache"})
_COMPILERS = {"baremetal": "arm-none-eabi-gcc", "freertos": "arm-none-eabi-gcc"}
IMAGE_NAME = "nce-fw.elf"
LOCK_TIMEOUT_S = 900.0  # a cold bare-metal build takes well under a minute; 15 min means a hang

__all__ = [
    "CACHE_DIR",
    "FirmwareBuildError",
    "build_lock",
    "cache_key",
    "content_digest",
    "ensure_image",
    "toolchain_version",
]


def toolchain_version(target: str = "baremetal") -> str:
    """The first line of the target compiler's --version; FirmwareBuildError when it is missing."""
    compiler = _COMPILERS.get(target)
    if compiler is None:
        raise FirmwareBuildError(
            f"target {target!r}: the image cache builds {', '.join(sorted(_COMPILERS))} images"
        )
    path = shutil.which(compiler)
    if path is None:
        raise FirmwareBuildError(
            f"{compiler} not found on PATH: the firmware image cannot be built "
            "(install gcc-arm-none-eabi: bin/setup installs it)"
        )
    try:
        result = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise FirmwareBuildError(f"{path} --version: {exc}") from exc
    if result.returncode != 0:
        detail = result.stderr.strip()
        raise FirmwareBuildError(f"{path} --version failed (exit {result.returncode}): {detail}")
    return result.stdout.splitlines()[0].strip() if result.stdout else path


def _source_files(roots: tuple[Path, ...]) -> Iterator[Path]:
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and not _SKIPPED_DIRS.intersection(path.relative_to(root).parts[:-1]):
                yield path


def content_digest(files: Iterable[Path], *extra: str) -> str:
    """A hash of `extra` and of each file's path (repo-relative) and contents: the key of a build
    made from those files (this image cache, the host build of the C AT reader)."""
    digest = hashlib.sha256("\0".join(extra).encode() + b"\0")
    for path in files:
        digest.update(str(path.relative_to(REPO) if path.is_relative_to(REPO) else path).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def cache_key(target: str, board: str, toolchain: str, roots: tuple[Path, ...] = SOURCE_DIRS) -> str:
    """A hash of the sources (paths and contents), the target, the board and the toolchain."""
    return content_digest(_source_files(roots), target, board, toolchain)[:20]


@contextlib.contextmanager
def build_lock(lock_path: Path, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """An exclusive lock file across processes for one build: one builds, the others wait (at
    most `timeout` s: a longer hold means a hung build, said in a FirmwareBuildError)."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise FirmwareBuildError(
                        f"another process has held {lock_path} for {timeout:g} s (a hung build?); "
                        "remove the lock file if no build is running"
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def ensure_image(
    target: str = "baremetal",
    board: str = "mps2-an385",
    *,
    cache_dir: Path | None = None,
    lock_timeout_s: float = LOCK_TIMEOUT_S,
) -> Path:
    """The ELF of `target` for `board` built from the current sources, built now only when the
    cache has none (build/firmware-cache/<key>/nce-fw.elf). Safe to call from several processes
    at once. Raises FirmwareBuildError (toolchain missing: install gcc-arm-none-eabi, bin/setup)."""
    root = (cache_dir or CACHE_DIR).resolve()
    key = cache_key(target, board, toolchain_version(target))
    final = root / key
    image = final / IMAGE_NAME
    if image.is_file():
        return image
    with build_lock(root / f"{key}.lock", lock_timeout_s):
        if image.is_file():  # built by the process that held the lock
            return image
        root.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=f"{key}.", suffix=".partial", dir=root))
        try:
            result = build(target, board, build_dir=scratch)
            if result.image.name != IMAGE_NAME:
                shutil.copy2(result.image, scratch / IMAGE_NAME)
            if final.exists():  # a stale half-made entry (no image): replace it
                shutil.rmtree(final)
            scratch.rename(final)  # atomic: readers see a whole entry or none
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            raise
    return image
