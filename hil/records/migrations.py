"""Schema of the results DB, as an ordered list of migrations.

Each migration moves the schema from version N-1 to N and runs in one transaction with the update
of `schema_version`, so a DB is always at exactly one version. Never edit a released migration:
append a new one (old DBs in labs are migrated on open).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "runs, rigs, checks, steps, measurements, transcripts",
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            suite TEXT NOT NULL,
            source TEXT NOT NULL,
            argv TEXT NOT NULL,          -- JSON list, secrets redacted
            meta TEXT NOT NULL,          -- JSON object, secrets redacted
            started REAL NOT NULL,       -- time.time()
            finished REAL,
            status TEXT NOT NULL,        -- running | passed | failed | interrupted | error
            pid INTEGER NOT NULL,
            host TEXT NOT NULL
        );
        CREATE TABLE rigs (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            backend TEXT NOT NULL,
            board TEXT,
            dialect TEXT,
            iccid TEXT,
            tags TEXT NOT NULL,          -- JSON object
            PRIMARY KEY (run_id, name)
        );
        CREATE TABLE checks (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            rig TEXT NOT NULL,
            mode TEXT NOT NULL,
            check_name TEXT NOT NULL,
            round INTEGER NOT NULL,
            attempt INTEGER NOT NULL,
            subject TEXT NOT NULL,
            started REAL NOT NULL,
            duration_s REAL NOT NULL,
            passed INTEGER NOT NULL,
            failure_class TEXT
        );
        CREATE INDEX checks_by_run ON checks(run_id, rig, mode, check_name, round);
        CREATE TABLE steps (
            id INTEGER PRIMARY KEY,
            check_id INTEGER NOT NULL REFERENCES checks(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            name TEXT NOT NULL,
            error TEXT,
            skipped TEXT,
            duration_s REAL NOT NULL,
            passed INTEGER NOT NULL
        );
        CREATE INDEX steps_by_check ON steps(check_id);
        CREATE TABLE measurements (
            id INTEGER PRIMARY KEY,
            step_id INTEGER NOT NULL REFERENCES steps(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            name TEXT NOT NULL,
            value TEXT NOT NULL,         -- JSON
            unit TEXT NOT NULL,
            low REAL,
            high REAL,
            expected TEXT,               -- JSON, NULL when no exact value is expected
            passed INTEGER NOT NULL
        );
        CREATE INDEX measurements_by_step ON measurements(step_id);
        CREATE TABLE transcripts (
            check_id INTEGER PRIMARY KEY REFERENCES checks(id) ON DELETE CASCADE,
            text TEXT NOT NULL           -- secrets redacted
        );
        """,
    ),
    Migration(
        2,
        "rig health (LAVA's good/unknown/bad) and when each record was committed",
        """
        CREATE TABLE rig_health (
            rig TEXT PRIMARY KEY,
            health TEXT NOT NULL CHECK (health IN ('good', 'unknown', 'bad')),
            reason TEXT NOT NULL,
            updated REAL NOT NULL,
            run_id INTEGER
        );
        ALTER TABLE checks ADD COLUMN recorded REAL;
        UPDATE checks SET recorded = started + duration_s;
        ALTER TABLE runs ADD COLUMN pid_started TEXT;  -- the process start time, to spot pid reuse
        """,
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version


class SchemaError(Exception):
    """The DB's schema is one this code cannot use (e.g. written by a newer nce-hil)."""


def current_version(conn: sqlite3.Connection) -> int:
    row = conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name='schema_version'"
    ).fetchone()
    if row is None:
        return 0
    version = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
    return int(version or 0)


def migrate(conn: sqlite3.Connection, path: str, target: int = LATEST_VERSION) -> int:
    """Bring the DB (autocommit connection) to `target`; returns the version it had before.

    Takes the write lock first (BEGIN IMMEDIATE), so two processes opening a new DB at once do
    not both run the same migration.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied REAL NOT NULL, "
            "description TEXT NOT NULL)"
        )
        before = current_version(conn)
        if before > LATEST_VERSION:
            raise SchemaError(
                f"{path}: results DB schema version {before} is newer than this nce-hil knows "
                f"(up to {LATEST_VERSION}); upgrade nce-hil or use another --db"
            )
        for migration in MIGRATIONS:
            if before < migration.version <= target:
                for statement in _statements(migration.sql):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_version (version, applied, description) "
                    "VALUES (?, julianday('now'), ?)",
                    (migration.version, migration.description),
                )
        conn.execute("COMMIT")
        return before
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _statements(script: str) -> list[str]:
    """The script's statements (executescript would commit our transaction)."""
    statements: list[str] = []
    current = ""
    for line in script.splitlines():
        code = line.split("--", 1)[0]
        current += code + "\n"
        if code.rstrip().endswith(";") and sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements
