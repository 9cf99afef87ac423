import MLinkControl
import MLinkSystem

/// The control socket (`/run/mlink/NAME.sock`): one `ControlRequest` line per connection, answered from the
/// event loop.
///
/// Its clients are a `StreamClients` table, like the metrics endpoint's, so no client can hold up forwarding: a
/// client that connects and says nothing holds one of 16 places for at most 3 s; a request is at most
/// `ControlRequest.maximumLength` bytes; an answer that does not fit the socket buffer is finished on EPOLLOUT.
final class ControlServer {
    static let limits = StreamClients.Limits(maximumClients: 16, requestLimit: ControlRequest.maximumLength,
                                             timeout: 3_000_000_000)

    let listener: UnixListener
    let clients: StreamClients
    /// Renders answers off the loop; the metrics endpoint shares it.
    let worker: AnswerWorker

    /// Listens at `path`; client `i` will use epoll token `tokenBase + i`.
    init(path: String, tokenBase: UInt64) throws {
        listener = try UnixListener(path: path)
        worker = try AnswerWorker()
        clients = StreamClients(listener: listener, limits: ControlServer.limits, tokenBase: tokenBase, worker: worker)
    }

    /// Reads what client `token` sent and, once a line (or the end of the request) is there, answers it with
    /// `answer`, which gets the parsed request.
    func serve(token: UInt64, epoll: Epoll, answer: (ControlRequest) -> StreamClients.Answer) {
        clients.serve(token: token, epoll: epoll) { request, ended in
            ControlServer.response(to: request, ended: ended, answer: answer)
        }
    }

    /// The answer to `request`: incomplete until its line is there.
    static func response(to request: [UInt8], ended: Bool,
                         answer: (ControlRequest) -> StreamClients.Answer) -> StreamClients.Answer {
        let line: ArraySlice<UInt8>
        if let newline = request.firstIndex(of: UInt8(ascii: "\n")) {
            line = request[..<newline]
        } else if ended && !request.isEmpty {
            line = request[...]
        } else {
            return .incomplete
        }
        do {
            return answer(try ControlRequest(line: String(decoding: line, as: UTF8.self)))
        } catch {
            return .now(Array("error: \(error)\n".utf8))
        }
    }
}
