import GRDB

/// The database schema as named GRDB migrations.
///
/// A migration is never edited once it has shipped: a change to the schema is a new
/// migration appended at the end. ``HelplineDatabase`` runs the pending ones on open and
/// refuses a file that carries a migration this build does not know (a newer Helpline wrote it).
enum Schema {
    /// The first ticket serial. Numbers are serial plus a check digit, so the first ticket is
    /// 1000002 and numbers stay seven digits long for the first 900,000 complaints.
    static let firstSerial: Int64 = 100_000

    /// The SQL `IN` list of open statuses. Spelled out, not derived from ``TicketStatus``: the
    /// migrations that use it must never change once shipped.
    static let openStatuses = "('registered','assigned','resolved','reopened','escalated')"

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()

        migrator.registerMigration("001 tickets and their history") { db in
            try db.execute(sql: """
                CREATE TABLE ticket_serial (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    next INTEGER NOT NULL
                );
                INSERT INTO ticket_serial (id, next) VALUES (1, \(firstSerial));

                CREATE TABLE tickets (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    number TEXT NOT NULL UNIQUE,
                    created_at DATETIME NOT NULL,
                    updated_at DATETIME NOT NULL,
                    source TEXT NOT NULL CHECK (source IN ('ivr', 'api', 'outbound')),
                    caller_number TEXT NOT NULL,
                    caller_name TEXT,
                    language TEXT NOT NULL,
                    district TEXT,
                    department TEXT NOT NULL,
                    category TEXT,
                    description_recording TEXT,
                    description_text TEXT,
                    status TEXT NOT NULL CHECK (status IN ('registered', 'assigned', 'resolved', 'reopened', 'escalated', 'closed', 'cancelled', 'duplicate')),
                    level TEXT NOT NULL CHECK (level IN ('L1', 'L2')),
                    reopen_count INTEGER NOT NULL DEFAULT 0 CHECK (reopen_count >= 0),
                    assigned_officer TEXT,
                    due_at DATETIME,
                    resolved_at DATETIME,
                    closed_at DATETIME,
                    call_uniqueid TEXT UNIQUE,
                    duplicate_of TEXT
                );
                CREATE INDEX tickets_by_caller ON tickets (caller_number, status);
                CREATE INDEX tickets_by_department ON tickets (department, status, level, created_at, id);
                CREATE INDEX tickets_overdue ON tickets (due_at) WHERE status IN \(openStatuses);
                CREATE INDEX tickets_by_day ON tickets (created_at, department, status);

                CREATE TABLE ticket_events (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
                    at DATETIME NOT NULL,
                    transition TEXT NOT NULL,
                    from_status TEXT,
                    to_status TEXT NOT NULL,
                    level TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    note TEXT
                );
                CREATE INDEX ticket_events_by_ticket ON ticket_events (ticket_id, id);
                CREATE TRIGGER ticket_events_append_only BEFORE UPDATE ON ticket_events
                BEGIN
                    SELECT RAISE(ABORT, 'ticket_events is append-only');
                END;

                CREATE TABLE feedback (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
                    at DATETIME NOT NULL,
                    level TEXT NOT NULL,
                    satisfied BOOLEAN NOT NULL,
                    call_uniqueid TEXT,
                    answer TEXT
                );
                CREATE INDEX feedback_by_ticket ON feedback (ticket_id);
                """)
        }

        migrator.registerMigration("002 calls and routing decisions") { db in
            try db.execute(sql: """
                CREATE TABLE calls (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    uniqueid TEXT NOT NULL UNIQUE,
                    linkedid TEXT,
                    caller TEXT,
                    dnid TEXT,
                    language TEXT,
                    script TEXT,
                    path TEXT NOT NULL DEFAULT '[]',
                    outcome TEXT,
                    started_at DATETIME NOT NULL,
                    queued_at DATETIME,
                    ended_at DATETIME
                );
                CREATE INDEX calls_by_start ON calls (started_at);
                CREATE INDEX calls_by_linkedid ON calls (linkedid);

                CREATE TABLE routing_decisions (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    call_uniqueid TEXT,
                    ticket_id INTEGER REFERENCES tickets (id) ON DELETE SET NULL,
                    decided_at DATETIME NOT NULL,
                    inputs TEXT NOT NULL,
                    outcome TEXT NOT NULL,
                    department TEXT,
                    queue TEXT,
                    priority INTEGER,
                    reasons TEXT NOT NULL DEFAULT '[]'
                );
                CREATE INDEX routing_decisions_by_call ON routing_decisions (call_uniqueid);
                CREATE INDEX routing_decisions_by_ticket ON routing_decisions (ticket_id);
                """)
        }

