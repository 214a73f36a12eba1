#if canImport(Glibc)
import Glibc
#endif

/// Hands memory the process freed back to the system.
///
/// After a store lets go of a million events it no longer keeps in memory, glibc's
/// allocator keeps the freed pages in its arenas: the resident size a server reports (and
/// that a hub's operator watches) would not move. `malloc_trim` returns them. It is looked
/// up at run time: Swift's Glibc module does not export `malloc.h`, and an allocator
/// without it (musl) simply keeps its pages.
public enum FreedMemory {
    public static func giveBack() {
        #if canImport(Glibc)
        typealias Trim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: Trim.self)(0)
        #endif
    }
}
