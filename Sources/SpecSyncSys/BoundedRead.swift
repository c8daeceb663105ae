/// Input read whole, but never more than a limit: the one way specsync reads files, stdin and the
/// like, so a 2 GB sparse file or `/dev/zero` costs at most `limit + 1` bytes of memory and I/O.
public enum BoundedInput: Sendable, Equatable {
    case bytes([UInt8])
    /// More than the limit. `size` is what fstat reported before reading, nil when the input only
    /// turned out too large while being read (a pipe or device, or a file that grew or lies about its size).
    case tooLarge(size: Int64?)
}

public enum BoundedRead {
    /// Reads `fd` whole (from offset 0 with pread for regular files, else from the current offset).
    /// A regular file whose size is over `limit` is refused before a byte is read.
    public static func read(_ fd: Descriptor, limit: Int) throws(SysError) -> BoundedInput {
        let status = try Sys.fstat(fd)
        let regular = status.identity.isRegularFile
        if regular && status.identity.size > Int64(limit) { return .tooLarge(size: status.identity.size) }
        let cap = limit == Int.max ? limit : limit + 1
        let bytes = regular ? try Sys.preadAll(fd, limit: cap, expectedSize: status.identity.size) : try Sys.readAll(fd, limit: cap)
        return bytes.count > limit ? .tooLarge(size: nil) : .bytes(bytes)
    }

    /// Opens and reads `path` (following symlinks; O_NONBLOCK so a FIFO cannot hang the open).
    public static func file(_ path: String, limit: Int) throws(SysError) -> BoundedInput {
        let fd = try Sys.open(path, .readOnly, [.nonBlocking])
        defer { Sys.closeIgnoringErrors(fd) }
        return try read(fd, limit: limit)
    }

    /// Standard input (descriptor 0, not closed).
    public static func standardInput(limit: Int) throws(SysError) -> BoundedInput {
        try read(Descriptor(rawValue: 0, path: "<stdin>"), limit: limit)
    }
}
