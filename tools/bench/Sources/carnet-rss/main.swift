// carnet-rss: runs a command and reports its peak resident memory, as `/usr/bin/time -f %M`
// does, for machines without GNU time.
//
//     carnet-rss RESULT-FILE PROGRAM [ARGUMENTS…]
//
// Writes the child's ru_maxrss in KiB to RESULT-FILE and exits with the child's status.
// Why a process of its own: Linux carries a process's peak RSS across exec, and a child
// started by posix_spawn (vfork) from a large process starts with that process's peak.
// This program is small and uses no Foundation, so the child it spawns starts near zero
// and its figure is its own (plus at most this program's few megabytes).
#if canImport(Glibc)
import Glibc
#endif

/// Writes a line to standard error (file descriptor 2: the C `stderr` global is not
/// concurrency-safe in Swift 6).
func complain(_ text: String) {
    let line = Array((text + "\n").utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    complain("usage: carnet-rss RESULT-FILE PROGRAM [ARGUMENTS…]")
    exit(64)
}
let argv = arguments.dropFirst(2).map { strdup($0) } + [nil]
var pid: pid_t = 0
let spawned = posix_spawn(&pid, arguments[2], nil, nil, argv, environ)
guard spawned == 0 else {
    complain("carnet-rss: cannot start \(arguments[2]): \(String(cString: strerror(spawned)))")
    exit(71)
}
var status: Int32 = 0
var usage = rusage()
while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
let report = "\(usage.ru_maxrss)\n"
guard let out = fopen(arguments[1], "w"), fputs(report, out) >= 0, fclose(out) == 0 else {
    complain("carnet-rss: cannot write \(arguments[1])")
    exit(74)
}
exit((status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F))
