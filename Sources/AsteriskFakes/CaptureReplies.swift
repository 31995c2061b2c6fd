/// What Asterisk answered to each action in an AMI capture: the action the client sent and the
/// bytes Asterisk sent back before the client's next action (the reply and any events after it).
public struct CapturedExchange: Sendable {
    /// The action's name (`Login`).
    public var action: String
    /// The client's headers, in order, as (name, value).
    public var request: [(String, String)]
    /// The ActionID the client used (`lab-2`).
    public var actionID: String
    /// Asterisk's bytes, exactly as captured.
    public var reply: [UInt8]

    /// The reply with the captured ActionID replaced by `actionID`.
    public func reply(actionID newID: String) -> [UInt8] {
        let old = Array("ActionID: \(actionID)\r\n".utf8)
        let new = Array("ActionID: \(newID)\r\n".utf8)
        return replaceAll(old, with: new, in: reply)
    }
}

/// Replaces every occurrence of a byte string.
public func replaceAll(_ old: [UInt8], with new: [UInt8], in bytes: [UInt8]) -> [UInt8] {
    guard !old.isEmpty else { return bytes }
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var index = 0
    while index < bytes.count {
        if bytes.count - index >= old.count, bytes[index..<(index + old.count)].elementsEqual(old) {
            out += new
            index += old.count
        } else {
            out.append(bytes[index])
            index += 1
        }
    }
    return out
}

extension Capture {
    /// The first line Asterisk sent (the banner), with its CR LF.
    public var banner: [UInt8] {
        for case .fromAsterisk(let bytes) in events { return bytes }
        return []
    }

    /// Every action the client sent, with what Asterisk sent back before the next action.
    public var exchanges: [CapturedExchange] {
        var result: [CapturedExchange] = []
        var request: [UInt8] = []
        var sawFirstAction = false
        for event in events {
            switch event {
            case .toAsterisk(let bytes):
                if request.isEmpty && sawFirstAction == false { sawFirstAction = true }
                request += bytes
                if bytes == [0x0D, 0x0A] {
                    let text = String(decoding: request, as: UTF8.self)
                    var headers: [(String, String)] = []
                    for line in text.split(separator: "\r\n") {
                        guard let colon = line.range(of: ": ") else { continue }
                        headers.append((String(line[..<colon.lowerBound]), String(line[colon.upperBound...])))
                    }
                    let name = headers.first { $0.0.lowercased() == "action" }?.1 ?? ""
                    let id = headers.first { $0.0.lowercased() == "actionid" }?.1 ?? ""
                    result.append(CapturedExchange(action: name, request: headers, actionID: id, reply: []))
                    request = []
                }
            case .fromAsterisk(let bytes):
                if !result.isEmpty { result[result.count - 1].reply += bytes }
            default:
                break
            }
        }
        return result
    }

    /// The first exchange for an action name.
    public func exchange(_ action: String) -> CapturedExchange? {
        exchanges.first { $0.action.lowercased() == action.lowercased() }
    }
}
