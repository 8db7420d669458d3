#pragma once
// The ERP's database: its own tables, as they were before Nudge came along,
// and the few tables the integration adds next to them (prefixed nudge_).
// The ERP's tables are never altered; README.md has the mapping.

namespace erp {

/// "Acme ERP": the host's existing schema. Datetimes are ISO-8601 UTC text,
/// money in minor units with a currency code, statuses are the ERP's own words.
inline constexpr const char* erp_schema = R"sql(
CREATE TABLE IF NOT EXISTS employee (
  emp_no      INTEGER PRIMARY KEY,
  full_name   TEXT    NOT NULL,
  work_email  TEXT    NOT NULL DEFAULT '',
  work_phone  TEXT    NOT NULL DEFAULT '',
  reports_to  INTEGER,                          -- emp_no of the line manager
  is_active   INTEGER NOT NULL DEFAULT 1,
  department  TEXT    NOT NULL DEFAULT 'Sales'
);
CREATE TABLE IF NOT EXISTS absence (            -- vacations, sick leave
  emp_no      INTEGER NOT NULL,
  line_no     INTEGER NOT NULL,
  date_from   TEXT    NOT NULL,                 -- YYYY-MM-DD, inclusive
  date_to     TEXT    NOT NULL,
  kind        TEXT    NOT NULL DEFAULT 'vacation',
  PRIMARY KEY (emp_no, line_no)
);
CREATE TABLE IF NOT EXISTS counterparty (
  cp_id           INTEGER PRIMARY KEY,
  legal_name      TEXT    NOT NULL,
  account_manager INTEGER NOT NULL,             -- emp_no
  party_type      TEXT    NOT NULL CHECK (party_type IN ('company', 'person')),
  registered_at   TEXT    NOT NULL,
  email           TEXT    NOT NULL DEFAULT '',
  phone           TEXT    NOT NULL DEFAULT '',
  time_zone       TEXT    NOT NULL DEFAULT '',
  language        TEXT    NOT NULL DEFAULT '',
  key_account     INTEGER NOT NULL DEFAULT 0    -- key accounts are never handed to someone else
);
CREATE INDEX IF NOT EXISTS counterparty_by_manager ON counterparty(account_manager, cp_id);
CREATE TABLE IF NOT EXISTS counterparty_group (  -- market segments, the first is the main one
  cp_id       INTEGER NOT NULL,
  line_no     INTEGER NOT NULL,
  group_code  TEXT    NOT NULL,
  PRIMARY KEY (cp_id, line_no)
);
CREATE TABLE IF NOT EXISTS interaction_log (
  entry_no          INTEGER PRIMARY KEY,
  cp_id             INTEGER NOT NULL,
  emp_no            INTEGER,                    -- NULL: nobody in particular (a web form, a robot)
  channel           TEXT    NOT NULL,           -- PHONE_IN, PHONE_OUT, PHONE_MISSED, EMAIL, VISIT, CHAT, NOTE, DOCUMENT, or the ERP's own
  happened_at       TEXT    NOT NULL,
  result            TEXT    NOT NULL DEFAULT '', -- '', REACHED, NO_ANSWER, DECLINED, DONE
  counts_as_contact TEXT,                       -- NULL: by channel; 'Y' / 'N': forced
  summary           TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS interaction_by_party ON interaction_log(cp_id, happened_at, entry_no);
CREATE TABLE IF NOT EXISTS opportunity (
  opp_no           INTEGER PRIMARY KEY,
  cp_id            INTEGER NOT NULL,
  salesperson      INTEGER NOT NULL,
  sales_process    TEXT    NOT NULL,
  phase            TEXT    NOT NULL,
  revenue_minor    INTEGER NOT NULL,
  currency_code    TEXT    NOT NULL,
  win_probability  REAL    NOT NULL,
  opened_at        TEXT    NOT NULL,
  phase_since      TEXT    NOT NULL,
  state            TEXT    NOT NULL CHECK (state IN ('OPEN', 'WON', 'LOST')),
  lost_reason      TEXT    NOT NULL DEFAULT '',
  closed_at        TEXT
);
CREATE INDEX IF NOT EXISTS opportunity_by_party ON opportunity(cp_id, opp_no);
CREATE INDEX IF NOT EXISTS opportunity_open ON opportunity(opp_no) WHERE state = 'OPEN';
CREATE TABLE IF NOT EXISTS opportunity_phase_log (
  opp_no      INTEGER NOT NULL,
  line_no     INTEGER NOT NULL,
  phase       TEXT    NOT NULL,
  entered_at  TEXT    NOT NULL,
  left_at     TEXT,
  PRIMARY KEY (opp_no, line_no)
);
CREATE TABLE IF NOT EXISTS opportunity_hold (
  opp_no      INTEGER NOT NULL,
  line_no     INTEGER NOT NULL,
  hold_from   TEXT    NOT NULL,
  hold_to     TEXT,
  reason      TEXT    NOT NULL DEFAULT '',
  PRIMARY KEY (opp_no, line_no)
);
CREATE TABLE IF NOT EXISTS todo (
  todo_no      INTEGER PRIMARY KEY,
  cp_id        INTEGER NOT NULL,
  opp_no       INTEGER,
  assigned_to  INTEGER NOT NULL,
  created_by   INTEGER,
  subject      TEXT    NOT NULL,
  start_at     TEXT,
  deadline     TEXT    NOT NULL,
  status       TEXT    NOT NULL CHECK (status IN ('NEW', 'IN_WORK', 'DONE', 'CANCELLED')),
  created_at   TEXT    NOT NULL,
  finished_at  TEXT,
  follows_todo INTEGER,                         -- the to-do this one was created from
  source       TEXT    NOT NULL DEFAULT ''      -- who generated it ('' = a person)
);
CREATE INDEX IF NOT EXISTS todo_by_party ON todo(cp_id, todo_no);
CREATE INDEX IF NOT EXISTS todo_by_opportunity ON todo(opp_no, status, finished_at);
CREATE INDEX IF NOT EXISTS todo_open ON todo(todo_no) WHERE status IN ('NEW', 'IN_WORK');
CREATE TABLE IF NOT EXISTS bill (
  bill_no       INTEGER PRIMARY KEY,
  cp_id         INTEGER NOT NULL,
  opp_no        INTEGER,
  total_minor   INTEGER NOT NULL,
  currency_code TEXT    NOT NULL,
  bill_date     TEXT    NOT NULL,
  pay_by        TEXT    NOT NULL,
  settled_at    TEXT
);
CREATE INDEX IF NOT EXISTS bill_by_party ON bill(cp_id, bill_no);
CREATE INDEX IF NOT EXISTS bill_unsettled ON bill(bill_no) WHERE settled_at IS NULL;
CREATE TABLE IF NOT EXISTS bill_payment (
  bill_no      INTEGER NOT NULL,
  line_no      INTEGER NOT NULL,
  paid_at      TEXT    NOT NULL,
  amount_minor INTEGER NOT NULL,
  PRIMARY KEY (bill_no, line_no)
);
CREATE TABLE IF NOT EXISTS mail_queue (         -- the ERP's own mailer picks these up
  mail_id     INTEGER PRIMARY KEY AUTOINCREMENT,
  recipient   TEXT    NOT NULL,
  subject     TEXT    NOT NULL,
  body        TEXT    NOT NULL,
  queued_at   TEXT    NOT NULL,
  sent_at     TEXT
);
)sql";

/// What the integration adds: facts the ERP has no column for, and Nudge's
/// own records (exactly-once keys, audit, outbox).
inline constexpr const char* integration_schema = R"sql(
CREATE TABLE IF NOT EXISTS nudge_employee (     -- present once Nudge has written the employee
  emp_no    INTEGER PRIMARY KEY,
  capacity  INTEGER NOT NULL DEFAULT 0,
  weight    REAL    NOT NULL DEFAULT 1.0
);
CREATE TABLE IF NOT EXISTS nudge_employee_segment (
  emp_no    INTEGER NOT NULL,
  line_no   INTEGER NOT NULL,
  segment   TEXT    NOT NULL,
  PRIMARY KEY (emp_no, line_no)
);
CREATE TABLE IF NOT EXISTS nudge_label (
  subject_kind TEXT    NOT NULL CHECK (subject_kind IN ('client', 'deal')),
  subject_id   INTEGER NOT NULL,
  label        TEXT    NOT NULL,
  note         TEXT    NOT NULL DEFAULT '',
  PRIMARY KEY (subject_kind, subject_id, label)
);
CREATE TABLE IF NOT EXISTS nudge_action_key (
  action_key TEXT PRIMARY KEY,
  claimed_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS nudge_audit (
  audit_no     INTEGER PRIMARY KEY AUTOINCREMENT,
  at           INTEGER NOT NULL,
  action_key   TEXT    NOT NULL,
  rule         TEXT    NOT NULL,
  subject_kind TEXT    NOT NULL,
  subject_id   INTEGER NOT NULL,
  action       TEXT    NOT NULL,
  explanation  TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS nudge_audit_by_subject ON nudge_audit(subject_kind, subject_id, audit_no);
CREATE TABLE IF NOT EXISTS nudge_audit_fact (
  audit_no   INTEGER NOT NULL,
  line_no    INTEGER NOT NULL,
  name       TEXT    NOT NULL,
  type       TEXT    NOT NULL CHECK (type IN ('int', 'real', 'text', 'instant')),
  value,                                         -- INTEGER, REAL or TEXT by type
  PRIMARY KEY (audit_no, line_no)
);
CREATE TABLE IF NOT EXISTS nudge_outbox (
  outbox_no      INTEGER PRIMARY KEY AUTOINCREMENT,
  message_key    TEXT    NOT NULL UNIQUE,
  channel        TEXT    NOT NULL,
  custom_channel TEXT    NOT NULL DEFAULT '',
  to_kind        TEXT    NOT NULL,
  to_id          INTEGER NOT NULL,
  address        TEXT    NOT NULL DEFAULT '',
  to_name        TEXT    NOT NULL DEFAULT '',
  template_id    TEXT    NOT NULL DEFAULT '',
  locale         TEXT    NOT NULL DEFAULT '',
  subject        TEXT    NOT NULL DEFAULT '',
  body           TEXT    NOT NULL DEFAULT '',
  created        INTEGER NOT NULL,
  not_before     INTEGER,
  status         TEXT    NOT NULL DEFAULT 'pending',
  attempts       INTEGER NOT NULL DEFAULT 0,
  last_error     TEXT    NOT NULL DEFAULT '',
  next_attempt   INTEGER,
  delivered_at   INTEGER
);
CREATE INDEX IF NOT EXISTS nudge_outbox_pending ON nudge_outbox(outbox_no) WHERE status = 'pending';
)sql";

}  // namespace erp
