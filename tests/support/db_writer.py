"""A results-DB writer run as its own process by the DB tests: `python -m tests.support.db_writer`.

    db_writer DB --records N [--run ID] [--rig NAME] [--hang]

Starts a run (or writes into --run), records N sample checks one by one, printing
`committed <n>` after each commit (so the parent knows exactly what was committed), then finishes
the run as passed. With --hang it waits forever after the last record instead (to be SIGKILLed).
"""

from __future__ import annotations

import argparse
import random
import sys
import time

from hil.records.db import ResultsDB
from hil.records.sample import CHECKS, SampleRig, sample_record


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("--records", type=int, required=True)
    parser.add_argument("--run", type=int)
    parser.add_argument("--rig", default="writer")
    parser.add_argument("--hang", action="store_true")
    args = parser.parse_args()
    db = ResultsDB(args.db)
    run_id = args.run if args.run is not None else db.start_run(suite="writer", source="test", argv=sys.argv)
    print(f"run {run_id}", flush=True)
    rig = SampleRig(args.rig, "bg95", "89882280666000000001")
    db.add_rig(run_id, name=rig.name, backend="virtual", dialect=rig.dialect, iccid=rig.iccid)
    rng = random.Random(args.rig)
    for n in range(args.records):
        check = CHECKS[n % len(CHECKS)]
        record = sample_record(check, rig, rng, started=time.time())
        db.record(run_id, rig=rig.name, record=record, mode="modem", round=n // len(CHECKS) + 1)
        print(f"committed {n + 1}", flush=True)
    if args.hang:
        while True:
            time.sleep(60)
    if args.run is None:
        db.finish_run(run_id, "passed")
    db.close()


if __name__ == "__main__":
    main()
