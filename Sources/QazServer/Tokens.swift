import Crypto
import Foundation
import LineCore
import QazAPI

/// Who a request speaks for, established from its bearer token.
public struct Identity: Sendable, Equatable {
    public var tokenID: String
    public var participant: TaxpayerID
    public var role: Role
    public init(tokenID: String, participant: TaxpayerID, role: Role) {
        self.tokenID = tokenID
        self.participant = participant
        self.role = role
    }
}

/// Issues and checks API tokens. A token is `qzt_<id>_<secret>`: `id` (8 hex digits) names it for listing and
/// revoking; the server keeps only the SHA-256 of the whole text, so a stolen database yields no usable token.
public struct TokenService: Sendable {
    let store: any RegistrarStore

    public init(store: any RegistrarStore) { self.store = store }

    /// A new token: the text to hand over once, and the record that was saved.
    /// A participant who trades (producer, importer, wholesaler, retailer) also gets an account record when it has none,
    /// named `accountName` (or its BIN until the registrar renames it): orders need both parties' accounts.
    public func issue(participant: TaxpayerID, role: Role, expiresAt: Timestamp? = nil, now: Timestamp = .now, accountName: String? = nil)
        async throws(StoreError) -> (token: String, record: TokenRecord)
    {
        if role.trades, let trade = store as? any TradeStore, let kind = ParticipantKind(rawValue: role.rawValue) {
            let existing = try await trade.account(participant)
            if existing == nil || accountName != nil {
                _ = try await trade.putAccount(participant, request: AccountRequest(name: accountName ?? existing?.name ?? participant.rawValue, kind: kind),
                                               actor: participant, at: now)
            }
        }
        var generator = SystemRandomNumberGenerator()
        let idBytes = (0..<4).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let secretBytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let id = idBytes.map { String($0, radix: 16).leftPadded(2) }.joined()
        let secret = Data(secretBytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let token = "qzt_\(id)_\(secret)"
        let record = TokenRecord(id: id, hash: Self.hash(token), participant: participant, role: role, createdAt: now, expiresAt: expiresAt)
        try await store.saveToken(record)
        return (token, record)
    }

    /// SHA-256 of a token's text.
    public static func hash(_ token: String) -> [UInt8] { Array(SHA256.hash(data: Data(token.utf8))) }

    /// The identity of an `Authorization` header value, or the error to answer.
    func authenticate(_ header: String?, now: Timestamp = .now) async throws(RegistrarError) -> Identity {
        guard let header, header.count < 512 else { throw .unauthenticated }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { throw .unauthenticated }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        let record: TokenRecord?
        do { record = try await store.token(hash: Self.hash(token)) } catch { throw RegistrarError.from(error) }
        guard let record, record.revokedAt == nil else { throw .unauthenticated }
        if let expires = record.expiresAt, expires <= now { throw .tokenExpired }
        return Identity(tokenID: record.id, participant: record.participant, role: record.role)
    }
}

extension String {
    func leftPadded(_ width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
