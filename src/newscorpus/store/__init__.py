"""Storage: Parquet shards, manifest, dataset card, exports."""
