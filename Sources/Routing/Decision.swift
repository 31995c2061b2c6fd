public import Foundation
public import HelplineDomain

extension Directory {
    /// Decides where `call` goes given the live `load` at `now`. Pure: same inputs, same decision.
    ///
    /// The policies, in order:
    /// 1. the category picks the department (an unknown or missing category: the general queue);
    ///    a caller with an open ticket in the same category goes back to that ticket's
    ///    department; an emergency category goes to its department at top priority;
    /// 2. the district picks the L1 officer;
    /// 3. outside the department's opening hours (never for emergencies): take the complaint;
    /// 4. stale live figures: the department's queue, no callback promise;
    /// 5. no seat serving the queue: the overflow queue if it has a free seat, else a callback
    ///    owed (``RoutingAction/callback``; an emergency goes to the overflow if it has any
    ///    serving seat, else waits);
    /// 6. the queue full (`maxlen`): a callback owed (an emergency: the overflow or the queue);
    /// 7. the estimated wait above the threshold: offer a callback (``RoutingAction/callbackOffer``,
    ///    the caller chooses; never to an emergency);
    /// 8. otherwise the queue.
    public func decide(_ call: CallInput, load: LiveLoad, now: Date) -> CallDecision {
        var reasons: [RoutingReason] = []
        reasons.reserveCapacity(6)
        var department: Department?
        var categoryID: String?
        var emergency = false

        if let id = call.category {
            if let category = categories[id] {
                categoryID = category.id
                emergency = category.emergency
                var departmentID = category.department
                if emergency {
                    reasons.append(.emergency(id, department: departmentID))
                } else if let open = call.openTickets.first(where: { $0.category == id }), departments[open.department] != nil {
                    departmentID = open.department
                    reasons.append(.repeatCaller(ticket: open.number, department: departmentID))
                } else {
                    reasons.append(.category(id, department: departmentID))
                }
                department = departments[departmentID]
                if department == nil { reasons.append(.unknownDepartment(departmentID)) }
            } else {
                reasons.append(.unknownCategory(id))
            }
        } else {
            reasons.append(.noCategory)
        }

        var officer: String?
        if let department {
            if let found = self.officer(department: department.id, district: call.district, level: .l1) {
                officer = found.id
                reasons.append(.officer(found.id, district: found.districts == nil ? nil : call.district))
            } else {
                reasons.append(.noOfficer(department: department.id, district: call.district))
            }
        }
        var decision = CallDecision(
            action: .queue, department: department?.id, category: categoryID, queue: nil,
            priority: emergency ? policy.emergencyPriority : policy.normalPriority, emergency: emergency,
            officer: officer, estimatedWaitSeconds: nil, reasons: [])

        if let department, !emergency, let hours = department.openingHours, !hours.isOpen(at: now, utcOffset: policy.utcOffset) {
            reasons.append(.outsideOpeningHours(department: department.id))
            decision.action = .complaintOnly
            decision.queue = department.queues[call.pbx].map { QueueRef(pbx: call.pbx, queue: $0.primary) }
            decision.reasons = reasons
            return decision
        }

        // The queues allowed for this call.
        var primary: QueueRef
        var overflow: QueueRef?
        if let department, let queues = department.queues[call.pbx] {
            primary = QueueRef(pbx: call.pbx, queue: queues.primary)
            overflow = queues.overflow.map { QueueRef(pbx: call.pbx, queue: $0) }
        } else {
            if let department { reasons.append(.noQueueOnPBX(department: department.id, pbx: call.pbx)) }
            guard let general = generalQueues[call.pbx] else {
                reasons.append(.noQueueAtAll(pbx: call.pbx))
                decision.action = .closed
                decision.reasons = reasons
                return decision
            }
            primary = QueueRef(pbx: call.pbx, queue: general)
            overflow = nil
            reasons.append(.generalQueue(primary))
        }
        decision.queue = primary

        let stale = load.staleSince != nil || now.timeIntervalSince(load.asOf) > policy.staleAfterSeconds
        if stale {
            reasons.append(.staleState(since: load.staleSince, asOf: load.asOf))
            decision.reasons = reasons
            return decision
        }
        guard let figures = load.queues[primary] else {
            reasons.append(.queueNotInLiveState(primary))
            decision.reasons = reasons
            return decision
        }
        let overflowFigures = overflow.flatMap { load.queues[$0] }

        if figures.serving == 0 {
            reasons.append(.noSeatServing(primary, loggedIn: figures.loggedIn))
            if let overflow, let overflowFigures, overflowFigures.available > 0 {
                reasons.append(.overflowHasFreeSeats(overflow, available: overflowFigures.available))
                decision.action = .overflowQueue
                decision.queue = overflow
                decision.estimatedWaitSeconds = overflowFigures.estimatedWait(defaultTalkSeconds: policy.defaultTalkSeconds)
            } else if emergency {
                reasons.append(.overflowHasNoFreeSeat(overflow))
                reasons.append(.emergencyNeverCallback)
                // Wait where a seat will come free: the overflow, else the general queue.
                let general = generalQueues[call.pbx].map { QueueRef(pbx: call.pbx, queue: $0) }
                if let overflow, let overflowFigures, overflowFigures.serving > 0, !overflowFigures.isFull {
                    decision.action = .overflowQueue
                    decision.queue = overflow
                    decision.estimatedWaitSeconds = overflowFigures.estimatedWait(defaultTalkSeconds: policy.defaultTalkSeconds)
                } else if let general, general != primary, let generalFigures = load.queues[general], generalFigures.serving > 0, !generalFigures.isFull {
                    reasons.append(.generalQueue(general))
                    decision.queue = general
                    decision.estimatedWaitSeconds = generalFigures.estimatedWait(defaultTalkSeconds: policy.defaultTalkSeconds)
                }
            } else {
                reasons.append(.overflowHasNoFreeSeat(overflow))
                decision.action = .callback
            }
            decision.reasons = reasons
            return decision
        }

        let wait = figures.estimatedWait(defaultTalkSeconds: policy.defaultTalkSeconds)
        decision.estimatedWaitSeconds = wait
        if figures.isFull {
            reasons.append(.queueFull(primary, waiting: figures.callersWaiting, maximum: figures.maximumCallers))
            if emergency {
                reasons.append(.emergencyNeverCallback)
                if let overflow, let overflowFigures, !overflowFigures.isFull, overflowFigures.serving > 0 {
                    decision.action = .overflowQueue
                    decision.queue = overflow
                    decision.estimatedWaitSeconds = overflowFigures.estimatedWait(defaultTalkSeconds: policy.defaultTalkSeconds)
                }
            } else {
                decision.action = .callback
            }
            decision.reasons = reasons
            return decision
        }

        let threshold = department?.callbackAfterSeconds ?? policy.callbackAfterSeconds
        if let wait, wait > threshold {
            reasons.append(.waitAboveThreshold(primary, seconds: wait, threshold: threshold))
            if emergency {
                reasons.append(.emergencyNeverCallback)
            } else {
                decision.action = .callbackOffer
            }
        } else if figures.available > figures.callersWaiting {
            reasons.append(.seatsFree(primary, available: figures.available, waiting: figures.callersWaiting))
        } else {
            reasons.append(.waitWithinThreshold(primary, seconds: wait ?? 0, threshold: threshold))
        }
        decision.reasons = reasons
        return decision
    }
}
