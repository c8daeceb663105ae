@testable import SpecSyncWatch
import XCTest

final class EditorByproductTests: XCTestCase {
    func testByproductNamesAreRecognized() {
        let byproducts = [
            ".x.yaml.swp", ".x.yaml.swo", ".x.yaml.swn", ".x.yaml.swx", ".x.yaml.swa", "x.yaml.swp",  // vim, nano
            "4913", "5036", "5159",                                      // vim write probe (+123 steps)
            "x.yaml~", ".x.yaml.un~", "x.yaml.~1~",                      // vim/emacs backups and undo
            "#x.yaml#", ".#x.yaml",                                      // emacs auto-save, lock symlink
            "x.yaml___jb_tmp___", "x.yaml___jb_old___",                  // JetBrains safe write
            "x.yaml.kate-swp", ".goutputstream-AB12CD", ".~lock.x.yaml#", // Kate, GIO, LibreOffice
            "x.yaml.tmp", ".x.yaml.tmp", "x.yaml.tmp.12345", "x.yaml.4711.tmp", // atomic-write temps
            "sedAbC123", ".nfs000000000123", ".fuse_hidden0000001",
            ".specsync-tmp-x.yaml.Qz81", "x.yaml.lock", "specs.lock",    // ours, locks
        ]
        for name in byproducts {
            XCTAssertTrue(Watcher.isEditorByproduct(name: name), "\(name) should be a by-product")
        }
    }

    func testRealNamesAreNotByproducts() {
        let real = [
            "TAND-004.yaml", "x.yml", "notes.md", "4912", "4914", "5000", "49130", "a.svg", "x.swift",
            "x.sw", "#x", "x#", ".hidden.yaml", "tmp.yaml", "x.tmp.yaml", "x.tmp.", "sed.yaml", "sediments1",
            "lock.yaml", "x.locked", "~x.yaml", "x.yaml.orig", "___jb_tmp___.yaml.txt",
        ]
        for name in real {
            XCTAssertFalse(Watcher.isEditorByproduct(name: name), "\(name) should not be a by-product")
        }
    }
}
