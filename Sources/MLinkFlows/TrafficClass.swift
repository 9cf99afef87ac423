/// What a flow is, as far as the classifier can tell (../docs/ARCHITECTURE.md, "Flows and classes").
public enum TrafficClass: UInt8, CaseIterable, Sendable {
    /// Too early to say (the first packets, or 200 ms): protected like real time until decided.
    case unknown
    case realtimeAudio
    case realtimeVideo
    case interactive
    /// DNS, TCP segments without payload (handshakes, pure ACKs).
    case control
    case bulk
    case `default`

    /// The name in profiles, `show` and the metrics.
    public var name: String {
        switch self {
        case .unknown: "unknown"
        case .realtimeAudio: "rt-audio"
        case .realtimeVideo: "rt-video"
        case .interactive: "interactive"
        case .control: "control"
        case .bulk: "bulk"
        case .default: "default"
        }
    }

    /// True for the classes a live call is made of (and `unknown`, which is protected until decided).
    public var isRealTime: Bool { self == .realtimeAudio || self == .realtimeVideo || self == .unknown }

    /// True for the decided classes of live traffic: a call's audio and video, and interactive traffic.
    public var isLive: Bool { self == .realtimeAudio || self == .realtimeVideo || self == .interactive }
}

/// Which step of the classifier decided a flow's class, for `show` ("the reason for the plan").
public enum ClassReason: UInt8, Sendable {
    case none
    case dscp
    case header
    case behaviour
    case port

    public var name: String {
        switch self {
        case .none: "none"
        case .dscp: "dscp"
        case .header: "header"
        case .behaviour: "behaviour"
        case .port: "port"
        }
    }
}

/// What the header checks found on a flow; several may hold (STUN, then DTLS, then RTP is WebRTC). These are the
/// names `detect:` matches.
public struct Detections: OptionSet, Hashable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let stun = Detections(rawValue: 1 << 0)
    public static let dtls = Detections(rawValue: 1 << 1)
    public static let rtp = Detections(rawValue: 1 << 2)
    public static let rtcp = Detections(rawValue: 1 << 3)
    public static let quic = Detections(rawValue: 1 << 4)
    public static let srt = Detections(rawValue: 1 << 5)
    /// STUN and (DTLS or RTP) on one 5-tuple.
    public static let webrtc = Detections(rawValue: 1 << 6)
    /// RTP whose packets are small and regular (audio), or large and bursty (video).
    public static let rtpAudio = Detections(rawValue: 1 << 7)
    public static let rtpVideo = Detections(rawValue: 1 << 8)
    /// Sustained high rate of large packets.
    public static let bulk = Detections(rawValue: 1 << 9)

    /// `detect:` names, in the order `show` prints them.
    public static let names: [(name: String, detection: Detections)] = [
        ("stun", .stun), ("dtls", .dtls), ("rtp", .rtp), ("rtcp", .rtcp), ("quic", .quic), ("srt", .srt),
        ("webrtc", .webrtc), ("rtp-audio", .rtpAudio), ("rtp-video", .rtpVideo), ("bulk", .bulk),
    ]

    /// The detection a `detect:` name stands for, or nil.
    public init?(name: String) {
        guard let entry = Detections.names.first(where: { $0.name == name }) else { return nil }
        self = entry.detection
    }

    /// The names of what is set, joined by "+" ("stun+dtls+rtp+webrtc").
    public var description: String {
        Detections.names.filter { contains($0.detection) }.map(\.name).joined(separator: "+")
    }
}
