/// The OpenAPI 3.1 description of the HTTP API, served at `/api/v1/openapi.yaml`.
///
/// It lives in the source rather than as a resource file so the one static binary carries it
/// (the container image copies only the binary). A test checks that its paths and the
/// router's routes are the same set, and that every error code is listed.
public enum OpenAPIDocument {
    /// The document, YAML.
    public static let yaml = #"""
openapi: 3.1.0
info:
  title: Helpline HTTP API
  version: "1"
  summary: Tickets, live queues, seats, campaigns, reports, health and metrics of a Helpline daemon.
  description: |
    Every endpoint but /healthz, /readyz and this document needs a bearer token
    (`Authorization: Bearer TOKEN`) from the daemon's configuration (http.tokens). A token has
    a role: administrator (everything), monitor (read everything), officer (one department
    at one level: its tickets and reports; resolves and reassigns tickets at its level) or
    intake (registers web and chat complaints only). Every write is recorded in the ticket's
    history with the token's name as the actor.

    Errors answer {"error": {"code": "...", "message": "..."}}. The code is stable; the
    message is for people. Codes: invalid_request, ticket_number_mistyped,
    ticket_number_malformed, unknown_category, unknown_district, unknown_officer (400),
    unauthorized (401), forbidden (403), not_found, ticket_not_found (404), not_acceptable
    (406), invalid_transition (409), body_too_large (413), unsupported_media_type (415),
    reload_refused (422), too_many_failed_authentications (429), internal_error (500),
    no_directory (503); for seats, seat_action_failed (502) and ami_unavailable (503); for
    campaigns, campaign_not_found (404) and campaign_not_startable (409); for a ticket's
    recording, recording_not_found (404).

    Responses to officers include the citizen's full phone number (they call back); the
    daemon's logs never do (all but the last four digits are masked).
servers:
  - url: /
security:
  - bearer: []
paths:
  /healthz:
    get:
      summary: The process is up.
      security: []
      responses:
        "200":
          description: Always, while the process answers.
          content:
            application/json:
              schema: {type: object, properties: {status: {const: ok}}}
  /readyz:
    get:
      summary: Ready to take calls - database writable, every AMI endpoint connected and synced, menus and directory loaded.
      security: []
      responses:
        "200": {description: Ready., content: {application/json: {schema: {$ref: "#/components/schemas/Readiness"}}}}
        "503": {description: Not ready; the failing checks say why., content: {application/json: {schema: {$ref: "#/components/schemas/Readiness"}}}}
  /metrics:
    get:
      summary: Prometheus metrics (text exposition format). Roles administrator and monitor.
      responses:
        "200": {description: The metrics., content: {text/plain: {schema: {type: string}}}}
\#(Self.authenticationErrors)
  /api/v1/openapi.yaml:
    get:
      summary: This document.
      security: []
      responses:
        "200": {description: The OpenAPI document., content: {application/yaml: {schema: {type: string}}}}
  /api/v1/queues:
    get:
      summary: Live queues with seats and waiting callers, per PBX and merged, with each PBX's staleness. Roles administrator and monitor.
      responses:
        "200": {description: The live state., content: {application/json: {schema: {$ref: "#/components/schemas/QueuesReport"}}}}
\#(Self.authenticationErrors)
  /api/v1/tickets:
    get:
      summary: Tickets, oldest first, one page at a time. Officers see their own department only.
      parameters:
        - {name: department, in: query, schema: {type: string}, description: "Every department when absent (officers: theirs)."}
        - {name: status, in: query, schema: {$ref: "#/components/schemas/Status"}}
        - {name: level, in: query, schema: {$ref: "#/components/schemas/Level"}}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 500, default: 50}}
        - {name: offset, in: query, schema: {type: integer, minimum: 0, default: 0}}
      responses:
        "200": {description: A page., content: {application/json: {schema: {$ref: "#/components/schemas/TicketPage"}}}}
        "400": {$ref: "#/components/responses/BadRequest"}
