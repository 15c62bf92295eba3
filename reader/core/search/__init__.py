"""Full-text search over the library with Whoosh (derived data, rebuildable)."""
