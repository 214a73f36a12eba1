// carnet-bench: measures the in-memory engine on a workload file (WORKLOAD.md).
//
//     swift run -c release --package-path tools/bench carnet-bench \
//         [--workload FILE] [--scale 10k|100k|1m] [--runs N]
//
// Prints, for the replayed workload: events applied per second into a fresh replica,
// replay and view-derivation times, encoded bytes per ledger entry of one node's batch,
// the state digest, the machine, and the peak resident memory.
import Foundation

struct Options {
    var workload: String?
    var scale = Scale.k100
    var runs = 5
    var builtinGenerator = false
    var prepareDelta: String?
    var load: Int?
    var loadEvents = 500
    var minutes: Double?
    var only: Set<String> = []
    var signed = false
    var receipts = true
}

let usage = """
usage: carnet-bench [--workload FILE] [--scale 10k|100k|1m] [--runs N] [--builtin-generator] [--signed] [--no-receipts]

  --workload FILE  a producer-ledger-workload/1 file (JSON lines)
  --scale S        without --workload: use /tmp/wl/ledger-S.jsonl, generating it with
                   ../shared/workload/workload.py when missing (default 100k)
  --signed         replay as a signed ledger (format 2): device keys, signed heads;
                   with cold-open, the hub creates a signed ledger with members and
                   enrols each new node (`ledger create`, `member add`)
  --no-receipts    with --signed: the farm never asks for a custody receipt (to
                   measure what receipts cost; `carnet sync` asks when its latest
                   receipt does not cover its newest own event)
  --runs N         timed runs per figure, median reported (default 5)
  --only A,B       only these scenarios: apply, views, encoding, store, sync,
                   delta-binary, join, process (build + aggregation + cold open with
                   the release binary: swift build -c release --product carnet),
                   cold-open (a hub that imported the whole file, its reading commands
                   and writers as fresh processes; for 1m),
                   crypto-aead (ChaCha20-Poly1305 seal/open MB/s; alone, no workload),
                   crc (CRC-32C MB/s, tables and instruction; alone, no workload)
                   crypto-sign (SHA-512, Ed25519 and X25519 rates; needs no workload)
  --load N         the hub under load instead: N farms sync at once with a real
                   `carnet serve` (build it first: swift build -c release --product carnet)
  --events E       with --load: new events per farm per round (default 500)
  --minutes M      with --load: the soak instead: live sessions for M minutes, one
                   event per farm every 10 s, hub memory and descriptors sampled
  --prepare-delta DIR
                   write DIR/run-<i>/hub and DIR/run-<i>/farm (--runs pairs): the delta
                   scenario's stores with a shared secret, for a timing of the real
                   binaries (tools/bench-delta-netem.sh); then exit
  --builtin-generator
                   without --workload: use Carnet's own generator (same format, other
                   bytes) even when the reference generator is at hand; it is also the
                   fallback when neither the file nor the reference generator exists
"""

func fail(_ message: String, code: Int32 = 64) -> Never {
    FileHandle.standardError.write(Data("carnet-bench: \(message)\n".utf8))
    exit(code)
}

func parseOptions(_ arguments: [String]) -> Options {
    var options = Options()
    var rest = arguments[...]
    func value(of flag: String) -> String {
        guard let value = rest.popFirst() else { fail("\(flag) needs a value\n\(usage)") }
        return value
    }
    while let argument = rest.popFirst() {
        switch argument {
        case "--workload":
            options.workload = value(of: argument)
        case "--scale":
            let text = value(of: argument)
            guard let scale = Scale(rawValue: text) else { fail("unknown scale \"\(text)\" (10k, 100k or 1m)") }
            options.scale = scale
        case "--runs":
            let text = value(of: argument)
            guard let runs = Int(text), runs >= 1 else { fail("--runs takes a positive integer, not \"\(text)\"") }
            options.runs = runs
        case "--only":
            let names = value(of: argument).split(separator: ",").map(String.init)
            if let unknown = names.first(where: { !Bench.scenarios.contains($0) }) {
                fail("unknown scenario \"\(unknown)\" (\(Bench.scenarios.joined(separator: ", ")))")
            }
            options.only = Set(names)
        case "--builtin-generator":
            options.builtinGenerator = true
        case "--signed":
            options.signed = true
        case "--no-receipts":
            options.receipts = false
        case "--load":
            guard let count = Int(value(of: argument)), count >= 1 else { fail("--load takes a number of farms") }
            options.load = count
        case "--events":
            guard let count = Int(value(of: argument)), count >= 1 else { fail("--events takes a number of events") }
            options.loadEvents = count
        case "--minutes":
            guard let minutes = Double(value(of: argument)), minutes > 0 else { fail("--minutes takes a positive number") }
            options.minutes = minutes
        case "--prepare-delta":
            options.prepareDelta = value(of: argument)
        case "--help", "-h":
            print(usage)
            exit(0)
        default:
            fail("unknown argument \"\(argument)\"\n\(usage)")
        }
    }
    return options
}

let options = parseOptions(Array(CommandLine.arguments.dropFirst()))
#if DEBUG
print("warning: debug build; figures are meaningless. Run with `swift run -c release`.\n")
#endif
if let farms = options.load {
    if let minutes = options.minutes {
        LiveLoadBench.report(farms: farms, minutes: minutes)
    } else {
        LoadBench.report(farms: farms, events: options.loadEvents)
    }
    exit(0)
}
if !options.only.isEmpty && options.only.isSubset(of: Bench.standalone) {
    print("carnet-bench --only \(options.only.sorted().joined(separator: ","))\n  machine      \(Machine.summary)\n  source       \(Machine.sourceRevision)")
    print("  runs         \(options.runs) per figure (median, min–max)")
    if options.only.contains("crypto-sign") { CryptoBench.report(runs: options.runs) }
    if options.only.contains("crypto-aead") { CryptoAEADBench.report(runs: options.runs) }
    if options.only.contains("crc") { CRCBench.report(runs: options.runs) }
    exit(0)
}
let file = WorkloadFile.locate(path: options.workload, scale: options.scale, builtin: options.builtinGenerator)
if let directory = options.prepareDelta {
    SyncBench.prepareDelta(replay: Bench.replay(file.bytes), into: directory, runs: options.runs)
} else {
    if options.only == ["cold-open"] {
        // Needs no in-memory replay: at 1m that alone takes gigabytes.
        print("carnet-bench --only cold-open\n  workload     \(file.path)\n  machine      \(Machine.summary)\n  source       \(Machine.sourceRevision)")
        ProcessBench.reportColdOpen(file: file, runs: options.runs, signed: options.signed)
    } else {
        Bench(file: file, runs: options.runs, only: options.only, signed: options.signed, receipts: options.receipts).run()
    }
}
