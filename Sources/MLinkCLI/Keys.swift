import MLinkTypes
import ArgumentParser
import MLinkProtocol

extension MLinkCommand {
    /// `mlink genkey`.
    struct GenKey: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "genkey",
            abstract: "Print a new base64 X25519 private key.",
            discussion: "Like `wg genkey`: umask 077; mlink genkey > vm0.key; mlink pubkey < vm0.key")

        func run() throws {
            do {
                print(try KeyPair.generate().privateKey.base64)
            } catch {
                throw reportFailure(error)
            }
        }
    }

    /// `mlink pubkey`.
    struct PubKey: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pubkey",
            abstract: "Read a base64 private key on stdin and print its public key.")

        func run() throws {
            var text = ""
            while let line = readLine(strippingNewline: true) { text += line }
            do {
                print(try KeyPair(privateKeyBase64: text.trimmingWhitespace()).publicKey.base64)
            } catch KeyPair.Failure.notABase64Key {
                complain("pubkey: stdin is not a base64 X25519 key (32 bytes)")
                throw ExitCode(ExitStatus.usage)
            } catch {
                throw reportFailure(error)
            }
        }
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and line breaks.
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[start...end])
    }
}
