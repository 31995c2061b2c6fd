#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Monotonic time in nanoseconds.
@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
}

/// The whole of a small file (such as one under /proc), or nil.
func readSmallFile(_ path: String) -> String? {
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count <= 0 { break }
        bytes.append(contentsOf: chunk[0..<count])
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Memory and CPU figures of another process, from /proc (Linux).
struct ProcessFigures: Sendable {
    /// Resident set size now, in kB.
    var rssKB: Int
    /// Peak resident set size, in kB.
    var hwmKB: Int
    /// User + system CPU time so far, in seconds.
    var cpuSeconds: Double
    var voluntarySwitches: Int
    var involuntarySwitches: Int

    var rssMB: Double { Double(rssKB) / 1024 }
    var hwmMB: Double { Double(hwmKB) / 1024 }

    static func read(pid: Int32) -> ProcessFigures? {
        guard let status = readSmallFile("/proc/\(pid)/status") else { return nil }
        var figures = ProcessFigures(rssKB: 0, hwmKB: 0, cpuSeconds: 0, voluntarySwitches: 0, involuntarySwitches: 0)
        for line in status.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count >= 2 else { continue }
            let value = Int(parts[1]) ?? 0
            switch parts[0] {
            case "VmRSS:": figures.rssKB = value
            case "VmHWM:": figures.hwmKB = value
            default: break
            }
        }
        // Context switches are counted per thread.
        for thread in threadIDs(pid: pid) {
            guard let status = readSmallFile("/proc/\(pid)/task/\(thread)/status") else { continue }
            for line in status.split(separator: "\n") {
                let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                guard parts.count >= 2 else { continue }
                switch parts[0] {
                case "voluntary_ctxt_switches:": figures.voluntarySwitches += Int(parts[1]) ?? 0
                case "nonvoluntary_ctxt_switches:": figures.involuntarySwitches += Int(parts[1]) ?? 0
                default: break
                }
            }
        }
        if let stat = readSmallFile("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") {
            // Fields after "pid (comm)": state is field 3, utime 14, stime 15.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) {
                figures.cpuSeconds = (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
            }
        }
        return figures
    }
}

/// The thread ids of a process (the entries of /proc/PID/task).
func threadIDs(pid: Int32) -> [String] {
    guard let directory = opendir("/proc/\(pid)/task") else { return [] }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
            String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        if let first = name.utf8.first, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") { names.append(name) }
    }
    return names
}

/// This process's user + system CPU time, in seconds.
func ownCPUSeconds() -> Double {
    var usage = rusage()
    #if os(Linux)
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1_000_000 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}
