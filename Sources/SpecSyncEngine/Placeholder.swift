// placeholder: SpecSyncEngine
