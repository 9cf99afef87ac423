/// A remote UDP endpoint as a profile names it: an address or a DNS name, and a port.
///
/// Text forms: `192.0.2.1:7000`, `[2001:db8::1]:7000`, `router.example.net:7000`.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    /// Where the endpoint is: a literal address, or a name to resolve at run time.
    public enum Host: Hashable, Sendable {
        case address(IPAddress)
        case name(String)
    }

    public let host: Host
    public let port: UInt16

    public init(host: Host, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Why an endpoint's text was refused; the loader turns it into a profile error.
    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case missingPort
        case badPort(String)
        case badHost(String)
        case unbracketedIPv6(String)

        public var description: String {
            switch self {
            case .missingPort: return "missing :port"
            case .badPort(let p): return "port '\(p)' is not in 1...65535"
            case .badHost(let h): return "'\(h)' is neither an IP address nor a DNS name"
            case .unbracketedIPv6(let h): return "write IPv6 '\(h)' in brackets, as [ADDRESS]:PORT"
            }
        }
    }

    /// Parses `HOST:PORT` where HOST is IPv4, `[IPv6]` or a DNS name.
    public static func parse(_ text: String) -> Result<Endpoint, ParseError> {
        var hostText: Substring
        var portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return .failure(.badHost(text)) }
            hostText = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return .failure(.missingPort) }
            portText = rest.dropFirst()
            guard let a = IPAddress(String(hostText)), a.isIPv6 else { return .failure(.badHost(String(hostText))) }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return .failure(.missingPort) }
            hostText = text[..<colon]
            portText = text[text.index(after: colon)...]
            if hostText.contains(":") { return .failure(.unbracketedIPv6(String(hostText))) }
        }
        guard portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
              let port = Int(portText), port >= 1, port <= 65535 else {
            return .failure(portText.isEmpty ? .missingPort : .badPort(String(portText)))
        }
        if let address = IPAddress(String(hostText)) {
            return .success(Endpoint(host: .address(address), port: UInt16(port)))
        }
        guard isValidDNSName(hostText) else { return .failure(.badHost(String(hostText))) }
        return .success(Endpoint(host: .name(String(hostText)), port: UInt16(port)))
    }

    /// RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens, not all-numeric.
    static func isValidDNSName(_ name: Substring) -> Bool {
        guard !name.isEmpty, name.count <= 253 else { return false }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard (1...63).contains(label.count), label.first != "-", label.last != "-",
                  label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else { return false }
        }
        return !(labels.last!.allSatisfy { $0.isNumber })
    }

    public var description: String {
        switch host {
        case .address(let a): return a.isIPv6 ? "[\(a)]:\(port)" : "\(a):\(port)"
        case .name(let n): return "\(n):\(port)"
        }
    }
}
