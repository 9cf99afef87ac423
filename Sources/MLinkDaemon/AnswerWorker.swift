import MLinkSystem
import Synchronization

/// Renders control and metrics answers off the event loop: the loop takes a cheap snapshot (the status report,
/// tens of microseconds), a detached thread turns it into bytes (JSON or Prometheus text, milliseconds for a
/// router with many peers), and `ready` wakes the loop to write them.
///
/// At most one thread per waiting client, so the clients' bounds bound the threads too. The loop alone touches
/// `pending`; the threads touch only `finished`, under its lock.
final class AnswerWorker: @unchecked Sendable {
    /// Readable when answers are finished.
    let ready: EventDescriptor
    private let finished = Mutex<[(job: UInt64, bytes: [UInt8])]>([])
    private var pending: [UInt64: (clients: StreamClients, slot: Int, serial: UInt64)] = [:]
    private var nextJob: UInt64 = 0

    init() throws {
        ready = try EventDescriptor()
    }

    /// Runs `work` on a new thread for client `slot` (accepted as `serial`) of `clients`; false when no thread
    /// could be started (the caller then answers on the loop).
    func submit(_ work: @escaping @Sendable () -> [UInt8], clients: StreamClients, slot: Int, serial: UInt64) -> Bool {
        nextJob += 1
        let job = nextJob
        do {
            try DetachedThread.start { [self] in
                let bytes = work()
                finished.withLock { $0.append((job, bytes)) }
                ready.signal()
            }
        } catch {
            return false
        }
        pending[job] = (clients, slot, serial)
        return true
    }

    /// Hands the finished answers to their clients (called when `ready` is readable).
    func collect(epoll: Epoll) {
        _ = ready.drain()
        let done = finished.withLock { list -> [(job: UInt64, bytes: [UInt8])] in
            defer { list.removeAll() }
            return list
        }
        for (job, bytes) in done {
            guard let owner = pending.removeValue(forKey: job) else { continue }
            owner.clients.deliver(bytes, slot: owner.slot, serial: owner.serial, epoll: epoll)
        }
    }
}
