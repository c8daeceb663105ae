import SpecSyncCLI

SpecsyncCommandLine.main()
