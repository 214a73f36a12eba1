// The `carnet` command line. For now it offers the in-memory convergence demo; the store,
// sync and the full command set of CLI.md arrive with their issues.
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
let usage = """
usage: carnet <command>

commands:
  demo      a hub and three farms as in-memory replicas: offline writes, a concurrent
            catalog edit, an oversold lot, sync through the binary batch codec, equal
            digests, conflicts and their resolution
  help      this text

The durable store, TCP sync and the rest of the commands in CLI.md are not built yet.
"""

switch arguments.first {
case "demo":
    var output = StandardOutput()
    var demo = Demo(seed: 2026)
    exit(demo.run(printer: &output) ? 0 : 1)
case nil, "help", "--help", "-h":
    print(usage)
default:
    let message = "carnet: unknown command \"\(arguments[0])\". Run `carnet help` for the commands.\n"
    FileHandle.standardError.write(Data(message.utf8))
    exit(64)
}

struct StandardOutput: TextOutputStream {
    mutating func write(_ string: String) { print(string, terminator: "") }
}
