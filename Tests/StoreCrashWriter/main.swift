// The child process of the crash-safety test (Tests/StoreTests/CrashSafetyTests.swift):
// creates tickets as fast as it can from WRITERS concurrent tasks and prints each ticket's
// number on its own line once the write has returned, until it is killed.
//
//     StoreCrashWriter DATABASE [WRITERS]
import Foundation
import Store
import HelplineDomain

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: StoreCrashWriter DATABASE [WRITERS]\n".utf8))
    exit(64)
}
let writers = arguments.count > 2 ? Int(arguments[2]) ?? 16 : 16
let store = TicketStore(database: try HelplineDatabase(path: arguments[1]))
let run = UUID().uuidString
FileHandle.standardOutput.write(Data("ready\n".utf8))

try await withThrowingTaskGroup(of: Void.self) { group in
    for writer in 0..<writers {
        group.addTask {
            var index = 0
            while true {
                let ticket = try await store.createTicket(
                    NewTicket(source: .ivr, callerNumber: "98\(writer)", language: "hi", department: "water", callUniqueid: "\(run)-\(writer)-\(index)"),
                    actor: "crash-test")
                // write(2) straight to the pipe: the line is out before the next ticket starts.
                FileHandle.standardOutput.write(Data("\(ticket.ticket.number)\n".utf8))
                index += 1
            }
        }
    }
    try await group.waitForAll()
}
