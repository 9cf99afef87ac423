import Foundation
import MLinkEmulator
import MLinkSystem

/// mlink's extra bytes per link, from the relays' per-type tallies (issue 14): what each net carried of mlink
/// data, probes and control during the run, both directions, with Ethernet, IP and UDP headers.
extension BenchResult {
    /// Per net: `after - before`, both directions summed.
    static func difference(_ after: [String: [String: WireTally]], since before: [String: [String: WireTally]])
        -> [String: WireTally] {
        var out: [String: WireTally] = [:]
        for (net, directions) in after {
            var sum = WireTally()
            for (direction, tally) in directions {
                let earlier = before[net]?[direction] ?? WireTally()
                for i in 0..<WireTally.slots {
                    sum.bytes[i] += tally.bytes[i] - earlier.bytes[i]
                    sum.frames[i] += tally.frames[i] - earlier.frames[i]
                }
            }
            out[net] = sum
        }
        return out
    }

    /// The table's lines about wire bytes: per net, mlink's data, probe and control bytes and rates.
    var wireLines: [String] {
        guard !wire.isEmpty else { return [] }
        var lines = ["  mlink on the wire per net (both directions, from the relays; all four runs share the nets, "
                     + "only mlink's messages counted):"]
        for (net, t) in wire.sorted(by: { $0.key < $1.key }) {
            let control = t.controlBytes - t.bytes[7]
            lines.append(String(format: "    %@: data %@, parity %@, probe %@ (%.0f B/s), control %@ (%.0f B/s)", net,
                                Self.size(t.bytes[4]), Self.size(t.bytes[7]), Self.size(t.bytes[5]),
                                Double(t.bytes[5]) / runSeconds, Self.size(control), Double(control) / runSeconds))
        }
        return lines
    }

    static func size(_ bytes: Int) -> String {
        bytes >= 1 << 20 ? String(format: "%.2f MiB", Double(bytes) / 1048576)
            : bytes >= 1024 ? String(format: "%.1f KiB", Double(bytes) / 1024) : "\(bytes) B"
    }
}

extension Bench {
    /// The per-type tally file of `net`'s relay in the lab folder.
    func tallyFile(_ directory: String, net: String) -> String {
        Relay.tallyPath(directory + "/relay-\(net).stats")
    }

    /// Every relay's tallies in the lab folder, by net and direction.
    func readTallies(_ directory: String) -> [String: [String: WireTally]] {
        var out: [String: [String: WireTally]] = [:]
        for net in Scenario.allNets {
            guard let data = FileManager.default.contents(atPath: tallyFile(directory, net: net)),
                  let tallies = try? JSONDecoder().decode([String: WireTally].self, from: data) else { continue }
            out[net] = tallies
        }
        return out
    }
}

extension Bench {
    /// Now on the clock of the tally files' modification times (seconds).
    func tallyClock() -> Double { Date().timeIntervalSince1970 }

    /// When each relay last wrote its tallies (seconds, `tallyClock`), by net.
    func tallyWriteTimes(_ directory: String) -> [String: Double] {
        var out: [String: Double] = [:]
        for net in Scenario.allNets {
            let path = tallyFile(directory, net: net)
            if let date = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date {
                out[net] = date.timeIntervalSince1970
            }
        }
        return out
    }

    /// The tallies with each net's write time, read between two looks at the times that agree (a relay may
    /// write between the two reads).
    func talliesWithWriteTimes(_ directory: String) -> ([String: [String: WireTally]], [String: Double]) {
        var times = tallyWriteTimes(directory)
        for _ in 0..<5 {
            let tallies = readTallies(directory)
            let again = tallyWriteTimes(directory)
            if again == times { return (tallies, times) }
            times = again
        }
        return (readTallies(directory), times)
    }

    /// The tallies once every relay has written them after `moment` (they write once a second; at most 1.5 s).
    func talliesWritten(after moment: Double, _ directory: String) -> ([String: [String: WireTally]], [String: Double]) {
        let deadline = moment + 1.5
        while tallyWriteTimes(directory).values.contains(where: { $0 <= moment }) && tallyClock() < deadline {
            ProcessControl.sleep(milliseconds: 20)
        }
        return talliesWithWriteTimes(directory)
    }
}

extension WireTally {
    /// mlink's handshake, control and parity bytes: types 2, 3, 6 and 7 (parity; the wire lines and the extra
    /// bytes show it apart). Type 1 (initiation) is left out: the single-link
    /// runs' video packets (scripts/avstream.py, first byte 1) share the nets and land in that slot (about
    /// 250 kB/s); mlink's own initiations are one ~150-byte message per net every two minutes.
    var controlBytes: Int { bytes[2] + bytes[3] + bytes[6] + bytes[7] }
}
