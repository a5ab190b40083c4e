"""`hil run` as a Python API (the CLI, and later the pytest and Robot front ends, use it):

    plan = build_plan(RunOptions(suite="smoke", mode="both", rigs=4))
    with ResultsDB(default_db_path()) as db:
        result = Runner(plan, db, listener=print).run()

plan.py decides and checks what runs; runner.py runs it (a thread per rig, health checks, retries,
quarantine, resume); wiring.py opens virtual or local rigs; progress.py shows it.
"""

from hil.run.plan import Plan, PlanError, PlannedRig, RunOptions, build_plan, parse_until
from hil.run.runner import RigOutcome, Runner, RunResult

__all__ = [
    "Plan",
    "PlanError",
    "PlannedRig",
    "RigOutcome",
    "RunOptions",
    "RunResult",
    "Runner",
    "build_plan",
    "parse_until",
]
