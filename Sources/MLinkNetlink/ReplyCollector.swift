import CMnl
import MLinkSystem

/// Gathers the replies to one request (or a batch of notifications) from received datagrams, through
/// `mnl_cb_run2`, without doing any I/O itself, so recorded datagrams can be fed to it in tests.
///
/// Sequence numbers are checked here rather than by libmnl: libmnl rejects a whole datagram on the first
/// foreign sequence number, while a stale reply (left over from a request abandoned by an earlier error) should
/// merely be skipped. An interrupted dump (NLM_F_DUMP_INTR: the table changed while the kernel walked it) is
/// read to its end and reported, so the caller can ask again on a clean socket.
final class ReplyCollector {
    /// How far the exchange is after a datagram.
    enum Progress: Equatable {
        /// More datagrams belong to this exchange.
        case needMore
        /// Done: an acknowledgement, NLMSG_DONE, or (for notifications) the end of the datagram.
        case finished
        /// The kernel refused the request.
        case failed(NetlinkStatus)
        /// The dump was inconsistent and has been read to its end; ask again.
        case interrupted
    }

    /// The sequence number of the request; 0 accepts every message (notifications carry 0 or a stranger's).
    let sequence: UInt32
    /// Data messages (type >= NLMSG_MIN_TYPE) received so far, each a whole message.
    private(set) var messages: [[UInt8]] = []
    private var status: NetlinkStatus?
    private var draining = false
    /// libmnl takes the control table as a mutable pointer, hence a per-collector copy.
    private var controlCallbacks = ReplyCollector.controlTable

    /// A collector for the replies to the request numbered `sequence`.
    init(sequence: UInt32) {
        self.sequence = sequence
    }

    /// Feeds one received datagram.
    func consume(_ received: UnsafeRawBufferPointer) -> Progress {
        let datagram = UnsafeRawBufferPointer(rebasing: received.prefix(NetlinkMessages.wellFormedLength(of: received)))
        guard let base = datagram.baseAddress, !datagram.isEmpty else { return sequence == 0 ? .finished : .needMore }
        if draining {
            return ReplyCollector.containsEnd(of: sequence, in: datagram) ? .interrupted : .needMore
        }
        let context = Unmanaged.passUnretained(self).toOpaque()
        let result = controlCallbacks.withUnsafeMutableBufferPointer { controls in
            mnl_cb_run2(base, datagram.count, 0, 0, ReplyCollector.onData, context,
                        controls.baseAddress, UInt32(controls.count))
        }
        if result == MNL_CB_ERROR && Errno.current == .interrupted {  // libmnl: NLM_F_DUMP_INTR
            draining = true
            messages.removeAll()
            return ReplyCollector.containsEnd(of: sequence, in: datagram) ? .interrupted : .needMore
        }
        if let status {
            return status.errno == 0 ? .finished : .failed(status)
        }
        return sequence == 0 ? .finished : .needMore
    }

    private func accepts(_ message: UnsafePointer<nlmsghdr>) -> Bool {
        sequence == 0 || message.pointee.nlmsg_seq == sequence
    }

    /// True when `datagram` (already cut to whole messages) holds the NLMSG_DONE or NLMSG_ERROR that ends
    /// request `sequence`.
    private static func containsEnd(of sequence: UInt32, in datagram: UnsafeRawBufferPointer) -> Bool {
        guard let base = datagram.baseAddress else { return false }
        var remaining = Int32(clamping: datagram.count)
        var message: UnsafePointer<nlmsghdr>? = base.assumingMemoryBound(to: nlmsghdr.self)
        while let current = message, mnl_nlmsg_ok(current, remaining) {
            let type = Int32(current.pointee.nlmsg_type)
            if current.pointee.nlmsg_seq == sequence && (type == NLMSG_DONE || type == NLMSG_ERROR) { return true }
            message = UnsafePointer(mnl_nlmsg_next(current, &remaining))
        }
        return false
    }

    private static func collector(_ context: UnsafeMutableRawPointer?) -> ReplyCollector {
        Unmanaged<ReplyCollector>.fromOpaque(context!).takeUnretainedValue()
    }

    private static let onData: mnl_cb_t = { message, context in
        guard let message else { return MNL_CB_OK }
        let collector = ReplyCollector.collector(context)
        if collector.accepts(message) {
            let bytes = UnsafeRawBufferPointer(start: message, count: Int(message.pointee.nlmsg_len))
            collector.messages.append(Array(bytes))
        }
        return MNL_CB_OK
    }

    /// NLMSG_ERROR and NLMSG_DONE both end the exchange; the status says how.
    private static let onEnd: mnl_cb_t = { message, context in
        guard let message else { return MNL_CB_OK }
        let collector = ReplyCollector.collector(context)
        guard collector.accepts(message) else { return MNL_CB_OK }
        collector.status = NetlinkMessages.parseStatus(message) ?? NetlinkStatus(errno: Errno.badMessage.rawValue)
        return MNL_CB_STOP
    }

    private static let onNoop: mnl_cb_t = { _, _ in MNL_CB_OK }

    /// Indexed by control message type: NLMSG_NOOP (1), NLMSG_ERROR (2), NLMSG_DONE (3). Types 4...15
    /// (NLMSG_OVERRUN and reserved) fall through to libmnl's defaults, which skip them.
    private static let controlTable: [mnl_cb_t?] = [nil, onNoop, onEnd, onEnd]
}
