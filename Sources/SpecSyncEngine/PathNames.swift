import SpecSyncSys

/// File names for the CLI, which sees only the engine (see `FileName` in SpecSyncSys): bytes that are
/// not UTF-8 travel escaped inside Strings and are shown as `\xNN`.
public enum PathNames {
    /// A command-line argument, byte for byte.
    public static func argument(_ cString: UnsafePointer<CChar>) -> String { FileName.decode(cString: cString) }
    /// A path for people: escaped bytes as `\xNN`.
    public static func displayed(_ path: String) -> String { FileName.displayed(path) }
}
