/// A log-linear bucket histogram of nanosecond values (HDR style): exact below 128 ns, then
/// 64 buckets per power of two, so every recorded value is known to within 1/64 (1.6 %).
/// Recording is one index computation and one increment; merging adds the arrays.
struct Histogram: Sendable {
    static let linearLimit: UInt64 = 128
    static let subBuckets = 64
    static let bucketCount = 128 + (64 - 7) * 64

    private(set) var counts = [UInt64](repeating: 0, count: Histogram.bucketCount)
    private(set) var total: UInt64 = 0
    private(set) var sum: UInt64 = 0
    private(set) var maximum: UInt64 = 0

    @inline(__always)
    static func index(of value: UInt64) -> Int {
        if value < linearLimit { return Int(value) }
        let magnitude = 63 - value.leadingZeroBitCount  // >= 7
        let shift = magnitude - 6
        return 128 + (magnitude - 7) * subBuckets + Int((value >> UInt64(shift)) & 63)
    }

    /// The highest value that falls into bucket `index`.
    static func highestValue(inBucket index: Int) -> UInt64 {
        if index < Int(linearLimit) { return UInt64(index) }
        let offset = index - 128
        let magnitude = offset / subBuckets + 7
        let sub = UInt64(offset % subBuckets)
        let shift = UInt64(magnitude - 6)
        return ((64 + sub + 1) << shift) - 1
    }

    @inline(__always)
    mutating func record(_ value: UInt64) {
        counts[Histogram.index(of: value)] &+= 1
        total &+= 1
        sum &+= value
        if value > maximum { maximum = value }
    }

    mutating func merge(_ other: Histogram) {
        for index in 0..<counts.count { counts[index] &+= other.counts[index] }
        total &+= other.total
        sum &+= other.sum
        maximum = max(maximum, other.maximum)
    }

    /// The value below or at which `fraction` of the samples lie (0 when there are none).
    func percentile(_ fraction: Double) -> UInt64 {
        guard total > 0 else { return 0 }
        let rank = max(1, UInt64((fraction * Double(total)).rounded(.up)))
        var seen: UInt64 = 0
        for index in 0..<counts.count {
            seen &+= counts[index]
            if seen >= rank { return min(Histogram.highestValue(inBucket: index), maximum) }
        }
        return maximum
    }

    var mean: Double { total == 0 ? 0 : Double(sum) / Double(total) }
}
