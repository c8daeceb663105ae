// The specsync command line with the faults SPECSYNC_FAULTS names injected (debug builds), for the
// end-to-end tests that need a system call to fail inside the CLI process (e.g. no writer probe). The
// real `specsync` binary links no fault injection at all.
import SpecSyncCLI
import SpecSyncSysTestSupport

SysFaults.installFromEnvironment()
SpecsyncCommandLine.main()
