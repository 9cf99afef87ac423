import Foundation
import MLinkEmulator

extension Lab {
    /// Changes an emulated net's settings (one direction with `from`, else both), replaces its time script
    /// (`script` starts now; nil stops a running one, keeping what it had set so far), saves the state and
    /// tells the relay (SIGHUP). Returns the wire as it now is.
    @discardableResult
    func setEmulation(lab: String, net: String, words: [String], from: String?,
                      script: TimeScript?) throws(LabError) -> Wire {
        try updateWire(lab: lab, net: net) { (wire) throws(LabError) in
            guard var emulation = wire.emulation else { throw .notEmulated(net) }
            let hosts = wire.ends.map(\.host)
            var direction = WireEmulation.Direction.both
            if let from {
                guard let end = hosts.firstIndex(of: from) else { throw .unknownHost(from, lab: lab, known: hosts) }
                direction = end == 0 ? .forward : .backward
            }
            let now = Relay.now()
            emulation.settleScript(now: now)
            do throws(Emulation.SettingError) { try emulation.apply(words, to: direction) } catch { throw .badSetting(error) }
            if let script {
                emulation.script = try script.steps(forNet: nil, ends: hosts, runSeconds: 0)
                emulation.epoch = now
            }
            wire.emulation = emulation
            try wire.reloadRelay(using: system)
        }
    }
}

extension WireEmulation {
    /// Folds the script steps already due at `now` into the base settings and drops the script, so that a
    /// manual change is not overridden when the relay replays the script on reload.
    mutating func settleScript(now: Int64) {
        guard !script.isEmpty, epoch > 0 else { script = []; return }
        for step in script where epoch + Int64(step.at * 1e9) <= now { try? apply(step.settings, to: step.direction) }
        script = []
    }
}
