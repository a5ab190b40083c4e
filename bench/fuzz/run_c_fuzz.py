"""Builds bench/fuzz/c_fuzz.c with the SDK under ASan+UBSan and runs it.

.venv/bin/python bench/fuzz/run_c_fuzz.py [ITERATIONS]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
C_DIR = HERE.parents[1] / "sdk_bindings" / "c"


def main() -> None:
    iterations = sys.argv[1] if len(sys.argv) > 1 else "2000000"
    with tempfile.TemporaryDirectory(prefix="nce-c-fuzz-") as scratch:
        binary = Path(scratch) / "c_fuzz"
        sources = [HERE / "c_fuzz.c", *sorted((C_DIR / "src").glob("*.c"))]
        flags = ["-std=c99", "-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]
        subprocess.run(
            ["gcc", *flags, f"-I{C_DIR / 'include'}", *map(str, sources), "-o", str(binary)], check=True
        )
        start = time.monotonic()
        result = subprocess.run([str(binary), iterations], check=False)
        print(f"exit {result.returncode} after {time.monotonic() - start:.1f} s")
        sys.exit(result.returncode)


if __name__ == "__main__":
    main()
