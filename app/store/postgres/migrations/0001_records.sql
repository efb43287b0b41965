-- BackTrack's records (issue 17): every version ever saved, and each record's latest one.
-- The same contract as the embedded journal (app/store/interfaces.py), kept by the database.

-- Every version of every record, in the order the store accepted them (seq). Nothing is
-- updated here; a purge (erasure on request) deletes a patient's rows.
CREATE TABLE versions (
    seq      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind     text    NOT NULL CHECK (kind <> ''),
    id       text    NOT NULL CHECK (id <> ''),
    version  integer NOT NULL CHECK (version >= 1),
    owner    text,
    saved_at text    NOT NULL,  -- ISO-8601 UTC, exactly as written (imports keep theirs)
    deleted  boolean NOT NULL DEFAULT false,
    data     jsonb   NOT NULL CHECK (jsonb_typeof(data) = 'object'),
    CONSTRAINT one_version_once UNIQUE (kind, id, version)
);
-- A patient's export and erasure (owner_history, purge_owner).
CREATE INDEX versions_by_owner ON versions (owner, seq);

-- One row per record: where its newest version is, and what find() filters on. first_seq
-- (its first version's seq) keeps find() in first-save order; the row is also what a save
-- locks (SELECT ... FOR UPDATE) so two savers of one record take turns.
CREATE TABLE latest (
    kind      text    NOT NULL,
    id        text    NOT NULL,
    first_seq bigint  NOT NULL,
    seq       bigint  NOT NULL,  -- the newest version's row in versions
    version   integer NOT NULL CHECK (version >= 1),
    owner     text,
    deleted   boolean NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX latest_by_kind ON latest (kind, first_seq);
CREATE INDEX latest_by_owner ON latest (kind, owner, first_seq);
CREATE INDEX latest_owner ON latest (owner);
