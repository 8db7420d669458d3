#pragma once
// The SQLite schema as forward migrations. migrations[v] takes a file from
// PRAGMA user_version v to v + 1; a released step is never edited, only
// followed by a new one. Private to the adapter.
//
// Conventions: instants are INTEGER Unix seconds (UTC), dates INTEGER days
// since 1970-01-01, money INTEGER cents + TEXT currency, enums TEXT by their
// to_string() names (the file stays readable with the sqlite3 shell). Lists
// inside an entity (segments, leave, history, holds, payments, facts) are child
// tables keyed (parent, seq) WITHOUT ROWID, so a parent's rows sit together.

#include <array>

namespace nudge::detail::sqlite_schema {

inline constexpr const char* v1 = R"sql(
CREATE TABLE managers (
  id          INTEGER PRIMARY KEY,
  name        TEXT    NOT NULL,
  supervisor  INTEGER REFERENCES managers(id),
  active      INTEGER NOT NULL,
  capacity    INTEGER NOT NULL,
  weight      REAL    NOT NULL,
  email       TEXT    NOT NULL,
  phone       TEXT    NOT NULL
);
CREATE TABLE manager_leave (
  manager_id  INTEGER NOT NULL REFERENCES managers(id),
  seq         INTEGER NOT NULL,
  first_day   INTEGER NOT NULL,
  last_day    INTEGER NOT NULL,
  PRIMARY KEY (manager_id, seq)
) WITHOUT ROWID;
CREATE TABLE manager_segments (
  manager_id  INTEGER NOT NULL REFERENCES managers(id),
  seq         INTEGER NOT NULL,
  segment     TEXT    NOT NULL,
  PRIMARY KEY (manager_id, seq)
) WITHOUT ROWID;

CREATE TABLE clients (
  id              INTEGER PRIMARY KEY,
  name            TEXT    NOT NULL,
  owner           INTEGER NOT NULL REFERENCES managers(id),
  kind            TEXT    NOT NULL CHECK (kind IN ('B2B', 'B2C')),
  created         INTEGER NOT NULL,
  release_locked  INTEGER NOT NULL,
  email           TEXT    NOT NULL,
  phone           TEXT    NOT NULL,
  time_zone       TEXT    NOT NULL,
  locale          TEXT    NOT NULL
);
CREATE INDEX clients_by_owner ON clients(owner);
CREATE TABLE client_segments (
  client_id   INTEGER NOT NULL REFERENCES clients(id),
  seq         INTEGER NOT NULL,
  segment     TEXT    NOT NULL,
  PRIMARY KEY (client_id, seq)
) WITHOUT ROWID;
CREATE TABLE client_labels (
  client_id   INTEGER NOT NULL REFERENCES clients(id),
  label       TEXT    NOT NULL,
  note        TEXT    NOT NULL,
  PRIMARY KEY (client_id, label)
) WITHOUT ROWID;

-- Derived facts per client (ClientSummary), kept current by every write that
-- changes them, so a scan of clients never rescans activities or tasks.
-- last_<kind>: latest activity of that kind whose contact flag is by_kind.
CREATE TABLE client_summary (
  client_id            INTEGER PRIMARY KEY REFERENCES clients(id),
  last_call_in         INTEGER,
  last_call_out        INTEGER,
  last_call_missed     INTEGER,
  last_email           INTEGER,
  last_meeting         INTEGER,
  last_message         INTEGER,
  last_note            INTEGER,
  last_document        INTEGER,
  last_other           INTEGER,
  last_forced_contact  INTEGER,
  last_task_done       INTEGER,
  open_tasks           INTEGER NOT NULL DEFAULT 0,
  latest_open_due      INTEGER
);

CREATE TABLE activities (
  id           INTEGER PRIMARY KEY,
  client_id    INTEGER NOT NULL REFERENCES clients(id),
  manager_id   INTEGER REFERENCES managers(id),
  kind         TEXT    NOT NULL,
  custom_kind  TEXT    NOT NULL,
  at           INTEGER NOT NULL,
  outcome      TEXT    NOT NULL,
  contact      TEXT    NOT NULL CHECK (contact IN ('by_kind', 'yes', 'no')),
  subject      TEXT    NOT NULL
);
CREATE INDEX activities_by_client ON activities(client_id, at);

CREATE TABLE deals (
  id             INTEGER PRIMARY KEY,
  client_id      INTEGER NOT NULL REFERENCES clients(id),
  owner          INTEGER NOT NULL REFERENCES managers(id),
  pipeline       TEXT    NOT NULL,
  stage          TEXT    NOT NULL,
  amount_cents   INTEGER NOT NULL,
  currency       TEXT    NOT NULL,
  probability    REAL    NOT NULL,
  opened         INTEGER NOT NULL,
  stage_entered  INTEGER NOT NULL,
  status         TEXT    NOT NULL CHECK (status IN ('open', 'won', 'lost')),
  loss_reason    TEXT    NOT NULL,
  closed         INTEGER
);
CREATE INDEX deals_by_client ON deals(client_id);
CREATE INDEX deals_open ON deals(id) WHERE status = 'open';
CREATE INDEX deals_won ON deals(client_id, closed) WHERE status = 'won';
CREATE TABLE deal_history (
  deal_id   INTEGER NOT NULL REFERENCES deals(id),
  seq       INTEGER NOT NULL,
  stage     TEXT    NOT NULL,
  entered   INTEGER NOT NULL,
  left_at   INTEGER,
  PRIMARY KEY (deal_id, seq)
) WITHOUT ROWID;
CREATE TABLE deal_holds (
  deal_id   INTEGER NOT NULL REFERENCES deals(id),
  seq       INTEGER NOT NULL,
  from_at   INTEGER NOT NULL,
  to_at     INTEGER,
  reason    TEXT    NOT NULL,
  PRIMARY KEY (deal_id, seq)
) WITHOUT ROWID;
CREATE TABLE deal_labels (
  deal_id   INTEGER NOT NULL REFERENCES deals(id),
  label     TEXT    NOT NULL,
  note      TEXT    NOT NULL,
  PRIMARY KEY (deal_id, label)
) WITHOUT ROWID;

CREATE TABLE tasks (
  id             INTEGER PRIMARY KEY,
  client_id      INTEGER NOT NULL REFERENCES clients(id),
  deal_id        INTEGER REFERENCES deals(id),
  assignee       INTEGER NOT NULL REFERENCES managers(id),
  author         INTEGER REFERENCES managers(id),
  title          TEXT    NOT NULL,
  planned_start  INTEGER,
  due            INTEGER NOT NULL,
  state          TEXT    NOT NULL CHECK (state IN ('attention', 'in_progress', 'done', 'cancelled')),
  created        INTEGER NOT NULL,
  closed         INTEGER,
  based_on       INTEGER REFERENCES tasks(id),
  origin         TEXT    NOT NULL
);
CREATE INDEX tasks_by_client ON tasks(client_id, state);
CREATE INDEX tasks_open ON tasks(id) WHERE state IN ('attention', 'in_progress');
-- Per-deal task facts of scan_open_deals (open count, last closing) from an index.
CREATE INDEX tasks_by_deal ON tasks(deal_id, state, closed) WHERE deal_id IS NOT NULL;

CREATE TABLE invoices (
  id            INTEGER PRIMARY KEY,
  client_id     INTEGER NOT NULL REFERENCES clients(id),
  deal_id       INTEGER REFERENCES deals(id),
  amount_cents  INTEGER NOT NULL,
  currency      TEXT    NOT NULL,
  issued        INTEGER NOT NULL,
  due           INTEGER NOT NULL,
  paid          INTEGER
);
CREATE INDEX invoices_by_client ON invoices(client_id);
CREATE INDEX invoices_unpaid ON invoices(id) WHERE paid IS NULL;
CREATE INDEX invoices_paid ON invoices(client_id, paid) WHERE paid IS NOT NULL;
CREATE TABLE invoice_payments (
  invoice_id  INTEGER NOT NULL REFERENCES invoices(id),
  seq         INTEGER NOT NULL,
  at          INTEGER NOT NULL,
  cents       INTEGER NOT NULL,
  PRIMARY KEY (invoice_id, seq)
) WITHOUT ROWID;

-- Exactly-once: an action key is claimed in the same transaction as its effects.
CREATE TABLE actions (
  key  TEXT    PRIMARY KEY,
  at   INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE audit (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  at           INTEGER NOT NULL,
  action_key   TEXT    NOT NULL,
  rule         TEXT    NOT NULL,
  subject_kind TEXT    NOT NULL,
  subject_id   INTEGER NOT NULL,
  action       TEXT    NOT NULL,
  explanation  TEXT    NOT NULL
);
CREATE INDEX audit_by_subject ON audit(subject_kind, subject_id);
-- One row per fact; `value` has no type affinity so it keeps the SQLite type it
-- was bound with, and `type` says which FactValue alternative it was.
CREATE TABLE audit_facts (
  audit_id  INTEGER NOT NULL REFERENCES audit(id),
  seq       INTEGER NOT NULL,
  name      TEXT    NOT NULL,
  type      TEXT    NOT NULL CHECK (type IN ('int', 'real', 'text', 'instant')),
  value,
  PRIMARY KEY (audit_id, seq)
) WITHOUT ROWID;

-- Messages to deliver. status/attempts/last_error/next_attempt belong to the
-- notifier that drains the outbox; outbox() lists the pending ones.
CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  key             TEXT    NOT NULL,
  channel         TEXT    NOT NULL,
  custom_channel  TEXT    NOT NULL,
  to_kind         TEXT    NOT NULL,
  to_id           INTEGER NOT NULL,
  to_address      TEXT    NOT NULL,
  to_name         TEXT    NOT NULL,
  template_id     TEXT    NOT NULL,
  locale          TEXT    NOT NULL,
  subject         TEXT    NOT NULL,
  body            TEXT    NOT NULL,
  created         INTEGER NOT NULL,
  not_before      INTEGER,
  status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT    NOT NULL DEFAULT '',
  next_attempt    INTEGER
);
CREATE INDEX outbox_pending ON outbox(id) WHERE status = 'pending';
CREATE INDEX outbox_by_key ON outbox(key);
)sql";

