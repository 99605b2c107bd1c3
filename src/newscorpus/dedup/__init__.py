"""Deduplication at corpus scale: MinHash signatures (``minhash``), keys and their files
(``keys``), clustering and the keep rule (``clusters``), decisions saved per batch
(``batch``). The per-shard steps that use them are in ``newscorpus.steps.dedup``."""
