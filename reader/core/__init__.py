"""Qt-free core of Paper Reader: store, importers, search, export."""
