import ArgumentParser
import Foundation

/// `mlink-lab set NET KEY=VALUE... [--from HOST] [--script FILE] [--lab LAB]`.
struct SetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Change the link emulator's settings of an emulated net while the lab runs.",
        discussion: """
            KEY=VALUE: delay=40ms jitter=10ms distribution=normal|uniform|pareto reorder=on|off loss=2% \
            ge=P/R[/H[/K]] (Gilbert-Elliott burst loss, percent) rate=2mbit queue=100ms down=on|off \
            flap=PERIOD/DOWN (a periodic outage) ; `off` removes ge, rate and flap. Settings apply to both \
            directions unless --from names the host whose outgoing packets they affect.
            --script FILE starts a time script (a YAML list of {at: 12.5s, KEY: VALUE...}, optionally `from: HOST`) \
            from now; any set without it stops a running script, keeping what it had set so far.
            Only nets with an `emulate:` mapping in the topology have a relay; cut, restore and loss work on every net.
            """)

    @Argument(help: "The net, as named in the topology.")
    var net: String

    @Argument(help: ArgumentHelp("Settings such as delay=40ms loss=2%.", valueName: "KEY=VALUE"))
    var settings: [String] = []

    @Option(name: .long, help: ArgumentHelp("Only packets leaving this host (one direction).", valueName: "HOST"))
    var from: String?

    @Option(name: .long, help: ArgumentHelp("A YAML time script to follow from now.", valueName: "FILE"))
    var script: String?

    @OptionGroup var options: LabOption

    func validate() throws {
        if settings.isEmpty && script == nil { throw ValidationError("give at least one KEY=VALUE or --script") }
    }

    func run() throws {
        try reportingErrors(needsRoot: true) { () throws(LabError) in
            let timeScript = try script.map { (path) throws(LabError) in try TimeScript.load(file: path) }
            let lab = Lab.live()
            let wire = try lab.setEmulation(lab: try lab.paths.resolve(options.lab), net: net, words: settings,
                                            from: from, script: timeScript)
            if let emulation = wire.emulation {
                print("\(net) \(wire.ends[0].host)->\(wire.ends[1].host): \(emulation.forward.words.joined(separator: " "))")
                print("\(net) \(wire.ends[1].host)->\(wire.ends[0].host): \(emulation.backward.words.joined(separator: " "))")
            }
        }
    }
}
