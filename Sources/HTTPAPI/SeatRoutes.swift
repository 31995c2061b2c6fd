import AMIClient
import Foundation
import Hummingbird
import Logging

/// `/api/v1/seats…`: the agents' seats with their live state, and logging a seat into or out
/// of queues and pausing it, through AMI (`QueueAdd`, `QueueRemove`, `QueuePause`).
///
/// Administrators and monitors read; administrators act. Each action is logged with the
/// token's name. Asterisk's answer for each queue is returned; when any queue refused, the
/// answer is 502 `seat_action_failed` with every queue's outcome in `details`.
struct SeatRoutes: Sendable {
    let dependencies: HTTPAPIDependencies
    let maxBodySize: Int

    struct LoginBody: Decodable {
        var seat: String
        var queues: [String]
        var pbx: String?
        var name: String?
        var penalty: Int?
    }

    struct LogoutBody: Decodable {
        var seat: String
        var queues: [String]?
        var pbx: String?
    }

    struct PauseBody: Decodable {
        var seat: String
        var reason: String?
        var queue: String?
        var pbx: String?
    }

    struct Outcome: Encodable {
        var seat: String
        var results: [SeatControl.Result]
    }

    struct SeatList: Encodable {
        var seats: [SeatControl.Seat]
    }

    func add(to group: RouterGroup<APIRequestContext>) {
        let prefix = APIRouter.prefix
        group.get("\(prefix)/seats") { _, context in
            _ = try context.require(.administrator, .monitor, to: "read the seats")
            let now = dependencies.now().timeIntervalSince1970
            let seats = dependencies.seats?.seats(now: now) ?? SeatControl(clients: [], board: dependencies.board, defaultPBX: dependencies.defaultPBX).seats(now: now)
            return APIJSON.response(SeatList(seats: seats))
        }
        group.post("\(prefix)/seats/login") { request, context in
            let body = try await APIBody.decode(LoginBody.self, request, maxBodySize: maxBodySize)
            return try await act("log a seat in", body.seat, context) { seats throws(SeatControl.Problem) in
                try await seats.login(seat: body.seat, queues: body.queues, pbx: body.pbx, memberName: body.name, penalty: body.penalty)
            }
        }
        group.post("\(prefix)/seats/logout") { request, context in
            let body = try await APIBody.decode(LogoutBody.self, request, maxBodySize: maxBodySize)
            return try await act("log a seat out", body.seat, context) { seats throws(SeatControl.Problem) in
                try await seats.logout(seat: body.seat, queues: body.queues, pbx: body.pbx)
            }
        }
        group.post("\(prefix)/seats/pause") { request, context in
            let body = try await APIBody.decode(PauseBody.self, request, maxBodySize: maxBodySize)
            return try await act("pause a seat", body.seat, context) { seats throws(SeatControl.Problem) in
                [try await seats.pause(seat: body.seat, paused: true, reason: body.reason, queue: body.queue, pbx: body.pbx)]
            }
        }
        group.post("\(prefix)/seats/unpause") { request, context in
            let body = try await APIBody.decode(PauseBody.self, request, maxBodySize: maxBodySize)
            return try await act("unpause a seat", body.seat, context) { seats throws(SeatControl.Problem) in
                [try await seats.pause(seat: body.seat, paused: false, queue: body.queue, pbx: body.pbx)]
            }
        }
    }

    func act(_ what: String, _ seat: String, _ context: APIRequestContext,
             _ body: (SeatControl) async throws(SeatControl.Problem) -> [SeatControl.Result]) async throws -> Response {
        let principal = try context.require(.administrator, to: what)
        guard let seats = dependencies.seats else {
            throw APIError(.amiUnavailable, "no AMI endpoint is configured (ami.endpoints): seats cannot be controlled")
        }
        let results: [SeatControl.Result]
        do {
            results = try await body(seats)
        } catch {
            throw APIError(error.kind == .invalid ? .invalidRequest : .amiUnavailable, error.message)
        }
        let failed = results.filter { !$0.ok }
        context.logger.notice(
            "Seat action",
            metadata: ["action": "\(what)", "seat": "\(seat)", "token": "\(principal.name)", "failed": "\(failed.count) of \(results.count)"])
        guard failed.isEmpty else {
            throw APIError(
                .seatActionFailed, "Asterisk refused to \(what.replacingOccurrences(of: "a seat", with: seat)) in \(failed.count) of \(results.count) queues",
                details: results.map { "\($0.queue ?? "every queue"): \($0.ok ? "done" : "refused"): \($0.message)" })
        }
        return APIJSON.response(Outcome(seat: seat, results: results))
    }
}
