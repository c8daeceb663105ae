// placeholder: SpecSyncSys
