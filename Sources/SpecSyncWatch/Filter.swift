import SpecSyncSys

/// Which entries the watcher reports. Always excluded, whatever the filter says: directories named
/// `.git`, symlinked directories (never followed) and `Watcher.isEditorByproduct` names.
/// The closures run on the reader thread for every event and scanned entry: keep them fast and
/// non-blocking. Paths are relative to the root ("a/b/x.yaml").
public struct WatchFilter: Sendable {
    public var includeFile: @Sendable (_ relativePath: String) -> Bool
    /// An excluded directory is neither watched nor scanned.
    public var includeDirectory: @Sendable (_ relativePath: String) -> Bool

    public init(includeFile: @escaping @Sendable (_ relativePath: String) -> Bool = { _ in true },
                includeDirectory: @escaping @Sendable (_ relativePath: String) -> Bool = { _ in true }) {
        self.includeFile = includeFile
        self.includeDirectory = includeDirectory
    }
}

extension Watcher {
    /// Prefix of the temporary files our own durable writes create next to their target.
    public static let ownTemporaryPrefix = ".specsync-tmp-"

    /// Names that editors and atomic writers create around a real save and that are never the file
    /// being edited:
    /// - vim: swap files `.x.swp`, `.swo`, `.swn`, … (`.sw` + a letter; also nano's `.x.swp`), the
    ///   write-test probe `4913` (then 5036, 5159, …: vim adds 123 while the name exists), backups and
    ///   undo files ending in `~` (also emacs `x~`, `x.~1~`);
    /// - emacs: auto-save `#x#`, lock symlinks `.#x`;
    /// - JetBrains "safe write": `x___jb_tmp___`, `x___jb_old___`;
    /// - Kate `x.kate-swp`, GIO/gedit `.goutputstream-XXXXXX`, LibreOffice `.~lock.x#`;
    /// - atomic-write temporaries: `x.tmp`, `.x.tmp`, `x.tmp.<digits>`, `x.<digits>.tmp`, GNU `sed -i`'s
    ///   `sedXXXXXX`; NFS/FUSE silly-renames `.nfsXXXX`, `.fuse_hiddenXXXX`;
    /// - our own temporaries (`.specsync-tmp-…`) and `*.lock` files.
    /// VS Code saves in place (truncate and write), so it leaves no by-product to filter.
    public static func isEditorByproduct(name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let last = bytes.last else { return false }
        if name.hasBytePrefix(ownTemporaryPrefix) || name.hasSuffix(".lock") { return true }
        if last == UInt8(ascii: "~") { return true }
        // vim/nano swap: ".sw" followed by one lowercase letter at the end.
        if bytes.count >= 4, bytes[bytes.count - 4] == UInt8(ascii: "."), bytes[bytes.count - 3] == UInt8(ascii: "s"),
           bytes[bytes.count - 2] == UInt8(ascii: "w"), (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(last) {
            return true
        }
        if isVimWriteProbe(bytes) { return true }
        if name.hasPrefix(".#") { return true }
        if bytes.count >= 2, bytes[0] == UInt8(ascii: "#"), last == UInt8(ascii: "#") { return true }
        if name.hasSuffix("___jb_tmp___") || name.hasSuffix("___jb_old___") { return true }
        if name.hasSuffix(".kate-swp") || name.hasPrefix(".goutputstream-") { return true }
        if name.hasPrefix(".~lock."), last == UInt8(ascii: "#") { return true }
        if name.hasPrefix(".nfs") || name.hasPrefix(".fuse_hidden") { return true }
        if name.hasSuffix(".tmp") { return true }
        if hasTmpDigitsSuffix(bytes) { return true }
        // GNU sed -i: "sed" plus six random alphanumerics, in the edited file's directory.
        if bytes.count == 9, name.hasPrefix("sed"), bytes[3...].allSatisfy(isASCIIAlphanumeric) { return true }
        return false
    }

    private static func isVimWriteProbe(_ bytes: [UInt8]) -> Bool {
        guard (4...7).contains(bytes.count), bytes.allSatisfy({ (48...57).contains($0) }),
              let value = Int(String(decoding: bytes, as: UTF8.self)) else { return false }
        return value >= 4913 && (value - 4913) % 123 == 0
    }

    /// "x.tmp.<digits>" (writers that add their pid or a counter).
    private static func hasTmpDigitsSuffix(_ bytes: [UInt8]) -> Bool {
        var index = bytes.count
        while index > 0, (48...57).contains(bytes[index - 1]) { index -= 1 }
        guard index < bytes.count, index >= 5 else { return false }
        return Array(bytes[(index - 5)..<index]) == Array(".tmp.".utf8)
    }

    private static func isASCIIAlphanumeric(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
    }
}
