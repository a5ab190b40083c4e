"""Test support for code that talks to the emulator: an httpx response hook that checks every
response against the 1NCE contracts and fails the call that received a non-conforming one."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from .app import API_PREFIX
from .contract import ContractValidator, ContractViolationError


def find_specs_dir() -> Path | None:
    """$NCE_SPECS_DIR, else ../shared/specs next to the repository."""
    configured = os.environ.get("NCE_SPECS_DIR")
    candidates = [Path(configured)] if configured else []
    repo = Path(__file__).resolve().parents[3]
    candidates += [repo.parent / "shared" / "specs", repo / "shared" / "specs"]
    return next((c for c in candidates if (c / "1nce-openapi" / "sim.json").is_file()), None)


@dataclass
class ContractRecorder:
    """Use `hook` as an httpx response event hook; `checked` lists (method, template, status)."""

    validator: ContractValidator
    checked: list[tuple[str, str, int]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def hook(self, response: httpx.Response) -> None:
        response.read()
        path = urlsplit(str(response.request.url)).path
        if not path.startswith(API_PREFIX + "/"):
            self.skipped.append(f"{response.request.method} {path}")  # /_emulator: not a 1NCE API
            return
        operation, problems = self.validator.check(
            response.request.method,
            path.removeprefix(API_PREFIX),
            response.status_code,
            dict(response.headers),
            response.content,
        )
        if problems:
            raise ContractViolationError("response breaks the 1NCE contract:\n  " + "\n  ".join(problems))
        assert operation is not None
        self.checked.append((operation.method, operation.template, response.status_code))
