import ArgumentParser

/// `mlink`: the command line, shaped like wg and wg-quick. Each subcommand lives in its own file.
public struct MLinkCommand: ParsableCommand {
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "mlink",
        abstract: "Multi-link redundant VPN: every packet over every link, the first copy wins.",
        discussion: """
            A profile (YAML) describes this host, its links and the virtual router. `mlink up NAME` reads \
            /etc/mlink/NAME.yaml (MLINK_CONFIG_DIR overrides the folder; an argument with a slash or ending in \
            .yaml is a path), creates the TUN interface and starts the forwarding core.

            Exit status: 0 success, 64 usage error, 69 not running, 71 system error, 77 needs root, \
            78 bad profile.
            """,
        version: version,
        subcommands: [Up.self, Down.self, Show.self, Check.self, GenKey.self, PubKey.self, Core.self]
    )

    public init() {}

    /// Shell completion for profile arguments: the profile names in the config folder.
    static let profileNamesCommand =
        #"for f in "${MLINK_CONFIG_DIR:-/etc/mlink}"/*.yaml; do [ -e "$f" ] && basename "$f" .yaml; done 2>/dev/null"#
    /// Shell completion for `down` and `show`: the interfaces with state in the run folder.
    static let runningInterfacesCommand =
        #"for f in "${MLINK_RUN_DIR:-/run/mlink}"/*.state; do [ -e "$f" ] && basename "$f" .state; done 2>/dev/null"#
}

/// Documented exit codes (sysexits.h values).
public enum ExitStatus {
    public static let usage: Int32 = 64
    public static let notRunning: Int32 = 69
    public static let systemError: Int32 = 71
    public static let needsRoot: Int32 = 77
    public static let badProfile: Int32 = 78
}
