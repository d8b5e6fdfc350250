"""`make bench`: benchmarks of cumulus against the engine's limit and against what a user would write.

Every figure that a claim rests on is a ratio against a baseline measured in the same run, because
absolute times on a shared 2-core machine drift. Results go to docs/BENCHMARKS.md.
"""