// v2: the outbox keeps delivery state for the dispatcher (notify/dispatcher.hpp):
// statuses named like DeliveryStatus, the instant a message was delivered, and
// unique message keys. SQLite cannot change a CHECK constraint in place, so the
// table is rebuilt; of rows sharing a key (v1 did not forbid them) the first
// enqueued is kept. v1 never wrote 'sent' or 'failed'; they map to delivered
// (at its next_attempt, else its creation) and dead for completeness.
inline constexpr const char* v2 = R"sql(
CREATE TABLE outbox_v2 (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  key             TEXT    NOT NULL,
  channel         TEXT    NOT NULL,
  custom_channel  TEXT    NOT NULL,
  to_kind         TEXT    NOT NULL,
  to_id           INTEGER NOT NULL,
  to_address      TEXT    NOT NULL,
  to_name         TEXT    NOT NULL,
  template_id     TEXT    NOT NULL,
  locale          TEXT    NOT NULL,
  subject         TEXT    NOT NULL,
  body            TEXT    NOT NULL,
  created         INTEGER NOT NULL,
  not_before      INTEGER,
  status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT    NOT NULL DEFAULT '',
  next_attempt    INTEGER,
  delivered_at    INTEGER,
  CHECK ((status = 'delivered') = (delivered_at IS NOT NULL)),
  CHECK (status = 'pending' OR next_attempt IS NULL)
);
INSERT INTO outbox_v2(id, key, channel, custom_channel, to_kind, to_id, to_address, to_name, template_id, locale,
                      subject, body, created, not_before, status, attempts, last_error, next_attempt, delivered_at)
