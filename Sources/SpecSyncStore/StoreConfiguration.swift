/// How a `SpecStore` waits for locks and names and cleans up its temporary files.
public struct StoreConfiguration: Sendable, Equatable {
    /// How long a write waits for `<file>.lock` before failing with `StoreError.lockTimeout`.
    /// `.zero` tries once.
    public var lockTimeout: Duration
    /// Start of every temporary file name: `<prefix><target name>.<pid>.<random>`.
    public var tempPrefix: String
    /// Our temporary files (by name pattern) whose last change is older than this are removed by
    /// the next write in their directory. Young ones may belong to a write in progress.
    public var staleTempAge: Duration

    /// Reads of files larger than this fail with `StoreError.fileTooLarge` without reading them (a file
    /// that grows while read is read no further than this + 1 byte). Unbounded by default.
    public var maxReadBytes: Int

    public static let defaultTempPrefix = ".specsync-tmp-"

    public init(lockTimeout: Duration = .seconds(10),
                tempPrefix: String = StoreConfiguration.defaultTempPrefix,
                staleTempAge: Duration = .seconds(15 * 60),
                maxReadBytes: Int = .max) {
        self.maxReadBytes = maxReadBytes
        self.lockTimeout = lockTimeout
        self.tempPrefix = tempPrefix
        self.staleTempAge = staleTempAge
    }
}
