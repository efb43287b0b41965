-- What several app servers share besides the records (issue 17; app/store/shared_state.py):
-- sign-in sessions, single-use tickets, counters behind lockouts and rate limits, leases,
-- and the Progress screen's chart pages. Short-lived: every row has an end, and
-- PostgresSharedState deletes what has ended. Secrets are kept only as digests (keys).

-- One row per signed-in session; key = the digest of its token. `idle`: how long it may
-- go unused; a row unused for longer is deleted by the sweep (a tab closed for good).
CREATE TABLE shared_sessions (
    key        text PRIMARY KEY,
    account_id text NOT NULL,
    last_seen  timestamptz NOT NULL,
    idle       interval NOT NULL
);
CREATE INDEX shared_sessions_by_account ON shared_sessions (account_id);
CREATE INDEX shared_sessions_by_time ON shared_sessions (last_seen);

-- Why a session ended, read once by the tab that finds it gone.
CREATE TABLE shared_ended (
    key      text PRIMARY KEY,
    reason   text NOT NULL,
    ended_at timestamptz NOT NULL
);
CREATE INDEX shared_ended_by_time ON shared_ended (ended_at);

-- Single-use tickets and links (two-step sign-in tickets, password reset links).
CREATE TABLE shared_tickets (
    kind    text NOT NULL,
    key     text NOT NULL,
    holder  text NOT NULL,
    payload jsonb NOT NULL,
    expires timestamptz NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX shared_tickets_by_holder ON shared_tickets (kind, holder);
CREATE INDEX shared_tickets_by_expiry ON shared_tickets (expires);

-- Failures counted towards a pause (sign-in lockouts, wrong codes).
CREATE TABLE shared_strikes (
    key          text PRIMARY KEY,
    count        integer NOT NULL CHECK (count >= 0),
    paused_until timestamptz,
    last_at      timestamptz NOT NULL
);

-- Events in a sliding window (requests per client address, wrong invitation codes).
CREATE TABLE shared_events (
    key text NOT NULL,
    at  timestamptz NOT NULL
);
CREATE INDEX shared_events_by_key ON shared_events (key, at);
CREATE INDEX shared_events_by_time ON shared_events (at);

-- A lease: one process does a job (the reminders' delivery) until `expires`.
CREATE TABLE shared_leases (
    name    text PRIMARY KEY,
    holder  text NOT NULL,
    expires timestamptz NOT NULL
);

-- Pages under the digest of an unguessable token (the Progress screen's chart frame and its
-- data).
CREATE TABLE shared_pages (
    key     text PRIMARY KEY,
    body    bytea NOT NULL,
    state   text NOT NULL,
    data    bytea NOT NULL,
    holder  jsonb NOT NULL,
    expires timestamptz NOT NULL
);
CREATE INDEX shared_pages_by_expiry ON shared_pages (expires);