SELECT id, key, channel, custom_channel, to_kind, to_id, to_address, to_name, template_id, locale,
       subject, body, created, not_before,
       CASE status WHEN 'sent' THEN 'delivered' WHEN 'failed' THEN 'dead' ELSE 'pending' END,
       attempts, last_error,
       CASE status WHEN 'pending' THEN next_attempt END,
       CASE status WHEN 'sent' THEN coalesce(next_attempt, created) END
FROM outbox WHERE id IN (SELECT min(id) FROM outbox GROUP BY key);
DROP TABLE outbox;
ALTER TABLE outbox_v2 RENAME TO outbox;
CREATE INDEX outbox_pending ON outbox(id) WHERE status = 'pending';
CREATE UNIQUE INDEX outbox_by_key ON outbox(key);
)sql";

// v3: the CHECK constraints that list three or more values are written as OR
// chains. In a CHECK, SQLite evaluates `x IN ('a', 'b', 'c')` by building a
// temporary b-tree of the list for every row written: about 2 us, four times
// the insert itself (a third of applying a plan, whose audit facts, tasks and
// messages each meet one). `x = 'a' OR x = 'b' OR x = 'c'` is the same
// condition without it. No row changes and every row that passed passes, so
// the tables' CREATE text is edited in place, SQLite's documented way to
// change a CHECK constraint (lang_altertable.html, "Making Other Kinds Of
// Table Schema Changes"); migrate() bumps the schema cookie after it
// (edits_schema_text). A table whose text differs is left as it is.
inline constexpr const char* v3 = R"sql(
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(sql,
  'CHECK (contact IN (''by_kind'', ''yes'', ''no''))',
  'CHECK (contact = ''by_kind'' OR contact = ''yes'' OR contact = ''no'')')
