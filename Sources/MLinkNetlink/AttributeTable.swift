import CMnl
import MLinkTypes

/// The attributes of one netlink message, indexed by type, as `mnl_attr_parse` finds them.
///
/// The slots point into the message buffer, so a table is only valid inside the `withUnsafeBytes` scope of the
/// message it parsed. Later duplicates of a type replace earlier ones, as the kernel's own parsers do.
final class AttributeTable {
    private var slots: [UnsafePointer<nlattr>?]

    /// A table for attribute types 0...maximumType; larger types (newer kernels) are ignored.
    init(maximumType: Int) {
        slots = Array(repeating: nil, count: maximumType + 1)
    }

    /// The libmnl callback: files each attribute in the table passed as context.
    private static let collect: mnl_attr_cb_t = { attribute, context in
        guard let attribute, let context else { return MNL_CB_OK }
        let table = Unmanaged<AttributeTable>.fromOpaque(context).takeUnretainedValue()
        let type = Int(mnl_attr_get_type(attribute))
        if type < table.slots.count { table.slots[type] = attribute }
        return MNL_CB_OK
    }

    /// Parses the attributes that follow a family header of `headerSize` bytes; false when they are malformed.
    func parse(_ message: UnsafePointer<nlmsghdr>, headerSize: Int) -> Bool {
        let context = Unmanaged.passUnretained(self).toOpaque()
        return mnl_attr_parse(message, UInt32(headerSize), AttributeTable.collect, context) >= MNL_CB_STOP
    }

    /// Parses the attributes nested inside `attribute`; false when they are malformed.
    func parseNested(_ attribute: UnsafePointer<nlattr>) -> Bool {
        let context = Unmanaged.passUnretained(self).toOpaque()
        return mnl_attr_parse_nested(attribute, AttributeTable.collect, context) >= MNL_CB_STOP
    }

    /// The raw attribute of `type`, if present.
    subscript(type: Int) -> UnsafePointer<nlattr>? {
        type < slots.count ? slots[type] : nil
    }

    /// The payload of `type` as bytes, if present.
    func bytes(_ type: Int) -> UnsafeRawBufferPointer? {
        guard let attribute = self[type] else { return nil }
        return UnsafeRawBufferPointer(start: mnl_attr_get_payload(attribute),
                                      count: Int(mnl_attr_get_payload_len(attribute)))
    }

    /// A native-endian 32-bit payload; nil when absent or too short.
    func uint32(_ type: Int) -> UInt32? {
        guard let payload = bytes(type), payload.count >= 4 else { return nil }
        return payload.loadUnaligned(as: UInt32.self)
    }

    /// An 8-bit payload; nil when absent or empty.
    func uint8(_ type: Int) -> UInt8? {
        guard let payload = bytes(type), payload.count >= 1 else { return nil }
        return payload[0]
    }

    /// A string payload without its terminating NUL; nil when absent.
    func string(_ type: Int) -> String? {
        guard let payload = bytes(type) else { return nil }
        let text = payload.prefix { $0 != 0 }
        return String(decoding: text, as: UTF8.self)
    }

    /// An address payload (4 or 16 bytes); nil when absent or of another length.
    func address(_ type: Int) -> IPAddress? {
        guard let payload = bytes(type) else { return nil }
        return IPAddress(bytes: payload)
    }
}
