// placeholder: SpecSyncWatch
