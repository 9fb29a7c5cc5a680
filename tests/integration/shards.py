"""ringmq's home-shard rule, to place test clients on chosen shards.

A client id's home shard is fnv1a_64(client id bytes) % shards.
Pure functions; any thread.
"""

from __future__ import annotations

FNV_OFFSET = 14695981039346656037
FNV_PRIME = 1099511628211
MASK_64 = (1 << 64) - 1


def fnv1a_64(data: bytes) -> int:
    h = FNV_OFFSET
    for byte in data:
        h ^= byte
        h = (h * FNV_PRIME) & MASK_64
    return h


def home_shard(client_id: str, shards: int) -> int:
    return fnv1a_64(client_id.encode("utf-8")) % shards


def client_id_on_shard(prefix: str, shard: int, shards: int) -> str:
    """First id of the form prefix-N whose home shard is the given one.
    With a uniform hash, 1000 tries miss with probability (3/4)^1000."""
    for n in range(1000):
        candidate = f"{prefix}-{n}"
        if home_shard(candidate, shards) == shard:
            return candidate
    raise AssertionError(f"no client id with prefix {prefix!r} hashes to shard {shard}")
