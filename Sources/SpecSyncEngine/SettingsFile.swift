import SpecSyncSys

/// Reads a configuration or schema file, bounded like every other input: at most `limit` + 1 bytes,
/// and a file whose size is over the limit is refused unread. Fails with the reason, worded for
/// "cannot read …: <reason>".
enum SettingsFile {
    /// Configuration files: far more than any real one needs.
    static let configurationLimit = 1 << 20
    /// Schema files: the built-in schema is about 10 KB.
    static let schemaLimit = 4 << 20

    static func read(_ path: String, limit: Int) -> Result<[UInt8], SettingsFileError> {
        do {
            switch try BoundedRead.file(path, limit: limit) {
            case .bytes(let bytes): return .success(bytes)
            case .tooLarge(let size):
                let what = size.map { "it is \($0) bytes," } ?? "it is"
                return .failure(SettingsFileError(reason: "\(what) more than the limit of \(limit) bytes for this kind of file"))
            }
        } catch {
            switch error.errno {
            case .noSuchFileOrDirectory: return .failure(SettingsFileError(reason: "no such file"))
            case .isDirectory: return .failure(SettingsFileError(reason: "is a directory"))
            default: return .failure(SettingsFileError(reason: "\(error)"))
            }
        }
    }
}

struct SettingsFileError: Error {
    let reason: String
}
