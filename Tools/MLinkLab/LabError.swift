import MLinkEmulator

/// Everything that can go wrong in the lab tool, each case carrying the offending value.
///
/// `description` is the text after `mlink-lab: `; `exitCode` follows sysexits(3).
enum LabError: Error, Equatable, CustomStringConvertible {
    /// A lab file's problem (topology, scenario, time script) at FILE:LINE:COL, for the dotted key path.
    case located(file: String, line: Int, column: Int, key: String, problem: String)
    /// A command exited non-zero (or could not start); `output` is what it printed.
    case command(String, status: Int32, output: String)
    /// A file or directory operation failed.
    case file(operation: String, path: String, reason: String)
    case invalidLabName(String)
    case labExists(String)
    case namespaceExists(String)
    case labNotRunning(String)
    case noLabRunning
    case severalLabs([String])
    case unknownHost(String, lab: String, known: [String])
    case unknownNet(String, lab: String, known: [String])
    case badPercent(String)
    /// A `KEY=VALUE` emulation setting that could not be understood.
    case badSetting(Emulation.SettingError)
    /// `set` on a net that runs on the plain kernel path.
    case notEmulated(String)
    /// The relay of an emulated net is gone.
    case relayNotRunning(String, pid: Int32?)
    /// The benchmark ran but its short form's check failed.
    case benchmarkFailed([String])
    case mlinkNotFound
    case needsRoot
    case interrupted

    var description: String {
        switch self {
        case let .located(file, line, column, key, problem):
            return "\(file):\(line):\(column): \(key): \(problem)"
        case let .command(command, status, output):
            let why = output.trimmingWhitespace()
            return "\(command): " + (why.isEmpty ? "exit status \(status)" : why.replacingNewlines())
        case let .file(operation, path, reason):
            return "\(operation) \(path): \(reason)"
        case .invalidLabName(let name):
            return "lab name '\(name)': use 1-24 letters, digits, '_' or '-', starting with a letter (see --name)"
        case .labExists(let name):
            return "up: lab '\(name)' already exists (run: mlink-lab down \(name))"
        case .namespaceExists(let namespace):
            return "up: network namespace '\(namespace)' already exists"
        case .labNotRunning(let name):
            return "lab '\(name)': not running"
        case .noLabRunning:
            return "no lab is running"
        case .severalLabs(let names):
            return "several labs are running (\(names.joined(separator: ", "))): name one"
        case let .unknownHost(host, lab, known):
            return "lab '\(lab)': no host '\(host)' (hosts: \(known.joined(separator: ", ")))"
        case let .unknownNet(net, lab, known):
            return "lab '\(lab)': no net '\(net)' (nets: \(known.joined(separator: ", ")))"
        case .badPercent(let text):
            return "loss: '\(text)' is not a percentage in 0...100"
        case .badSetting(let error):
            return "set: \(error)"
        case .notEmulated(let net):
            return "set: net '\(net)' runs on the plain kernel path; give it an 'emulate:' mapping in the topology"
        case let .relayNotRunning(net, pid):
            return "set: the relay of net '\(net)' is not running (pid \(pid.map(String.init) ?? "none"))"
        case .benchmarkFailed(let failures):
            return "bench: " + failures.joined(separator: "; ")
        case .mlinkNotFound:
            return "starting mlink: no mlink binary (set MLINK_BIN, put mlink next to mlink-lab or on PATH, or use --no-start)"
        case .needsRoot:
            return "namespaces need root: run as root"
        case .interrupted:
            return "interrupted"
        }
    }

    /// The process exit status for this error.
    var exitCode: Int32 {
        switch self {
        case .located: return 78                        // EX_CONFIG
        case .benchmarkFailed: return 1
        case .relayNotRunning: return 69
        case .invalidLabName, .badPercent, .badSetting, .notEmulated, .unknownHost, .unknownNet, .severalLabs: return 64  // EX_USAGE
        case .labNotRunning, .noLabRunning: return 69  // EX_UNAVAILABLE
        case .mlinkNotFound: return 69
        case .labExists, .namespaceExists: return 73   // EX_CANTCREAT
        case .needsRoot: return 77                      // EX_NOPERM
        case .command, .file, .interrupted: return 71   // EX_OSERR
        }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }

    func replacingNewlines() -> String {
        split(whereSeparator: \.isNewline).map { String($0).trimmingWhitespace() }.joined(separator: "; ")
    }
}
