"""Check records (model.py), the one secret-redaction rule (redact.py) and the results DB (db.py).

`from hil.records import CheckRecord` keeps working as it did when records were one module.
"""

from hil.records.model import CheckRecord, Measurement, Step, StepFailedError, step
from hil.records.redact import REDACTED, redact, redact_argv

__all__ = [
    "REDACTED",
    "CheckRecord",
    "Measurement",
    "Step",
    "StepFailedError",
    "redact",
    "redact_argv",
    "step",
]
