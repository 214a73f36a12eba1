// The `carnet` command line: parse, validate, run (see CLI/Command.swift), and exit with
// the status the command ended with.
import Foundation

let status = CarnetMain.run(Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment)
exit(status)
