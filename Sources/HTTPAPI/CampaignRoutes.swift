import Foundation
import Hummingbird
import Logging
import Store
import HelplineDomain
import TimeSupport

/// `/api/v1/campaigns…`: outbound campaigns' progress, starting and pausing them, and their
/// results (JSON, or CSV with `Accept: text/csv`), as `helpline campaigns` does.
///
/// Administrators and monitors read; administrators start and pause. Contact lists are
/// imported with `helpline campaigns import` (a file on the server).
struct CampaignRoutes: Sendable {
    let dependencies: HTTPAPIDependencies
    let maxBodySize: Int

    struct CampaignView: Encodable {
        var id: Int64
        var name: String
        var menu: String
        var status: String
        var contacts: [String: Int]
        var window: String?
        var maxAttempts: Int?
        var retryAfterSeconds: Int?
        var channels: Int?

        init(_ campaign: CampaignProgress) {
            id = campaign.id
            name = campaign.name
            menu = campaign.menu
            status = campaign.status
            contacts = Dictionary(uniqueKeysWithValues: ["pending", "dialling", "done", "failed", "skipped"].map { ($0, campaign.contacts[$0, default: 0]) })
            window = campaign.settings.window
            maxAttempts = campaign.settings.maximumAttempts
            retryAfterSeconds = campaign.settings.retryAfter
            channels = campaign.settings.channels
        }
    }

    struct CampaignList: Encodable {
        var campaigns: [CampaignView]
    }

    struct StartBody: Decodable {
        var window: String?
        var maxAttempts: Int?
        var retryAfterSeconds: Int?
        var channels: Int?
    }

    struct ReportView: Encodable {
        struct Row: Encodable {
            var phone: String
            var name: String?
            var district: String?
            var language: String?
            var fields: [String: String]
            var status: String
            var attempts: Int
            var lastResult: String?
            var answeredAt: Date?
            var answers: [String: String]
        }

        var campaign: CampaignView
        var questions: [String]
        var rows: [Row]
    }

    func add(to group: RouterGroup<APIRequestContext>) {
        let prefix = APIRouter.prefix
        group.get("\(prefix)/campaigns") { _, context in
            _ = try context.require(.administrator, .monitor, to: "read the campaigns")
            return APIJSON.response(CampaignList(campaigns: try await dependencies.store.campaigns().map(CampaignView.init)))
        }
        group.post("\(prefix)/campaigns/:name/start") { request, context in
            let principal = try context.require(.administrator, to: "start a campaign")
            let name = try context.parameters.require("name")
            let body = try await APIBody.decode(StartBody.self, request, maxBodySize: maxBodySize, whenEmpty: StartBody())
            guard let campaign = try await dependencies.store.campaign(named: name) else { throw APIError(.campaignNotFound, StoreError.unknownCampaign(name).message) }
            if let problem = dependencies.callFlows.campaignMenuProblem(campaign.menu) { throw APIError(.campaignNotStartable, problem) }
            var settings = campaign.settings
            if let window = body.window {
                guard LocalTimeWindow(window) != nil else { throw APIError(.invalidRequest, "window must be a window of local time like 09:00-18:00, not '\(window)'") }
                settings.window = window
            }
            if let attempts = body.maxAttempts {
                guard (1...20).contains(attempts) else { throw APIError(.invalidRequest, "max_attempts must be 1 to 20, not \(attempts)") }
                settings.maximumAttempts = attempts
            }
            if let seconds = body.retryAfterSeconds {
                guard (60...604_800).contains(seconds) else { throw APIError(.invalidRequest, "retry_after_seconds must be 60 to 604800 (a week), not \(seconds)") }
                settings.retryAfter = seconds
            }
            if let channels = body.channels {
                guard (1...1000).contains(channels) else { throw APIError(.invalidRequest, "channels must be 1 to 1000, not \(channels)") }
                settings.channels = channels
            }
            do {
                let started = try await dependencies.store.startCampaign(named: name, settings: settings)
                context.logger.notice("Campaign started", metadata: ["campaign": "\(name)", "token": "\(principal.name)"])
                return APIJSON.response(CampaignView(started))
            } catch let error as StoreError where error.code == .unknownCampaign || error.code == .nothingToCall {
                throw APIError(.campaignNotStartable, error.message)
            }
        }
        group.post("\(prefix)/campaigns/:name/pause") { _, context in
            let principal = try context.require(.administrator, to: "pause a campaign")
            let name = try context.parameters.require("name")
            do {
                let paused = try await dependencies.store.pauseCampaign(named: name)
                context.logger.notice("Campaign paused", metadata: ["campaign": "\(name)", "token": "\(principal.name)"])
                return APIJSON.response(CampaignView(paused))
            } catch let error as StoreError where error.code == .unknownCampaign {
                throw APIError(.campaignNotFound, error.message)
            }
        }
        group.get("\(prefix)/campaigns/:name/report") { request, context in
            _ = try context.require(.administrator, .monitor, to: "read a campaign's results")
            let name = try context.parameters.require("name")
            let report: CampaignReport
            do {
                report = try await dependencies.store.campaignReport(named: name)
            } catch let error as StoreError where error.code == .unknownCampaign {
                throw APIError(.campaignNotFound, error.message)
            }
            if request.headers[.accept]?.contains("text/csv") == true {
                var response = APIJSON.text(report.csv, contentType: "text/csv; charset=utf-8")
                response.headers[.contentDisposition] = "attachment; filename=\"campaign-\(report.campaign.id).csv\""
                return response
            }
            return APIJSON.response(ReportView(
                campaign: CampaignView(report.campaign), questions: report.questions,
                rows: report.rows.map {
                    .init(phone: $0.contact.phone, name: $0.contact.name, district: $0.contact.district, language: $0.contact.language, fields: $0.contact.fields,
                          status: $0.status, attempts: $0.attempts, lastResult: $0.lastResult, answeredAt: $0.answeredAt, answers: $0.answers)
                }))
        }
    }
}