\#(Self.authenticationErrors)
    post:
      summary: Web intake - registers a complaint from a website or chat channel, routed like a call. Roles administrator and intake.
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [channel, caller_number, language, category, description]
              properties:
                channel: {enum: [web, chat]}
                caller_number: {type: string, description: 7 to 15 digits, an optional leading +.}
                caller_name: {type: string}
                language: {type: string, description: "hi, en, vi ..."}
                category: {type: string, description: A category of the routing directory.}
                district: {type: string, description: A district code of the routing directory.}
                description: {type: string, maxLength: 4000}
                reference: {type: string, maxLength: 100, description: "The front end's id for the complaint: a retry with the same channel and reference returns the first ticket (200)."}
      responses:
        "201": {description: Registered; Location names the ticket., content: {application/json: {schema: {$ref: "#/components/schemas/Ticket"}}}}
        "200": {description: Already registered with this channel and reference., content: {application/json: {schema: {$ref: "#/components/schemas/Ticket"}}}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "413": {$ref: "#/components/responses/BodyTooLarge"}
        "415": {$ref: "#/components/responses/UnsupportedMediaType"}
        "429": {$ref: "#/components/responses/TooManyFailedAuthentications"}
        "503": {description: No routing directory is loaded (no_directory)., content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
  /api/v1/tickets/{number}:
    get:
      summary: One ticket with its history, its routing decisions and the call that registered it (with the recording's path).
      parameters: [{$ref: "#/components/parameters/Number"}]
      responses:
        "200": {description: The ticket., content: {application/json: {schema: {$ref: "#/components/schemas/TicketDetail"}}}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "429": {$ref: "#/components/responses/TooManyFailedAuthentications"}
  /api/v1/tickets/{number}/recording:
    get:
      summary: The caller's recorded description of the complaint (the file the desk's player plays), whole or the byte range asked for. Only files inside http.recordings are served.
      parameters:
        - {$ref: "#/components/parameters/Number"}
        - {name: Range, in: header, required: false, schema: {type: string, example: "bytes=0-1023"}}
      responses:
        "200": {description: The recording., content: {audio/wav: {schema: {type: string, format: binary}}, audio/*: {schema: {type: string, format: binary}}}}
        "206": {description: The byte range asked for., content: {audio/*: {schema: {type: string, format: binary}}}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {description: No ticket has this number (ticket_not_found), or it has no recording on this server (recording_not_found)., content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
        "416": {description: The range is outside the file.}
        "429": {$ref: "#/components/responses/TooManyFailedAuthentications"}
  /api/v1/tickets/{number}/resolve:
    post:
      summary: Resolve with a report. Administrators; officers of the ticket's department at its level.
      parameters: [{$ref: "#/components/parameters/Number"}]
      requestBody:
        required: true
        content: {application/json: {schema: {type: object, required: [report], properties: {report: {type: string, maxLength: 4000}}}}}
      responses:
\#(Self.ticketActionResponses)
  /api/v1/tickets/{number}/reassign:
    post:
      summary: Give the ticket to another officer of its department. Administrators; officers of the ticket's department at its level.
      parameters: [{$ref: "#/components/parameters/Number"}]
      requestBody:
        required: true
        content: {application/json: {schema: {type: object, required: [officer], properties: {officer: {type: string, description: An officer id of the routing directory.}, note: {type: string}}}}}
      responses:
\#(Self.ticketActionResponses)
  /api/v1/tickets/{number}/notes:
    post:
      summary: Add a note to the ticket's history (any state). Administrators; officers of the ticket's department.
      parameters: [{$ref: "#/components/parameters/Number"}]
      requestBody:
        required: true
        content: {application/json: {schema: {type: object, required: [note], properties: {note: {type: string, maxLength: 4000}}}}}
      responses:
        "200": {description: The ticket., content: {application/json: {schema: {$ref: "#/components/schemas/Ticket"}}}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "413": {$ref: "#/components/responses/BodyTooLarge"}
        "415": {$ref: "#/components/responses/UnsupportedMediaType"}
        "429": {$ref: "#/components/responses/TooManyFailedAuthentications"}
  /api/v1/reports/daily:
    get:
      summary: Per local day and department, calls offered to its queues, answered, abandoned, service level, average wait and talk time, and complaints registered, resolved, escalated and overdue; as JSON or CSV (Accept text/csv or format=csv). Calls of the general queue count under the department 'general'.
      parameters:
        - {name: from, in: query, schema: {type: string, format: date}, description: First day (default six days before to).}
        - {name: to, in: query, schema: {type: string, format: date}, description: Last day, included (default today in the helpline's time zone).}
        - {name: department, in: query, schema: {type: string}}
        - {name: format, in: query, schema: {enum: [json, csv]}}
        - {name: service_level_seconds, in: query, schema: {type: integer, minimum: 1, maximum: 600, default: 20}, description: The answer time of the service level.}
      responses:
        "200":
          description: The report.
          content:
            application/json: {schema: {$ref: "#/components/schemas/DailyReport"}}
            text/csv: {schema: {type: string, description: "day,department,calls_offered,calls_answered,calls_abandoned,service_level,average_wait_seconds,average_talk_seconds,registered,resolved,escalated,overdue,calls_left"}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "406": {description: An unknown format (not_acceptable)., content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
        "429": {$ref: "#/components/responses/TooManyFailedAuthentications"}
  /api/v1/admin/menus/reload:
    post:
      summary: Reload the call flows and the routing directory (as helpline menus reload). Administrators.
      responses:
\#(Self.reloadResponses)
  /api/v1/admin/directory/reload:
    post:
      summary: Reload the routing directory alone. Administrators.
      responses:
\#(Self.reloadResponses)
  /api/v1/seats:
    get:
      summary: Every seat of every PBX with its device state and, per queue, whether it is paused and why. Roles administrator and monitor.
      responses:
        "200":
          description: The seats.
          content:
            application/json:
              schema:
                type: object
                properties:
                  seats:
                    type: array
                    items:
                      type: object
                      properties:
                        pbx: {type: string}
                        interface: {type: string, description: "The queue member interface, PJSIP/1001."}
                        name: {type: string}
                        state: {type: string, description: "free, on call, ringing, busy, on hold, unavailable ..."}
                        queues:
                          type: array
                          items:
                            type: object
                            properties: {queue: {type: string}, paused: {type: boolean}, paused_reason: {type: string}, calls_taken: {type: integer}}
\#(Self.authenticationErrors)
  /api/v1/seats/login:
    post:
      summary: Log a seat into queues (AMI QueueAdd, unpaused). A queue it is already in answers 'Already there' (seat_action_failed). Administrators.
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [seat, queues]
              properties:
                seat: {type: string, description: "PJSIP/1001"}
                queues: {type: array, items: {type: string}, minItems: 1}
                pbx: {type: string, description: The AMI endpoint (default the daemon's default PBX).}
                name: {type: string, description: The member name Asterisk shows.}
                penalty: {type: integer, minimum: 0, maximum: 100}
      responses:
\#(Self.seatActionResponses)
  /api/v1/seats/logout:
    post:
      summary: Log a seat out of queues (AMI QueueRemove); without queues, out of every queue the live state shows it in. Administrators.
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [seat]
              properties:
                seat: {type: string}
                queues: {type: array, items: {type: string}}
                pbx: {type: string}
      responses:
\#(Self.seatActionResponses)
  /api/v1/seats/pause:
    post:
      summary: Pause a seat with a reason (AMI QueuePause), in one queue or every queue it is in. Administrators.
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [seat, reason]
              properties:
                seat: {type: string}
                reason: {type: string, maxLength: 40, description: "break, training, meeting ... (letters, digits, spaces, - and _)"}
                queue: {type: string}
                pbx: {type: string}
      responses:
\#(Self.seatActionResponses)
  /api/v1/seats/unpause:
    post:
      summary: Unpause a seat, in one queue or every queue it is in. Administrators.
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [seat]
              properties:
                seat: {type: string}
                queue: {type: string}
                pbx: {type: string}
      responses:
\#(Self.seatActionResponses)
  /api/v1/campaigns:
    get:
      summary: Outbound campaigns with their contacts by status and their rules, newest first. Roles administrator and monitor.
      responses:
        "200":
          description: The campaigns.
          content: {application/json: {schema: {type: object, properties: {campaigns: {type: array, items: {$ref: "#/components/schemas/Campaign"}}}}}}
\#(Self.authenticationErrors)
  /api/v1/campaigns/{name}/start:
    post:
      summary: Start or resume a campaign (as helpline campaigns start); rules given replace the campaign's. Administrators.
      parameters:
        - {name: name, in: path, required: true, schema: {type: string}}
      requestBody:
        required: false
        content:
          application/json:
            schema:
              type: object
              properties:
                window: {type: string, description: "Local time, HH:MM-HH:MM."}
                max_attempts: {type: integer, minimum: 1, maximum: 20}
                retry_after_seconds: {type: integer, minimum: 60, maximum: 604800}
                channels: {type: integer, minimum: 1, maximum: 1000}
      responses:
        "200": {description: Running., content: {application/json: {schema: {$ref: "#/components/schemas/Campaign"}}}}
        "400": {$ref: "#/components/responses/BadRequest"}
\#(Self.authenticationErrors)
        "404": {$ref: "#/components/responses/CampaignNotFound"}
        "409": {description: "Its menu is not a campaign menu, or nobody is left to call (campaign_not_startable).", content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
  /api/v1/campaigns/{name}/pause:
    post:
      summary: Pause a campaign; calls under way finish. Administrators.
      parameters:
        - {name: name, in: path, required: true, schema: {type: string}}
      responses:
        "200": {description: Paused., content: {application/json: {schema: {$ref: "#/components/schemas/Campaign"}}}}
\#(Self.authenticationErrors)
        "404": {$ref: "#/components/responses/CampaignNotFound"}
  /api/v1/campaigns/{name}/report:
    get:
      summary: "A campaign's results: every contact with its status and answers. JSON, or CSV (as helpline campaigns report) with Accept: text/csv. Roles administrator and monitor."
      parameters:
        - {name: name, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: The results.
          content:
            application/json:
              schema:
                type: object
                properties:
                  campaign: {$ref: "#/components/schemas/Campaign"}
                  questions: {type: array, items: {type: string}, description: The menu's answers, in its order.}
                  rows:
                    type: array
                    items:
                      type: object
                      properties:
                        phone: {type: string}
                        name: {type: string}
                        district: {type: string}
                        language: {type: string}
                        fields: {type: object, additionalProperties: {type: string}}
                        status: {type: string}
                        attempts: {type: integer}
                        last_result: {type: string}
                        answered_at: {type: string, format: date-time}
                        answers: {type: object, additionalProperties: {type: string}}
            text/csv: {schema: {type: string}}
\#(Self.authenticationErrors)
        "404": {$ref: "#/components/responses/CampaignNotFound"}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
  parameters:
    Number: {name: number, in: path, required: true, schema: {type: string, pattern: "^[0-9]{2,}$"}, description: The ticket number with its check digit.}
  responses:
    BadRequest: {description: "invalid_request, ticket_number_mistyped, ticket_number_malformed, unknown_category, unknown_district or unknown_officer.", content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
    Unauthorized: {description: No token or an invalid one (unauthorized)., content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
    Forbidden: {description: The token's role may not do this (forbidden)., content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
    NotFound: {description: No ticket has this number (ticket_not_found)., content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
    Conflict: {description: Not valid in the ticket's state (invalid_transition)., content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
    BodyTooLarge: {description: The body is over http.max_body_size (body_too_large)., content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
    UnsupportedMediaType: {description: The body is not JSON (unsupported_media_type)., content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
    ReloadRefused: {description: The new files have problems; the old ones stay (reload_refused, details list the problems)., content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
    SeatActionFailed: {description: "Asterisk refused in some queue (seat_action_failed); details has every queue's outcome.", content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
    AMIUnavailable: {description: "No AMI endpoint is configured, or it is not connected (ami_unavailable).", content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
    CampaignNotFound: {description: No campaign has this name (campaign_not_found)., content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
    TooManyFailedAuthentications: {description: Too many failed authentications from this address in the last minute; Retry-After says when to try again., content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
  schemas:
    SeatOutcome:
      type: object
      properties:
        seat: {type: string}
        results:
          type: array
          items: {type: object, properties: {queue: {type: string}, ok: {type: boolean}, message: {type: string, description: "Asterisk's answer."}}}
    Campaign:
      type: object
      properties:
        id: {type: integer}
        name: {type: string}
        menu: {type: string}
        status: {enum: [draft, running, paused, finished]}
        contacts: {type: object, properties: {pending: {type: integer}, dialling: {type: integer}, done: {type: integer}, failed: {type: integer}, skipped: {type: integer}}}
        window: {type: string}
        max_attempts: {type: integer}
        retry_after_seconds: {type: integer}
        channels: {type: integer}
    Error:
      type: object
      required: [error]
      properties:
        error:
          type: object
          required: [code, message]
          properties:
            code: {type: string}
            message: {type: string}
            details: {type: array, items: {type: string}}
    Status: {enum: [registered, assigned, resolved, reopened, escalated, closed, cancelled, duplicate]}
    Level: {enum: [L1, L2]}
    Ticket:
      type: object
      required: [number, status, level, department, language, source, caller_number, reopen_count, created_at, updated_at, overdue]
      properties:
        number: {type: string}
        status: {$ref: "#/components/schemas/Status"}
        level: {$ref: "#/components/schemas/Level"}
        department: {type: string}
        category: {type: string}
        district: {type: string}
        language: {type: string}
        source: {enum: [ivr, api, outbound]}
        caller_number: {type: string, description: The citizen's full number (officers call back).}
        caller_name: {type: string}
        description_recording: {type: string, description: The path of the recording Asterisk wrote.}
        description_text: {type: string}
        assigned_officer: {type: string}
        reopen_count: {type: integer}
        created_at: {type: string, format: date-time}
        updated_at: {type: string, format: date-time}
        due_at: {type: string, format: date-time}
        resolved_at: {type: string, format: date-time}
        closed_at: {type: string, format: date-time}
        overdue: {type: boolean}
        call_uniqueid: {type: string}
        duplicate_of: {type: string}
    TicketPage:
      type: object
      required: [tickets, limit, offset]
      properties:
        tickets: {type: array, items: {$ref: "#/components/schemas/Ticket"}}
        limit: {type: integer}
        offset: {type: integer}
        next_offset: {type: integer, description: Absent on the last page.}
    TicketDetail:
      type: object
      required: [ticket, history, decisions]
      properties:
        ticket: {$ref: "#/components/schemas/Ticket"}
        history:
          type: array
          items:
            type: object
            properties:
              at: {type: string, format: date-time}
              transition: {type: string}
              from_status: {$ref: "#/components/schemas/Status"}
              to_status: {$ref: "#/components/schemas/Status"}
              level: {$ref: "#/components/schemas/Level"}
              actor: {type: string}
              note: {type: string}
        decisions:
          type: array
          items:
            type: object
            properties:
              decided_at: {type: string, format: date-time}
              outcome: {type: string}
              department: {type: string}
              queue: {type: string}
              priority: {type: integer}
              reasons: {type: array, items: {type: string}}
              inputs: {type: object}
              call_uniqueid: {type: string}
        call:
          type: object
          properties:
            uniqueid: {type: string}
            caller: {type: string}
            dnid: {type: string}
            language: {type: string}
            script: {type: string}
            path: {type: array, items: {type: string}}
            outcome: {type: string}
            started_at: {type: string, format: date-time}
            queued_at: {type: string, format: date-time}
            ended_at: {type: string, format: date-time}
    Readiness:
      type: object
      required: [ready, checks]
      properties:
        ready: {type: boolean}
        checks:
          type: array
          items:
            type: object
            properties:
              name: {type: string, description: "database, ami:NAME, menus, directory"}
              ok: {type: boolean}
              detail: {type: string}
    QueuesReport:
      type: object
      description: What helpline queues --json prints; times are epoch seconds.
      properties:
        generated_at: {type: number}
        endpoints:
          type: array
          items:
            type: object
            properties:
              name: {type: string}
              stale_since: {type: number, description: "Absent while live; 0: never connected."}
              events_applied: {type: integer}
              drift: {type: integer}
        queues:
          type: array
          items:
            type: object
            properties:
              name: {type: string}
              strategy: {type: string}
              figures: {type: object, description: "Summed over the PBXs: logged_in, available, on_call, paused, callers_waiting, longest_wait, estimated_wait."}
              completed: {type: integer}
              abandoned: {type: integer}
              hold_time: {type: integer}
              talk_time: {type: integer}
              seats: {type: array, items: {type: object}}
              callers: {type: array, items: {type: object}}
    ReloadOutcome:
      type: object
      properties:
        reloaded: {type: boolean}
        menus: {type: array, items: {type: string}}
        problems: {type: array, items: {type: string}}
        notes: {type: array, items: {type: string}}
    DailyReport:
      type: object
      properties:
        from: {type: string, format: date}
        to: {type: string, format: date}
        utc_offset_seconds: {type: integer}
        service_level_seconds: {type: integer}
        days:
          type: array
          items:
            type: object
            properties:
              day: {type: string, format: date}
              department: {type: string}
              calls_offered: {type: integer, description: Callers who joined the department's queues that day.}
              calls_answered: {type: integer}
              calls_abandoned: {type: integer, description: Callers who hung up while waiting.}
              calls_left: {type: integer, description: "Callers the queue let go unanswered (no seat left, a timeout), from Asterisk's queue_log."}
              service_level: {type: [number, "null"], description: Percent of the offered calls answered within service_level_seconds.}
              average_wait_seconds: {type: [number, "null"], description: Of the answered calls.}
              average_talk_seconds: {type: [number, "null"]}
              registered: {type: integer}
              resolved: {type: integer}
              escalated: {type: integer}
              overdue: {type: integer}
"""#

    /// The responses of a refused authentication or role: 401, 403 and 429.
    private static let authenticationErrors = #"""
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "429": {$ref: "#/components/responses/TooManyFailedAuthentications"}
"""#

    /// The responses of the seat actions (login, logout, pause, unpause).
    private static let seatActionResponses = #"""
        "200": {description: Asterisk did it in every queue., content: {application/json: {schema: {$ref: "#/components/schemas/SeatOutcome"}}}}
        "400": {$ref: "#/components/responses/BadRequest"}
\#(Self.authenticationErrors)
        "502": {$ref: "#/components/responses/SeatActionFailed"}
        "503": {$ref: "#/components/responses/AMIUnavailable"}
"""#

    /// The responses of a ticket's level-bound actions (resolve, reassign).
    private static let ticketActionResponses = #"""
        "200": {description: The ticket as it now stands., content: {application/json: {schema: {$ref: "#/components/schemas/Ticket"}}}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "409": {$ref: "#/components/responses/Conflict"}
        "413": {$ref: "#/components/responses/BodyTooLarge"}
        "415": {$ref: "#/components/responses/UnsupportedMediaType"}
        "429": {$ref: "#/components/responses/TooManyFailedAuthentications"}
"""#

    /// The responses of the reloads (menus and directory, directory alone).
    private static let reloadResponses = #"""
        "200": {description: Reloaded., content: {application/json: {schema: {$ref: "#/components/schemas/ReloadOutcome"}}}}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "422": {$ref: "#/components/responses/ReloadRefused"}
        "429": {$ref: "#/components/responses/TooManyFailedAuthentications"}
"""#
}
