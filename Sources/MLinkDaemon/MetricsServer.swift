import MLinkSystem
import MLinkTypes

/// The Prometheus endpoint (`metrics-listen`): answers `GET /metrics` from the forwarding core's event loop.
///
/// Everything is non-blocking and bounded so that it can never hold up the data path: at most `maximumClients`
/// at once (more are closed on accept), requests up to `requestLimit` bytes, `clientTimeout` to finish, one
/// request per connection (`Connection: close`). An answer that does not fit the socket buffer is finished when
/// epoll reports the client writable. The text is rendered only when asked for, never per packet.
final class MetricsServer {
    static let maximumClients = 8
    static let requestLimit = 4096
    static let clientTimeout: UInt64 = 5_000_000_000

    /// One accepted client.
    struct Client {
        var descriptor: FileDescriptor
        var request: [UInt8] = []
        var response: [UInt8] = []
        var written = 0
        var accepted: UInt64
    }

    let listener: TCPListener
    let tokenBase: UInt64
    private(set) var clients: [Client?] = Array(repeating: nil, count: MetricsServer.maximumClients)
    private(set) var requestsServed: UInt64 = 0
    private(set) var clientsRefused: UInt64 = 0

    /// Listens at `address`; client `i` will use epoll token `tokenBase + i`.
    init(address: SocketAddress, tokenBase: UInt64) throws {
        listener = try TCPListener(address: address)
        self.tokenBase = tokenBase
    }

    func owns(token: UInt64) -> Bool {
        token >= tokenBase && token < tokenBase + UInt64(MetricsServer.maximumClients)
    }

    /// Accepts pending clients, at most 16 per wake-up so a flood cannot hold the loop; those beyond the bound
    /// of `maximumClients` are closed at once.
    func acceptClients(epoll: Epoll, now: UInt64) {
        for _ in 0..<16 {
            guard let descriptor = listener.accept() else { return }
            guard let slot = clients.firstIndex(where: { $0 == nil }),
                  (try? epoll.add(descriptor.rawValue, token: tokenBase + UInt64(slot))) != nil else {
                clientsRefused += 1
                continue  // descriptor closes as it goes out of scope
            }
            clients[slot] = Client(descriptor: descriptor, accepted: now)
        }
    }

    /// Reads what client `token` sent and answers once its request head is complete; `render` makes the body.
    func serve(token: UInt64, epoll: Epoll, render: () -> String) {
        let slot = Int(token - tokenBase)
        guard var client = clients[slot] else { return }
        if client.response.isEmpty {
            var chunk = [UInt8](repeating: 0, count: 1024)
            var ended = false
            while client.request.count < MetricsServer.requestLimit {
                let got: Int?
                do {
                    got = try chunk.withUnsafeMutableBytes { try client.descriptor.read(into: $0.baseAddress!, count: $0.count) }
                } catch {
                    close(slot, epoll: epoll)
                    return
                }
                guard let got else { break }  // nothing more for now
                if got == 0 { ended = true; break }
                client.request += chunk[0..<got]
            }
            guard let response = MetricsServer.response(to: client.request, render: render) else {
                if ended || client.request.count >= MetricsServer.requestLimit {
                    close(slot, epoll: epoll)
                } else {
                    clients[slot] = client
                }
                return
            }
            client.response = response
            requestsServed += 1
        }
        let remaining = client.response.count - client.written
        do {
            let written = try client.response.withUnsafeBytes {
                try client.descriptor.write($0.baseAddress! + client.written, count: remaining)
            }
            client.written += written ?? 0  // nil: would block, wait for writability
        } catch {
            close(slot, epoll: epoll)
            return
        }
        if client.written == client.response.count {
            close(slot, epoll: epoll)
            return
        }
        // Writability only: more input (a pipelined request) must not wake the loop while the answer waits.
        try? epoll.modify(client.descriptor.rawValue, token: token, readable: false, writable: true)
        clients[slot] = client
    }

    /// Closes clients that took longer than `clientTimeout`.
    func expire(now: UInt64, epoll: Epoll) {
        for slot in clients.indices {
            if let client = clients[slot], now &- client.accepted > MetricsServer.clientTimeout { close(slot, epoll: epoll) }
        }
    }

    private func close(_ slot: Int, epoll: Epoll) {
        guard let client = clients[slot] else { return }
        epoll.remove(client.descriptor.rawValue)
        client.descriptor.close()
        clients[slot] = nil
    }

    /// The HTTP answer to `request`, or nil while its head (up to the blank line) is incomplete.
    static func response(to request: [UInt8], render: () -> String) -> [UInt8]? {
        let text = String(decoding: request, as: UTF8.self)
        guard text.contains("\r\n\r\n") || text.contains("\n\n") else { return nil }
        let words = text.prefix { $0 != "\r" && $0 != "\n" }.split(separator: " ")
        let status: String
        var body = ""
        var type = "text/plain; charset=utf-8"
        if words.count < 2 {
            status = "400 Bad Request"
        } else if words[0] != "GET" && words[0] != "HEAD" {
            status = "405 Method Not Allowed"
        } else if words[1] == "/metrics" || words[1].hasPrefix("/metrics?") {
            status = "200 OK"
            type = "text/plain; version=0.0.4; charset=utf-8"
            body = render()
        } else {
            status = "404 Not Found"
            body = "mlink serves /metrics only\n"
        }
        let bodyBytes = Array(body.utf8)
        var head = "HTTP/1.1 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(bodyBytes.count)\r\n"
        head += "Connection: close\r\n\r\n"
        return Array(head.utf8) + (words.first == "HEAD" ? [] : bodyBytes)
    }
}
