import MLinkSystem
import MLinkTypes

/// The Prometheus endpoint (`metrics-listen`): answers `GET /metrics` from the forwarding core's event loop.
///
/// Its clients are a `StreamClients` table, like the control socket's: non-blocking and bounded so that it can
/// never hold up the data path (at most 8 clients, 4 KiB requests, 5 s to finish), one request per connection
/// (`Connection: close`). The text is rendered only when asked for, never per packet.
final class MetricsServer {
    static let limits = StreamClients.Limits(maximumClients: 8, requestLimit: 4096, timeout: 5_000_000_000)

    let listener: TCPListener
    let clients: StreamClients

    /// Listens at `address`; client `i` will use epoll token `tokenBase + i`.
    init(address: SocketAddress, tokenBase: UInt64) throws {
        listener = try TCPListener(address: address)
        clients = StreamClients(listener: listener, limits: MetricsServer.limits, tokenBase: tokenBase)
    }

    /// Reads what client `token` sent and answers once its request head is complete; `render` makes the body.
    func serve(token: UInt64, epoll: Epoll, render: () -> String) {
        clients.serve(token: token, epoll: epoll) { request, _ in MetricsServer.response(to: request, render: render) }
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
