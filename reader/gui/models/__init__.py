"""Qt item models over the library's views (ids plus windowed row fetches)."""
