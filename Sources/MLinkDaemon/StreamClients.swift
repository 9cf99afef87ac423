import MLinkSystem

/// The clients of a stream listener, served from the event loop without ever blocking it: the one client state
/// machine of the control socket and the metrics endpoint.
///
/// Bounded everywhere: at most `limits.maximumClients` at once (more are closed on accept), at most 16 accepts
/// per wake-up, requests up to `limits.requestLimit` bytes, `limits.timeout` from accept to the last byte of the
/// answer. A client that connects and sends nothing costs a descriptor until the timeout, never a wait. One
/// request per connection: once `respond` has an answer, it is written as far as the socket takes it, the rest
/// when epoll reports the client writable, then the connection is closed. An answer that is costly to render
/// (`Answer.later`) is rendered by the `AnswerWorker` while the loop goes on forwarding.
final class StreamClients {
    /// What `respond` makes of a request so far.
    enum Answer {
        /// Not a whole request yet.
        case incomplete
        /// These bytes, now.
        case now([UInt8])
        /// The bytes this closure returns, rendered off the loop (it must only read what it captured).
        case later(@Sendable () -> [UInt8])
    }

    struct Limits {
        var maximumClients: Int
        var requestLimit: Int
        /// Nanoseconds from accept to the end of the answer.
        var timeout: UInt64
    }

    /// One accepted client: what it sent so far, and the answer once there is one.
    struct Client {
        var descriptor: FileDescriptor
        var request: [UInt8] = []
        var response: [UInt8] = []
        var written = 0
        var accepted: UInt64
        /// Tells this client from a later one in the same slot (a late answer must not reach the newcomer).
        var serial: UInt64
        /// True while the worker renders the answer.
        var awaiting = false
    }

    let listener: StreamListener
    let limits: Limits
    let worker: AnswerWorker
    /// Client `i` uses epoll token `tokenBase + i`.
    let tokenBase: UInt64
    private(set) var clients: [Client?]
    private(set) var requestsServed: UInt64 = 0
    private(set) var clientsRefused: UInt64 = 0
    private(set) var clientsExpired: UInt64 = 0
    private var nextSerial: UInt64 = 0
    /// Read scratch, allocated once.
    private var chunk = [UInt8](repeating: 0, count: 1024)

    init(listener: StreamListener, limits: Limits, tokenBase: UInt64, worker: AnswerWorker) {
        self.listener = listener
        self.limits = limits
        self.worker = worker
        self.tokenBase = tokenBase
        clients = Array(repeating: nil, count: limits.maximumClients)
    }

    /// True when `token` is one of this table's clients.
    func owns(token: UInt64) -> Bool {
        token >= tokenBase && token < tokenBase + UInt64(limits.maximumClients)
    }

    /// The number of clients connected now.
    var connectedCount: Int { clients.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }

    /// Accepts pending clients, at most 16 per wake-up so a flood cannot hold the loop; those beyond
    /// `maximumClients` are closed at once.
    func acceptClients(epoll: Epoll, now: UInt64) {
        for _ in 0..<16 {
            guard let descriptor = listener.accept() else { return }
            guard let slot = clients.firstIndex(where: { $0 == nil }),
                  (try? epoll.add(descriptor.rawValue, token: tokenBase + UInt64(slot))) != nil else {
                clientsRefused += 1
                continue  // the descriptor closes as it goes out of scope
            }
            nextSerial += 1
            clients[slot] = Client(descriptor: descriptor, accepted: now, serial: nextSerial)
        }
    }

    /// Reads what client `token` sent and, once `respond` makes an answer of it, writes the answer.
    ///
    /// `respond(request, ended)` says whether the request is complete and how to answer it; `ended` is true
    /// when the client closed its sending side. An incomplete request that ended or reached the size limit
    /// closes the client.
    func serve(token: UInt64, epoll: Epoll, respond: (_ request: [UInt8], _ ended: Bool) -> Answer) {
        guard owns(token: token) else { return }
        let slot = Int(token - tokenBase)
        guard var client = clients[slot], !client.awaiting else { return }
        if client.response.isEmpty {
            var ended = false
            while client.request.count < limits.requestLimit {
                let wanted = min(chunk.count, limits.requestLimit - client.request.count)
                let got: Int?
                do {
                    got = try chunk.withUnsafeMutableBytes { try client.descriptor.read(into: $0.baseAddress!, count: wanted) }
                } catch {
                    close(slot, epoll: epoll)
                    return
                }
                guard let got else { break }  // nothing more for now
                if got == 0 { ended = true; break }
                client.request += chunk[0..<got]
            }
            let response: [UInt8]
            switch respond(client.request, ended) {
            case .incomplete:
                if ended || client.request.count >= limits.requestLimit {
                    close(slot, epoll: epoll)
                } else {
                    clients[slot] = client
                }
                return
            case .now(let bytes):
                response = bytes
            case .later(let work):
                guard worker.submit(work, clients: self, slot: slot, serial: client.serial) else {
                    response = work()
                    break
                }
                // Nothing to read or write until the answer is there.
                try? epoll.modify(client.descriptor.rawValue, token: token, readable: false, writable: false)
                client.awaiting = true
                clients[slot] = client
                return
            }
            guard !response.isEmpty else {
                close(slot, epoll: epoll)
                return
            }
            client.response = response
            requestsServed += 1
        }
        write(&client, slot: slot, epoll: epoll)
    }

    /// Takes the worker's answer for client `slot`, if that client (`serial`) is still there, and writes it.
    func deliver(_ response: [UInt8], slot: Int, serial: UInt64, epoll: Epoll) {
        guard var client = clients[slot], client.serial == serial, client.awaiting else { return }
        guard !response.isEmpty else {
            close(slot, epoll: epoll)
            return
        }
        client.awaiting = false
        client.response = response
        requestsServed += 1
        write(&client, slot: slot, epoll: epoll)
    }

    /// Writes as much of the answer as the socket takes; closes when done, else waits for writability.
    private func write(_ client: inout Client, slot: Int, epoll: Epoll) {
        let token = tokenBase + UInt64(slot)
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

    /// Closes clients older than `limits.timeout`: silent ones, slow ones, and those that stopped reading.
    func expire(now: UInt64, epoll: Epoll) {
        for slot in clients.indices {
            if let client = clients[slot], now &- client.accepted > limits.timeout {
                clientsExpired += 1
                close(slot, epoll: epoll)
            }
        }
    }

    private func close(_ slot: Int, epoll: Epoll) {
        guard let client = clients[slot] else { return }
        epoll.remove(client.descriptor.rawValue)
        client.descriptor.close()
        clients[slot] = nil
    }
}
