import HummingbirdBcrypt

/// People's passwords: bcrypt hashes (hummingbird-auth's HummingbirdBcrypt), the rule a new
/// password must meet, and generated first passwords.
public enum AccountPasswords {
    /// bcrypt's cost: 2^12 rounds, about a quarter of a second on a server core, so a stolen
    /// hash is slow to guess and a sign-in is still quick.
    public static let cost: UInt8 = 12
    /// The shortest password accepted.
    public static let minimumLength = 10

    /// Why `password` may not be used; nil when it may.
    public static func problem(_ password: String) -> String? {
        if password.count < minimumLength { return "a password has at least \(minimumLength) characters" }
        if password.utf8.count > 72 { return "a password has at most 72 bytes (bcrypt reads no further)" }
        if password.allSatisfy({ $0 == password.first }) { return "a password is not one character repeated" }
        return nil
    }

    /// The bcrypt hash of `password` (`cost` overridable for tests).
    public static func hash(_ password: String, cost: UInt8 = cost) -> String {
        Bcrypt.hash(password, cost: cost)
    }

    /// Whether `password` matches `hash`.
    public static func verify(_ password: String, hash: String) -> Bool {
        Bcrypt.verify(password, hash: hash)
    }

    /// A new password of 16 characters from letters and digits that are not easily confused
    /// when read out or copied (no 0/O, 1/l/I).
    public static func generate() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<16).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }
}
