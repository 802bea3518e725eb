"""Storage: the only layer that imports database drivers (ladybug, LanceDB).

`IndexDir` owns the on-disk layout, schema version and writer lock; `GraphStore`
holds files, symbols and edges; `ChunkStore` holds chunks and their full-text index.
"""
