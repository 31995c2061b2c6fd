/// Phone numbers as logs and listings may show them.
public enum PhoneNumber {
    /// Every digit but the last four replaced by `*`, other characters kept:
    /// `9876543210` → `******3210`, `+84 90 123 4567` → `+** ** **3 4567`.
    public static func masked(_ number: String) -> String {
        var remaining = number.filter(\.isNumber).count
        return String(number.map { character -> Character in
            guard character.isNumber else { return character }
            remaining -= 1
            return remaining < 4 ? character : "*"
        })
    }
}
