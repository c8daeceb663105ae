// placeholder: SpecSyncStore
