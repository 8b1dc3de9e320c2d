"""The store's schema, version 1: plain SQL that SQLite and PostgreSQL both run.

The version is kept in ``trust_meta``. Opening a store creates the schema when there is
none, and refuses one written by another version (`StoreSchemaError`), newer above all:
a newer writer may rely on rows this version would not keep up.
"""

from __future__ import annotations

import re

SCHEMA_VERSION = 1
"""The schema version this release writes and reads."""

# {real} is the engine's floating-point type; every other type is common to both.
TABLES = (
    """CREATE TABLE IF NOT EXISTS trust_counters (
        name TEXT PRIMARY KEY,
        value BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS trust_postures (
        agent_id TEXT PRIMARY KEY,
        posture TEXT NOT NULL,
        version BIGINT NOT NULL,
        epoch BIGINT NOT NULL)""",
    # What `changes_since` reads: the rows changed after an epoch.
    "CREATE INDEX IF NOT EXISTS trust_postures_epoch ON trust_postures (epoch)",
    """CREATE TABLE IF NOT EXISTS trust_history (
        agent_id TEXT NOT NULL,
        version BIGINT NOT NULL,
        from_posture TEXT NOT NULL,
        to_posture TEXT NOT NULL,
        kind TEXT NOT NULL,
        reason TEXT NOT NULL,
        requester_id TEXT,
        at TEXT NOT NULL,
        op_id TEXT,
        detail TEXT NOT NULL,
        PRIMARY KEY (agent_id, version),
        UNIQUE (agent_id, op_id))""",
    """CREATE TABLE IF NOT EXISTS trust_breakers (
        key TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        generation BIGINT NOT NULL,
        opened_at {real},
        displaced_posture TEXT,
        displaced_version BIGINT)""",
    """CREATE TABLE IF NOT EXISTS trust_probes (
        key TEXT NOT NULL,
        generation BIGINT NOT NULL,
        slot INTEGER NOT NULL,
        holder TEXT NOT NULL,
        expires_at {real} NOT NULL,
        PRIMARY KEY (key, generation, slot))""",
    """CREATE TABLE IF NOT EXISTS trust_audit (
        sequence BIGINT PRIMARY KEY,
        previous_hash TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        payload TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS trust_audit_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        next_sequence BIGINT NOT NULL,
        head TEXT NOT NULL)""",
)

TABLE_NAMES = frozenset(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", "\n".join(TABLES)))
"""The tables a store of this version holds besides ``trust_meta``."""

META = """CREATE TABLE IF NOT EXISTS trust_meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL)"""

# Rows every store starts with; written once, with the schema.
SEED = (
    ("INSERT INTO trust_counters (name, value) VALUES ('epoch', 0)", ()),
    ("INSERT INTO trust_audit_head (id, next_sequence, head) VALUES (1, 0, ?)", ("0" * 64,)),
    ("INSERT INTO trust_meta (name, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)),
)

# The audit table refuses updates and deletes: the chain is append-only. Someone with
# the rights to drop the trigger can still edit it; `verify_audit_chain` shows that.
SQLITE_TRIGGERS = (
    """CREATE TRIGGER IF NOT EXISTS trust_audit_no_update BEFORE UPDATE ON trust_audit
    BEGIN SELECT RAISE(ABORT, 'trust_audit is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS trust_audit_no_delete BEFORE DELETE ON trust_audit
    BEGIN SELECT RAISE(ABORT, 'trust_audit is append-only'); END""",
)

POSTGRES_TRIGGERS = (
    """CREATE OR REPLACE FUNCTION trust_audit_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'trust_audit is append-only'; END $$""",
    """CREATE OR REPLACE TRIGGER trust_audit_append_only
    BEFORE UPDATE OR DELETE ON trust_audit
    FOR EACH ROW EXECUTE FUNCTION trust_audit_append_only()""",
)
