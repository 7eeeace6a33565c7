#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory mapping of a whole file, unmapped when the last reference goes.
///
/// Model files are gigabytes: mapping lets the OS page weights in on demand and share them
/// between processes instead of copying them onto the heap.
public final class MappedFile: @unchecked Sendable {
    /// The mapped bytes; valid for the lifetime of this object and never written.
    public let bytes: UnsafeRawBufferPointer
    private let isMapped: Bool

    /// Bytes already in memory (tests feed crafted files this way), copied.
    init(copying source: [UInt8]) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, source.count), alignment: 64)
        source.withUnsafeBytes { buffer.copyMemory(from: $0) }
        bytes = UnsafeRawBufferPointer(start: buffer.baseAddress, count: source.count)
        isMapped = false
    }

    public init(path: String) throws(GGUFError) {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw .cannotOpen(path: path, reason: Self.lastError()) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .cannotOpen(path: path, reason: Self.lastError()) }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw .cannotOpen(path: path, reason: "not a regular file") }
        let size = Int(status.st_size)
        guard size > 0 else { throw .truncated(offset: 0, length: 4, fileSize: 0) }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), address != MAP_FAILED else {
            throw .cannotOpen(path: path, reason: Self.lastError())
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
        isMapped = true
    }

    /// Lets the OS drop the resident pages of `range` (a part of `bytes`) that lie wholly inside
    /// it; they are read back from the file if touched again. For weights the engine has copied
    /// into another layout, so they do not count twice in the process's memory.
    func releasePages(of range: UnsafeRawBufferPointer) {
        guard isMapped, let start = range.baseAddress else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let first = (Int(bitPattern: start) + page - 1) / page * page
        let end = (Int(bitPattern: start) + range.count) / page * page
        guard end > first else { return }
        madvise(UnsafeMutableRawPointer(bitPattern: first), end - first, MADV_DONTNEED)
    }

    deinit {
        if isMapped {
            munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
        } else {
            bytes.deallocate()
        }
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}
