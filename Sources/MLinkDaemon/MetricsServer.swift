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

    /// Listens at `address`; client `i` will use epoll token `tokenBase + i`; `worker` renders the text.
    init(address: SocketAddress, tokenBase: UInt64, worker: AnswerWorker) throws {
        listener = try TCPListener(address: address)
        clients = StreamClients(listener: listener, limits: MetricsServer.limits, tokenBase: tokenBase, worker: worker)
    }

    /// Reads what client `token` sent and answers once its request head is complete. `snapshot` is taken on
    /// the loop; `render` turns it into the body off the loop.
    func serve<Snapshot: Sendable>(token: UInt64, epoll: Epoll, snapshot: () -> Snapshot,
                                   render: @escaping @Sendable (Snapshot) -> String) {
        clients.serve(token: token, epoll: epoll) { request, _ in
            MetricsServer.answer(to: request) {
                let taken = snapshot()
                return { render(taken) }
            }
        }
    }

    /// The HTTP answer to `request`, or nil while its head (up to the blank line) is incomplete; rendered now.
    static func response(to request: [UInt8], render: @escaping @Sendable () -> String) -> [UInt8]? {
        switch answer(to: request, body: { render }) {
        case .incomplete: return nil
        case .now(let bytes): return bytes
        case .later(let work): return work()
        }
    }

    /// The HTTP answer to `request`. A `/metrics` body comes from the renderer that `body` returns (called on
    /// the loop, so it can take a snapshot; the renderer itself runs off the loop).
    static func answer(to request: [UInt8], body: () -> @Sendable () -> String) -> StreamClients.Answer {
        let text = String(decoding: request, as: UTF8.self)
        guard text.contains("\r\n\r\n") || text.contains("\n\n") else { return .incomplete }
        let words = text.prefix { $0 != "\r" && $0 != "\n" }.split(separator: " ")
        let head = words.first == "HEAD"
        if words.count < 2 {
            return .now(http("400 Bad Request", body: ""))
        } else if words[0] != "GET" && !head {
            return .now(http("405 Method Not Allowed", body: ""))
        } else if words[1] == "/metrics" || words[1].hasPrefix("/metrics?") {
            let render = body()
            return .later {
                http("200 OK", type: "text/plain; version=0.0.4; charset=utf-8", body: render(), headOnly: head)
            }
        } else {
            return .now(http("404 Not Found", body: "mlink serves /metrics only\n", headOnly: head))
        }
    }

    /// An HTTP/1.1 response that closes the connection.
    static func http(_ status: String, type: String = "text/plain; charset=utf-8", body: String,
                     headOnly: Bool = false) -> [UInt8] {
        let bodyBytes = Array(body.utf8)
        var head = "HTTP/1.1 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(bodyBytes.count)\r\n"
        head += "Connection: close\r\n\r\n"
        return Array(head.utf8) + (headOnly ? [] : bodyBytes)
    }
}
