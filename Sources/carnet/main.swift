// The `carnet` command line: parse, validate, run (see CLI/Command.swift), and exit with
// the status the command ended with.
import CarnetSystem
import Foundation

FaultInjection.installFromEnvironment()  // test equipment: CARNET_FAULTS (see FaultSpec), off when unset
let status = CarnetMain.run(Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment)
exit(status)
