"""Raw-source contracts: one schema per exported table, shared by the generator, the loader and docs/."""
