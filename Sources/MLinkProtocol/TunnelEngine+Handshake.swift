import MLinkControl
import MLinkTypes

/// The handshake side of the engine: a host initiates, the router responds (docs/PROTOCOL.md section 5).
///
/// Rules that hold whatever arrives:
/// - Nothing a handshake message says creates or moves a router-side connection; only an authentic transport
///   message with a new counter does. A replayed initiation gets at most our cached 60-byte answer.
/// - A response or cookie reply is never larger than the initiation it answers (60 < 148): no amplification.
/// - Only initiations with a valid mac1, within the rate limits, reach Diffie-Hellman; under load only those with
///   a valid mac2 too (TunnelEngine+Cookie.swift), which only a receiver at the source address can compute.
extension TunnelEngine {
    // MARK: Router: initiation in, response out

    func receiveInitiation(_ message: UnsafeMutableRawPointer, length: Int, slot: Int, source: SocketAddress,
                           now: UInt64) -> Verdict {
        guard case .router(let role) = role, length == WireFormat.initiationSize else {
            globalDrops.malformed += 1
            return .none
        }
        guard HandshakeMessages.hasValidMAC1(message, key: role.mac1Key) else {
            globalDrops.unauthenticated += 1
            return .none
        }
        let bytes = [UInt8](UnsafeRawBufferPointer(start: message, count: length))
        let identity = Array(bytes[HandshakeMessages.initiationIdentity])
        let ephemeral = Key32(bytes: bytes[4..<36])!
        // The same initiation again (another path of the exchange, or a resend): the same answer, no new session.
        if let cached = role.initiationCache[ephemeral], peers[cached].cachedInitiation == identity {
            peers[cached].counters.handshakeRepeats += 1
            return reply(withCachedResponseOf: peers[cached], slot: slot)
        }
        if let verdict = demandCookie(message, role: role, slot: slot, source: source, now: now) { return verdict }
        guard role.rateLimiter.allow(source.address, now: now) else {
            globalDrops.rateLimited += 1
            return .none
        }
        var noise = NoiseHandshake(role: .responder, prologue: HandshakeMessages.prologue,
                                   localStatic: configuration.privateKey, remoteStatic: nil, preSharedKey: .zero)
        guard let payload = noise.readMessage1(Array(bytes[HandshakeMessages.initiationNoise])), payload.count == 16 else {
            globalDrops.unauthenticated += 1
            return .none
        }
        guard let peerIndex = peerByKey[noise.remoteStatic!] else {
            globalDrops.unknownKey += 1
            return .none
        }
        let peer = peers[peerIndex]
        // A router peer we dial must not dial us too (PROTOCOL.md section 5, rule 6): two crossing handshakes.
        guard !peer.dials else {
            peer.counters.handshakesRefused += 1
            return .none
        }
        let senderIndex = payload.withUnsafeBytes { LE.u32($0.baseAddress!, 0) }
        let timestamp = payload.withUnsafeBytes { InitiationTimestamp(reading: $0.baseAddress! + 4) }
        guard timestamp > peer.latestInitiation else {
            peer.counters.replayedHandshakes += 1
            return .none
        }
        noise.preSharedKey = peer.presharedKey
        let localIndex = freshSessionIndex()
        var indexBytes = [UInt8](repeating: 0, count: 4)
        indexBytes.withUnsafeMutableBytes { LE.put($0.baseAddress!, 0, localIndex) }
        guard let noiseResponse = noise.writeMessage2(ephemeral: makeEphemeral(), payload: indexBytes) else {
            globalDrops.unauthenticated += 1
            return .none
        }
        let keys = noise.split()
        if let old = peer.nextSession { sessions.remove(old.localIndex) }
        peer.nextSession = Session(localIndex: localIndex, remoteIndex: senderIndex, established: now,
                                   maximumAge: configuration.maximumCopyAge, isInitiator: false,
                                   sendKey: keys.responderToInitiator, receiveKey: keys.initiatorToResponder)
        sessions.insert(localIndex, peer: peerIndex)
        peer.latestInitiation = timestamp
        if peer.cachedInitiation.count == identity.count, let old = Key32(bytes: peer.cachedInitiation[0..<32]) {
            role.initiationCache[old] = nil
        }
        role.initiationCache[ephemeral] = peerIndex
        peer.cachedInitiation = identity
        var response = [UInt8](repeating: 0, count: 8)
        response[0] = WireFormat.MessageType.response.rawValue
        response.withUnsafeMutableBytes { LE.put($0.baseAddress!, 4, senderIndex) }
        peer.cachedResponse = response + noiseResponse
        return reply(withCachedResponseOf: peer, slot: slot)
    }