        migrator.registerMigration("003 outbox, callbacks and campaigns") { db in
            try db.execute(sql: """
                CREATE TABLE outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    kind TEXT NOT NULL CHECK (kind IN ('sms', 'webhook')),
                    ticket_id INTEGER REFERENCES tickets (id) ON DELETE SET NULL,
                    destination TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    idempotency_key TEXT NOT NULL UNIQUE,
                    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at DATETIME NOT NULL,
                    last_error TEXT,
                    created_at DATETIME NOT NULL,
                    sent_at DATETIME
                );
                CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

                CREATE TABLE callbacks (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    caller_number TEXT NOT NULL,
                    ticket_id INTEGER REFERENCES tickets (id) ON DELETE SET NULL,
                    call_uniqueid TEXT,
                    department TEXT,
                    queue TEXT,
                    reason TEXT NOT NULL,
                    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'dialling', 'done', 'failed', 'cancelled')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at DATETIME NOT NULL,
                    last_result TEXT,
                    created_at DATETIME NOT NULL
                );
                CREATE INDEX callbacks_due ON callbacks (status, next_attempt_at);
                CREATE INDEX callbacks_by_caller ON callbacks (caller_number);

                CREATE TABLE campaigns (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL UNIQUE,
                    menu TEXT NOT NULL,
                    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'running', 'paused', 'finished')),
                    created_at DATETIME NOT NULL,
                    settings TEXT NOT NULL DEFAULT '{}'
                );

                CREATE TABLE contacts (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
                    phone TEXT NOT NULL,
                    name TEXT,
                    language TEXT,
                    district TEXT,
                    data TEXT NOT NULL DEFAULT '{}',
                    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'dialling', 'done', 'failed', 'skipped')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at DATETIME,
                    last_result TEXT,
                    UNIQUE (campaign_id, phone)
                );
                CREATE INDEX contacts_due ON contacts (campaign_id, status, next_attempt_at);
                """)
        }
        migrator.registerMigration("004 outbox by ticket and by status") { db in
            // A ticket's messages (`helpline tickets resolve`, and the foreign key's ON DELETE),
            // and `helpline outbox list --status S`, newest first, without sorting every sent message.
            try db.execute(sql: """
                CREATE INDEX outbox_by_ticket ON outbox (ticket_id);
                CREATE INDEX outbox_by_status ON outbox (status, id);
                """)
        }
        // For the HTTP API's figures: open tickets counted by status and department (metrics),
        // transitions per day (reports), and due times of every ticket (the daily overdue count).
        migrator.registerMigration("005 tickets by status, events by transition, due times") { db in
            try db.execute(sql: """
                CREATE INDEX tickets_by_status ON tickets (status, department);
                CREATE INDEX tickets_by_due ON tickets (due_at, department);
                CREATE INDEX ticket_events_by_transition ON ticket_events (transition, at);
                """)
        }
        migrator.registerMigration("006 feedback calls") { db in
            // The call owed to the citizen after each resolution (one per resolution event); the
            // scheduler claims it (`dialling`) before it originates the call.
            try db.execute(sql: """
                CREATE TABLE feedback_calls (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
                    resolution_event_id INTEGER NOT NULL UNIQUE,
                    phone TEXT NOT NULL,
                    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'dialling', 'done', 'failed', 'cancelled')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at DATETIME NOT NULL,
                    last_result TEXT,
                    created_at DATETIME NOT NULL
                );
                CREATE INDEX feedback_calls_due ON feedback_calls (status, next_attempt_at);
                CREATE INDEX feedback_calls_by_ticket ON feedback_calls (ticket_id, status);
                """)
        }
        migrator.registerMigration("007 campaign answers") { db in
            // What a contact answered, one row per question (the menu's `answers`, in its order:
            // `position` orders the report's columns); the running campaigns' due contacts.
            try db.execute(sql: """
                CREATE TABLE campaign_answers (
                    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
                    question TEXT NOT NULL,
                    position INTEGER NOT NULL,
                    answer TEXT NOT NULL,
                    call_uniqueid TEXT,
                    answered_at DATETIME NOT NULL,
                    PRIMARY KEY (contact_id, question)
                );
                CREATE INDEX campaigns_by_status ON campaigns (status);
                """)
        }
        migrator.registerMigration("008 queue calls") { db in
            // Every caller who joined a department's queue, from AMI's QueueCallerJoin,
            // AgentConnect, AgentComplete and QueueCallerAbandon: the daily report's calls
            // offered, answered and abandoned, service level, wait and talk times.
            try db.execute(sql: """
                CREATE TABLE queue_calls (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    pbx TEXT NOT NULL,
                    uniqueid TEXT NOT NULL,
                    queue TEXT NOT NULL,
                    department TEXT,
                    caller_number TEXT,
                    joined_at DATETIME NOT NULL,
                    outcome TEXT NOT NULL DEFAULT 'waiting' CHECK (outcome IN ('waiting', 'answered', 'abandoned')),
                    wait_seconds INTEGER,
                    talk_seconds INTEGER,
                    member TEXT,
                    UNIQUE (pbx, uniqueid, queue)
                );
                CREATE INDEX queue_calls_by_day ON queue_calls (joined_at, department);
                """)
        }
        migrator.registerMigration("009 queue calls that left unanswered, and the queue_log read") { db in
            // `left`: the caller left the queue unanswered (app_queue's EXITWITHTIMEOUT,
            // EXITEMPTY, EXITWITHKEY), which only queue_log tells. SQLite cannot change a CHECK
            // constraint, so the table is copied into one that allows it.
            // `queue_log_positions`: how far each PBX's queue_log has been read, and which
            // file (device and inode) that offset belongs to.
            try db.execute(sql: """
                CREATE TABLE queue_calls_new (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    pbx TEXT NOT NULL,
                    uniqueid TEXT NOT NULL,
                    queue TEXT NOT NULL,
                    department TEXT,
                    caller_number TEXT,
                    joined_at DATETIME NOT NULL,
                    outcome TEXT NOT NULL DEFAULT 'waiting' CHECK (outcome IN ('waiting', 'answered', 'abandoned', 'left')),
                    wait_seconds INTEGER,
                    talk_seconds INTEGER,
                    member TEXT,
                    UNIQUE (pbx, uniqueid, queue)
                );
                INSERT INTO queue_calls_new SELECT * FROM queue_calls;
                DROP TABLE queue_calls;
                ALTER TABLE queue_calls_new RENAME TO queue_calls;
                CREATE INDEX queue_calls_by_day ON queue_calls (joined_at, department);
                CREATE TABLE queue_log_positions (
                    pbx TEXT PRIMARY KEY,
                    file TEXT NOT NULL,
                    offset INTEGER NOT NULL,
                    read_at DATETIME NOT NULL
                );
                """)
        }
        migrator.registerMigration("010 accounts, their sessions and the audit log") { db in
            // People's accounts (the password as a bcrypt hash), their signed-in sessions (the
            // SHA-256 of the cookie's token, never the token), and who changed which account.
            try db.execute(sql: """
                CREATE TABLE accounts (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    login TEXT NOT NULL UNIQUE,
                    name TEXT NOT NULL,
                    password_hash TEXT NOT NULL,
                    role TEXT NOT NULL CHECK (role IN ('agent', 'supervisor', 'officer', 'monitor', 'administrator')),
                    department TEXT,
                    districts TEXT NOT NULL DEFAULT '[]',
                    level TEXT CHECK (level IN ('L1', 'L2')),
                    disabled_at DATETIME,
                    created_at DATETIME NOT NULL,
                    password_changed_at DATETIME NOT NULL
                );
                CREATE TABLE account_sessions (
                    token_sha256 TEXT PRIMARY KEY,
                    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
                    csrf TEXT NOT NULL,
                    created_at DATETIME NOT NULL,
                    last_seen_at DATETIME NOT NULL,
                    expires_at DATETIME NOT NULL
                );
                CREATE INDEX account_sessions_by_account ON account_sessions (account_id);
                CREATE TABLE audit_log (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at DATETIME NOT NULL,
                    actor TEXT NOT NULL,
                    action TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    detail TEXT NOT NULL
                );
                CREATE INDEX audit_log_by_subject ON audit_log (subject, at);
                """)
        }
        return migrator
    }
}
