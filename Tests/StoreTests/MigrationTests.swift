import Foundation
import GRDB
@testable import Store
import HelplineDomain
import Testing

@Suite struct MigrationTests {
    @Test func aNewFileGetsEveryMigrationAndEveryTable() throws {
        let file = try TemporaryDatabase()
        let database = try HelplineDatabase(path: file.path)
        let status = try database.migrationStatus()
        #expect(status.pending.isEmpty)
        #expect(status.unknown.isEmpty)
        #expect(status.applied.first == "001 tickets and their history")
        let tables = try database.writer.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%' ORDER BY name")
        }
        #expect(tables == ["account_sessions", "accounts", "audit_log", "callbacks", "calls", "campaign_answers", "campaigns", "contacts", "feedback", "feedback_calls", "outbox", "queue_calls", "queue_log_positions", "routing_decisions", "ticket_events", "ticket_serial", "tickets"])
        #expect(try database.integrityProblems().isEmpty)
    }

    @Test func anOpenWithoutMigratingReportsWhatIsPending() throws {
        let file = try TemporaryDatabase()
        let database = try HelplineDatabase(path: file.path, migrate: false)
        #expect(try database.migrationStatus().applied.isEmpty)
        #expect(try database.migrationStatus().pending.count == 10)
        try database.migrate()
        #expect(try database.migrationStatus().pending.isEmpty)
    }

    @Test func refusesADatabaseANewerHelplineMigrated() throws {
        let file = try TemporaryDatabase()
        do {
            let database = try HelplineDatabase(path: file.path)
            try database.writer.write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('099 something from the future')")
            }
        }
        do {
            _ = try HelplineDatabase(path: file.path)
            Issue.record("opened a database from the future")
        } catch {
            #expect(error.description.contains("migrated by a newer Helpline"))
            #expect(error.description.contains("099 something from the future"))
        }
    }

    @Test func everyTicketQueryUsesAnIndex() throws {
        let database = try HelplineDatabase.inMemory()
        let queries = [
            "SELECT * FROM tickets WHERE number = '1000002'",
            "SELECT * FROM tickets WHERE call_uniqueid = 'x'",
            "SELECT * FROM tickets WHERE caller_number = '900' AND status IN ('registered','assigned','resolved','reopened','escalated') ORDER BY created_at DESC",
            "SELECT * FROM tickets WHERE department = 'water' AND status = 'assigned' AND level = 'L1' ORDER BY created_at, id LIMIT 50",
            "SELECT * FROM tickets WHERE status IN ('registered','assigned','resolved','reopened','escalated') AND due_at < '2026' ORDER BY due_at",
            "SELECT * FROM ticket_events WHERE ticket_id = 1 ORDER BY id",
            "SELECT * FROM routing_decisions WHERE call_uniqueid = 'x'",
            "SELECT * FROM routing_decisions WHERE ticket_id = 1",
            "SELECT date(created_at), department, status, COUNT(*) FROM tickets WHERE created_at >= '2026' AND created_at < '2027' GROUP BY 1, 2, 3",
            "SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= '2026' ORDER BY next_attempt_at",
            "SELECT * FROM callbacks WHERE status = 'pending' AND next_attempt_at <= '2026'",
            // The outbox sender and `helpline outbox` (Sources/Store/Outbox.swift).
            "SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= '2026' ORDER BY next_attempt_at, id LIMIT 8",
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = '2026' WHERE id = 1 RETURNING *",
            "UPDATE outbox SET status = 'sent', sent_at = '2026', last_error = NULL WHERE id = 1 AND status = 'pending'",
            "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = '2026' WHERE status = 'dead' RETURNING id",
            "SELECT status FROM outbox WHERE id = 1",
            "SELECT COUNT(*) FROM outbox WHERE status = 'pending'",
            "SELECT outbox.*, tickets.number FROM outbox LEFT JOIN tickets ON tickets.id = outbox.ticket_id WHERE outbox.status = 'dead' ORDER BY outbox.id DESC LIMIT 50",
            "SELECT outbox.*, tickets.number FROM outbox LEFT JOIN tickets ON tickets.id = outbox.ticket_id WHERE outbox.id > 0 ORDER BY outbox.id DESC LIMIT 50",
            "SELECT outbox.*, tickets.number FROM tickets JOIN outbox ON outbox.ticket_id = tickets.id WHERE tickets.number = '1000002' ORDER BY outbox.id",
            // Campaign contact lists (Sources/Store/Campaigns.swift).
            "SELECT id FROM campaigns WHERE name = 'welfare'",
            "SELECT status, COUNT(*) FROM contacts WHERE campaign_id = 1 GROUP BY status",
            "SELECT c.id FROM campaigns k JOIN contacts c ON c.campaign_id = k.id WHERE k.status = 'running' AND c.status = 'pending' AND c.next_attempt_at <= '2026' ORDER BY c.next_attempt_at, c.id LIMIT 50",
            "SELECT id, phone, data FROM contacts WHERE campaign_id = 1 ORDER BY id",
            "SELECT a.contact_id, a.question, a.answer FROM campaign_answers a JOIN contacts c ON c.id = a.contact_id WHERE c.campaign_id = 1",
            "UPDATE campaigns SET status = 'finished' WHERE id = 1 AND status = 'running' AND NOT EXISTS (SELECT 1 FROM contacts WHERE campaign_id = 1 AND status IN ('pending', 'dialling'))",
            "SELECT c.campaign_id, c.attempts, k.settings FROM contacts c JOIN campaigns k ON k.id = c.campaign_id WHERE c.id = 1",
            // Queue calls for the daily report (Sources/Store/QueueCalls.swift).
            "SELECT date(joined_at, '+19800 seconds') AS day, COALESCE(department, 'general'), COUNT(*) FROM queue_calls WHERE joined_at >= '2026' AND joined_at < '2027' GROUP BY 1, 2",
            "UPDATE queue_calls SET outcome = 'answered' WHERE pbx = 'pbx1' AND uniqueid = 'x' AND queue = 'q' AND outcome = 'waiting'",
            // The outbound scheduler (Sources/Store/OutboundCalls.swift).
            "SELECT f.id, f.phone, t.number FROM feedback_calls f JOIN tickets t ON t.id = f.ticket_id WHERE f.status = 'pending' AND f.next_attempt_at <= '2026' ORDER BY f.next_attempt_at, f.id LIMIT 50",
            "SELECT c.id, t.number FROM callbacks c LEFT JOIN tickets t ON t.id = c.ticket_id WHERE c.status = 'pending' AND c.next_attempt_at <= '2026' ORDER BY c.next_attempt_at, c.id LIMIT 50",
            "UPDATE feedback_calls SET status = 'cancelled' WHERE ticket_id = 1 AND status = 'pending'",
            "UPDATE feedback_calls SET status = 'pending' WHERE status = 'dialling'",
            "UPDATE callbacks SET status = 'pending' WHERE status = 'dialling'",
            "SELECT id FROM callbacks WHERE caller_number = '900' AND status IN ('pending', 'dialling') ORDER BY id LIMIT 1",
            "SELECT f.status FROM tickets t JOIN feedback_calls f ON f.ticket_id = t.id WHERE t.number = '1000002' ORDER BY f.id",
            // The HTTP API: every department's tickets, open counts, the daily report.
            "SELECT * FROM tickets WHERE 1 AND status = 'assigned' ORDER BY created_at, id LIMIT 50 OFFSET 0",
            "SELECT department, status, COUNT(*) FROM tickets WHERE status IN ('registered','assigned','resolved','reopened','escalated') GROUP BY department, status ORDER BY department, status",
            "SELECT date(e.at, '+19800 seconds') AS day, t.department, COUNT(*) FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id WHERE e.transition = 'resolved' AND e.at >= '2026' AND e.at < '2027' GROUP BY day, t.department",
            "SELECT date(t.due_at, '+19800 seconds') AS day, t.department, COUNT(*) FROM tickets t WHERE t.due_at >= '2026' AND t.due_at < '2027' AND t.status NOT IN ('cancelled', 'duplicate') AND NOT EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id AND e.transition = 'resolved' AND e.at <= t.due_at) GROUP BY day, t.department",
        ]
        for query in queries {
            let plan = try database.writer.read { db in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN \(query)").map { $0["detail"] as String }
            }
            #expect(plan.contains { $0.contains("USING INDEX") || $0.contains("USING COVERING INDEX") || $0.contains("INTEGER PRIMARY KEY") }, "\(query): \(plan)")
            #expect(!plan.contains { $0.hasPrefix("SCAN") && !$0.contains("INDEX") }, "\(query) scans a table: \(plan)")
        }
    }
}