WHERE type = 'table' AND name = 'activities';
UPDATE sqlite_schema SET sql = replace(sql,
  'CHECK (status IN (''open'', ''won'', ''lost''))',
  'CHECK (status = ''open'' OR status = ''won'' OR status = ''lost'')')
WHERE type = 'table' AND name = 'deals';
UPDATE sqlite_schema SET sql = replace(sql,
  'CHECK (state IN (''attention'', ''in_progress'', ''done'', ''cancelled''))',
  'CHECK (state = ''attention'' OR state = ''in_progress'' OR state = ''done'' OR state = ''cancelled'')')
WHERE type = 'table' AND name = 'tasks';
UPDATE sqlite_schema SET sql = replace(sql,
  'CHECK (type IN (''int'', ''real'', ''text'', ''instant''))',
  'CHECK (type = ''int'' OR type = ''real'' OR type = ''text'' OR type = ''instant'')')
WHERE type = 'table' AND name = 'audit_facts';
UPDATE sqlite_schema SET sql = replace(sql,
  'CHECK (status IN (''pending'', ''delivered'', ''dead''))',
  'CHECK (status = ''pending'' OR status = ''delivered'' OR status = ''dead'')')
WHERE type = 'table' AND name = 'outbox';
PRAGMA writable_schema = OFF;
)sql";

/// migrations[v]: user_version v -> v + 1.
inline constexpr std::array<const char*, 3> migrations{v1, v2, v3};
/// Whether migrations[v] edits the schema's text (writable_schema): the
/// schema cookie (PRAGMA schema_version) must then change too.
inline constexpr std::array<bool, 3> edits_schema_text{false, false, true};

/// The version a fully migrated file carries.
inline constexpr int version = static_cast<int>(migrations.size());

}  // namespace nudge::detail::sqlite_schema