    /// Copies the peer's cached response into the reply buffer with our path id for this link.
    private func reply(withCachedResponseOf peer: Peer, slot: Int) -> Verdict {
        peer.cachedResponse.withUnsafeBytes { replyBuffer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        LE.put(replyBuffer, 2, UInt16(truncatingIfNeeded: slot) << 8)
        return .reply(length: WireFormat.responseSize)
    }

    /// A random non-zero index no session of ours uses.
    private func freshSessionIndex() -> UInt32 {
        var index = randomSource()
        while index == 0 || sessions.contains(index) || peers.contains(where: { $0.pending?.localIndex == index }) {
            index = randomSource()
        }
        return index
    }

    /// The host confirmed the session we answered: it becomes current, the current one previous.
    func promoteNextSession(of peer: Peer, now: UInt64) {
        if let old = peer.previousSession { sessions.remove(old.localIndex) }
        peer.previousSession = peer.session
        peer.session = peer.nextSession
        peer.nextSession = nil
        peer.lastHandshake = now
        peer.counters.handshakes += 1
        if let index = peers.firstIndex(where: { $0 === peer }) { record(.sessionEstablished(peer: index)) }
    }

    // MARK: Host: response in

    func receiveResponse(_ message: UnsafeMutableRawPointer, length: Int, slot: Int, source: SocketAddress,
                         now: UInt64) -> Verdict {
        guard length == WireFormat.responseSize else {
            globalDrops.malformed += 1
            return .none
        }
        let receiverIndex = LE.u32(message, 4)
        let pathID = LE.u16(message, 2)
        // The peer whose pending initiation the response names (a host may dial several routers, a router its
        // router peers with a higher key).
        let routerIndex = dialledPeers.first { peers[$0].pending?.localIndex == receiverIndex }
            ?? sessions.owner(of: receiverIndex) ?? -1
        guard routerIndex >= 0, peers[routerIndex].dials else {
            globalDrops.unknownSession += 1
            return .none
        }
        let router = peers[routerIndex]
        guard var pending = router.pending, pending.localIndex == receiverIndex else {
            // The response that completed the current session, arriving on another path: that path works.
            if router.session?.localIndex == receiverIndex, router.acceptedResponse.count == length - 4,
               now &- router.acceptedResponseAt < configuration.rekeyTimeout,
               router.acceptedResponse.withUnsafeBytes({ Crypto.constantTimeEqual($0.baseAddress!, message + 4, count: length - 4) }),
               let c = connectionIndex(peer: router, slot: slot, source: source, remotePathID: pathID, now: now,
                                       mayLearn: false) {
                router.connections[c].markReceived(bytes: length, now: now)
                return .none
            }
            globalDrops.unknownSession += 1
            return .none
        }
        let bytes = [UInt8](UnsafeRawBufferPointer(start: message, count: length))
        guard let payload = pending.noise.readMessage2(Array(bytes[HandshakeMessages.responseNoise])),
              payload.count == 4 else {
            globalDrops.unauthenticated += 1
            return .none
        }
        let remoteIndex = payload.withUnsafeBytes { LE.u32($0.baseAddress!, 0) }
        let keys = pending.noise.split()
        if let old = router.previousSession { sessions.remove(old.localIndex) }
        sessions.insert(receiverIndex, peer: routerIndex)
        router.previousSession = router.session
        router.session = Session(localIndex: receiverIndex, remoteIndex: remoteIndex, established: now,
                                 maximumAge: configuration.maximumCopyAge, isInitiator: true,
                                 sendKey: keys.initiatorToResponder, receiveKey: keys.responderToInitiator)
        router.pending = nil
        router.acceptedResponse = Array(bytes[4...])
        router.acceptedResponseAt = now
        router.lastHandshake = now
        router.counters.handshakes += 1
        record(.sessionEstablished(peer: routerIndex))
        if let c = connectionIndex(peer: router, slot: slot, source: source, remotePathID: pathID, now: now) {
            router.connections[c].markReceived(bytes: length, now: now)
        }
        // Probe every connection at once: the first authentic transport message confirms the session to the
        // router, and the probes measure each path.
        for c in router.connections.indices { router.connections[c].lastProbe = 0 }
        return .none
    }

    // MARK: Host: when to initiate

    /// True when the host should be (or stay) in a handshake: no session, an old one, or silence.
    func needsHandshake(_ peer: Peer, now: UInt64) -> Bool {
        guard let session = peer.session else { return true }
        if now &- session.established >= configuration.rekeyAfterTime { return true }
        if session.sendCounter >= configuration.rekeyAfterMessages { return true }
        return now &- max(peer.lastReceivedAnywhere, peer.lastHandshake) > configuration.sessionTimeout
            && !peer.hasLivePath  // idle paths are quiet for a standby-probe interval (LinkPolicy+Probing.swift)
    }

    /// Makes a new initiation for the router (a fresh ephemeral key, index and timestamp).
    func startHandshake(with peer: Peer, now: UInt64) {
        var noise = NoiseHandshake(role: .initiator, prologue: HandshakeMessages.prologue,
                                   localStatic: configuration.privateKey, remoteStatic: peer.publicKey,
                                   preSharedKey: peer.presharedKey)
        let localIndex = freshSessionIndex()
        let payload = HandshakeMessages.initiationPayload(senderIndex: localIndex,
                                                          timestamp: InitiationTimestamp(wallClockNanoseconds: wallClock()))
        guard let noiseMessage = noise.writeMessage1(ephemeral: makeEphemeral(), payload: payload) else { return }
        var message = [UInt8](repeating: 0, count: 4) + noiseMessage
        message[0] = WireFormat.MessageType.initiation.rawValue
        let key = HandshakeMessages.mac1Key(responder: peer.publicKey)
        message += message.withUnsafeBytes { HandshakeMessages.mac1(key: key, initiation: $0.baseAddress!) }
        message += [UInt8](repeating: 0, count: CookieMessages.mac2Range.count)  // mac2: per connection, when sent
        peer.pending = PendingHandshake(noise: noise, localIndex: localIndex, message: message, started: now)
    }
}
