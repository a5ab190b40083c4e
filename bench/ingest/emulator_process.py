"""Shared by the benchmarks: a SIM inventory of any size and `hil cloud serve` as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
import yaml


def write_inventory(count: int, path: Path) -> list[dict[str, str]]:
    """`count` enabled SIMs in 10.60.0.0/16 (a larger organisation than the usual /24)."""
    sims = [
        {
            "iccid": f"8988280666{index:09d}",
            "imsi": f"90140520{index:07d}",
            "msisdn": f"88228520{index:07d}",
            "ip_address": f"10.60.{index // 250}.{index % 250 + 1}",
        }
        for index in range(count)
    ]
    document = {
        "organisation": {"id": "9000001", "name": "bench", "ip_range": "10.60.0.0/16"},
        "api_users": [{"client_id": "9000001_bench", "client_secret": "bench-secret-123"}],
        "sims": sims,
    }
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return sims


class Emulator:
    """`hil cloud serve` in a child process; endpoints from its first output line."""

    def __init__(self, count: int, *extra: str) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="nce-bench-")
        inventory = Path(self.tmp.name) / "sims.yaml"
        self.sims = write_inventory(count, inventory)
        hil = Path(sys.executable).with_name("hil")
        self.process = subprocess.Popen(
            [
                str(hil),
                "cloud",
                "serve",
                "--sims",
                str(inventory),
                "--db",
                str(Path(self.tmp.name) / "db.sqlite"),
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("hil cloud serve exited before printing its endpoints")
        self.endpoints: dict[str, Any] = json.loads(line)
        token = httpx.post(
            self.endpoints["oauth"],
            json={"grant_type": "client_credentials"},
            auth=("9000001_bench", "bench-secret-123"),
            timeout=30,
        ).json()["access_token"]
        self.headers = {"Authorization": f"Bearer {token}"}

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.tmp.cleanup()
