"""Related papers: the embedding model, the vector store, the lexical half and their fusion."""
