"""The synthetic population for benchmarks: ``plan`` (pure planner) and ``writer`` (bulk loader, the
``synth`` command). It writes every app's records, so it sits above all of them (docs/architecture.md)."""
