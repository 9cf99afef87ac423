import MLinkProtocol

extension ForwardingCore {
    /// Delivers or forwards the striped packets the engine's reorder buffers release now (PROTOCOL.md section 16),
    /// after what the batch delivered before them, so the flow's order holds on the TUN.
    func drainReordered(now: UInt64) {
        guard engine.hasReorderedPackets else { return }
        while let (buffer, verdict) = engine.nextReordered(now: now) { handleEngineBuffer(buffer, verdict: verdict, now: now) }
    }
}
