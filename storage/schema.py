"""Schema history. Append new migrations; never edit an applied one."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("symbl_slack_bot")


@migrations()
def m001_recordings(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE recordings (
            id INTEGER PRIMARY KEY,
            team_id TEXT NOT NULL,
            channel_id TEXT NOT NULL,
            source TEXT NOT NULL,          -- the Slack file id (F…) or the URL
            message_ts TEXT NOT NULL,      -- the message that carried it
            thread_ts TEXT NOT NULL,       -- where replies go: the message's thread, or the message itself
            user_id TEXT,
            kind TEXT NOT NULL,            -- 'file' or 'url'
            name TEXT,
            download_url TEXT,
            mimetype TEXT,
            size INTEGER,
            duration_ms INTEGER,
            state TEXT NOT NULL,
            next_poll_at REAL,             -- epoch seconds; NULL once finished
            attempts INTEGER NOT NULL DEFAULT 0,
            polls INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            status_ts TEXT,
            status_stage TEXT,
            summary_ts TEXT,
            summary_started_at REAL,       -- set before the first post attempt: a restart then searches the
                                           -- thread
            conversation_id TEXT,
            job_id TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        )
        """
    )
    db.execute("CREATE UNIQUE INDEX recordings_key ON recordings (team_id, channel_id, source, message_ts)")
    db.execute("CREATE INDEX recordings_due ON recordings (state, next_poll_at)")
    db.execute("CREATE INDEX recordings_job ON recordings (job_id)")


@migrations()
def m002_conversations(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE conversations (
            conversation_id TEXT PRIMARY KEY,
            recording_id INTEGER REFERENCES recordings(id),
            team_id TEXT NOT NULL,
            channel_id TEXT NOT NULL,
            name TEXT,
            insights TEXT NOT NULL,        -- JSON: messages, topics, questions, actionItems, followUps,
                                           -- members
            fetched_at REAL NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX conversations_channel ON conversations (team_id, channel_id, fetched_at)")


@migrations()
def m003_commands(db: Database) -> None:
    """Issue 5: appends, action-item state, handled mentions and the search index."""
    # An appended recording extends this conversation instead of starting one; its row runs the same states.
    db.execute("ALTER TABLE recordings ADD COLUMN append_to TEXT")
    db.execute("CREATE INDEX recordings_thread ON recordings (team_id, channel_id, thread_ts)")
    db.execute("CREATE INDEX recordings_conversation ON recordings (conversation_id)")
    db.execute(
        """
        CREATE TABLE action_item_state (
            conversation_id TEXT NOT NULL,
            item_key TEXT NOT NULL,        -- stable across re-extraction: a hash of the item's normalised
                                           -- text
            done_by TEXT,
            done_at REAL,
            PRIMARY KEY (conversation_id, item_key)
        )
        """
    )
    # Mentions are answered once however often Slack delivers them (and app_mention + message twins).
    db.execute("CREATE TABLE handled_mentions (key TEXT PRIMARY KEY, at REAL NOT NULL)")
    db.execute(
        """
        CREATE TABLE conversation_text (
            conversation_id TEXT PRIMARY KEY,
            team_id TEXT NOT NULL,
            channel_id TEXT NOT NULL,
            title TEXT,
            transcript TEXT,
            insights TEXT,
            indexed_at REAL NOT NULL       -- compared with conversations.fetched_at to find stale entries
        )
        """
    )
    db.table("conversation_text").enable_fts(
        ["title", "transcript", "insights"], fts_version="FTS5", tokenize="porter", create_triggers=True
    )


@migrations()
def m004_summary_parts(db: Database) -> None:
    # Where each part of a posted summary is, so editing it needs no conversations.replies (1 call a minute
    # for apps outside the Marketplace). Part 1 is also recordings.summary_ts.
    db.execute(
        """
        CREATE TABLE summary_parts (
            recording_id INTEGER NOT NULL,
            part INTEGER NOT NULL,
            ts TEXT NOT NULL,
            PRIMARY KEY (recording_id, part)
        )
        """
    )
    # Set before the status message is first posted: a retry after a lost answer searches the thread first.
    db.execute("ALTER TABLE recordings ADD COLUMN status_started_at REAL")
    # A claimed mention keeps what answering it needs until it is answered: a crash in between is answered
    # by the scheduler (bot: handlers.mentions.answer_leftovers), not forgotten.
    db.execute("ALTER TABLE handled_mentions ADD COLUMN request TEXT")
    db.execute("ALTER TABLE handled_mentions ADD COLUMN answered_at REAL")
    # Files an event only named (file_shared, Slack Connect check_file_info stubs): written before the ack,
    # resolved through files.info after it, or by the scheduler after a crash in between.
    db.execute(
        """
        CREATE TABLE pending_files (
            team_id TEXT NOT NULL,
            channel_id TEXT NOT NULL,
            file_id TEXT NOT NULL,
            message_ts TEXT,               -- the sharing message if the event says (stubs), else files.info's
            thread_ts TEXT,
            user_id TEXT,
            created_at REAL NOT NULL,
            PRIMARY KEY (team_id, channel_id, file_id)
        )
        """
    )


@migrations()
def m005_leases(db: Database) -> None:
    """Issue 22: which worker steps a row, until when (storage.leases); housekeeping runs, claimed."""
    db.execute("ALTER TABLE recordings ADD COLUMN lease_owner TEXT")
    db.execute("ALTER TABLE recordings ADD COLUMN lease_until REAL")
    db.execute("CREATE TABLE housekeeping (job TEXT PRIMARY KEY, next_run_at REAL NOT NULL)")


@migrations()
def m006_slack_oauth(db: Database) -> None:
    """Issue 22: Slack installations and OAuth states beside the bot's rows (storage.slack_oauth)."""
    for statement in SLACK_OAUTH_TABLES:
        db.execute(statement)


@migrations()
def m007_speaker_names(db: Database) -> None:
    """Issue 25: who a conversation's speaker is in Slack, as people named them ("Fix speakers")."""
    db.execute(SPEAKER_NAMES_TABLE)


# The same in both dialects (storage.postgres_schema uses it too): `data` is the slack-sdk model as JSON,
# the key columns hold '' for "none" so that equality finds them.
SLACK_OAUTH_TABLES = (
    """
    CREATE TABLE slack_installations (
        client_id TEXT NOT NULL, enterprise_id TEXT NOT NULL, team_id TEXT NOT NULL, user_id TEXT NOT NULL,
        installed_at DOUBLE PRECISION NOT NULL, data TEXT NOT NULL
    )
    """,
    "CREATE INDEX slack_installations_key ON slack_installations "
    "(client_id, enterprise_id, team_id, installed_at)",
    """
    CREATE TABLE slack_bots (
        client_id TEXT NOT NULL, enterprise_id TEXT NOT NULL, team_id TEXT NOT NULL,
        installed_at DOUBLE PRECISION NOT NULL, data TEXT NOT NULL
    )
    """,
    "CREATE INDEX slack_bots_key ON slack_bots (client_id, enterprise_id, team_id, installed_at)",
    "CREATE TABLE slack_oauth_states (state TEXT PRIMARY KEY, expire_at DOUBLE PRECISION NOT NULL)",
)

# The same in both dialects. `name` is the name the provider was given for the member (the Slack user's real
# name then): an insight from a host that copies names but not member ids is still matched by it.
SPEAKER_NAMES_TABLE = """
    CREATE TABLE speaker_names (
        conversation_id TEXT NOT NULL,
        member_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        name TEXT NOT NULL,
        named_by TEXT NOT NULL,
        named_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (conversation_id, member_id)
    )
"""
