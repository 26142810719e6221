"""The hash-chained audit log: the chain (pure), checkpoints outside the database, verification."""
