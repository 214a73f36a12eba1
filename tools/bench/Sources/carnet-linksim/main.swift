// carnet-linksim: a TCP proxy for loopback that behaves like a rural link.
//
//     swift run -c release --package-path tools/bench carnet-linksim \
//         --listen 127.0.0.1:7500 --to 127.0.0.1:7420 --profile rate=64kbit,rtt=600ms
//
// Profile settings (comma-separated key=value): rate, up, down (e.g. 64kbit, 1mbit), rtt,
// jitter (e.g. 600ms), cut-after (bytes), cut-every (e.g. 5s), blackout-at, blackout-for,
// refuse-for, seed. A new connection moves no byte for one round trip (TCP's handshake).
// Prints what crossed the link every --report seconds and on SIGINT/SIGTERM.
import CarnetLinkSim
import CarnetNet
import Foundation

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("carnet-linksim: \(message)\n".utf8))
    exit(64)
}

var listen = "127.0.0.1:7500", target: String?, profileText = "", every = 5.0
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    func value() -> String {
        guard let next = arguments.popFirst() else { fail("\(argument) needs a value") }
        return next
    }
    switch argument {
    case "--listen": listen = value()
    case "--to": target = value()
    case "--profile": profileText = value()
    case "--report":
        guard let seconds = Double(value()), seconds > 0 else { fail("--report takes seconds") }
        every = seconds
    case "--help", "-h":
        print("usage: carnet-linksim [--listen HOST:PORT] --to HOST:PORT [--profile rate=64kbit,rtt=600ms,...] [--report SECONDS]")
        exit(0)
    default: fail("unknown argument \(argument) (see --help)")
    }
}
guard let target else { fail("--to HOST:PORT is required") }
// Signals first: the watcher blocks SIGINT/SIGTERM in this thread before any other starts.
let stop = DispatchSemaphore(value: 0)
let watcher = try SignalWatcher { _ in stop.signal() }
let profile: LinkProfile
let simulator: LinkSimulator
do {
    profile = try LinkProfile(parsing: profileText)
    simulator = try LinkSimulator(target: try SocketAddress(parsing: target), profile: profile,
                                  listen: try SocketAddress(parsing: listen))
} catch {
    fail("\(error)")
}
print("carnet-linksim: \(simulator.address) → \(target) with \(profileText.isEmpty ? "no shaping" : profileText)")
fflush(nil)
@Sendable func report(_ simulator: LinkSimulator) {
    let counters = simulator.statistics
    print("carnet-linksim: \(counters.connections) connections (\(counters.refused) refused, \(counters.cuts) cut), \(counters.bytesUp) bytes up, \(counters.bytesDown) bytes down")
    fflush(nil)
}
let interval = every, running = simulator
Thread {
    while true {
        Thread.sleep(forTimeInterval: interval)
        report(running)
    }
}.start()
stop.wait()
report(simulator)
simulator.stop()
_ = watcher
