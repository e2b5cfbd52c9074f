"""Per-shard CEP state (the event-time buffer, the open partial matches, the last position fed),
saved after every batch and before the checkpoint, so a restart or a lease move resumes mid-match.

`snapshot.py` turns the state into bytes and back; `base.py` is the store interface; `dynamodb.py`
the implementation (one item per application and shard, optimistic concurrency by version).
"""

from tslake.cep.state.base import StateConflictError, StateStore, StateTooLargeError, StoredState
from tslake.cep.state.snapshot import ShardState

__all__ = ["ShardState", "StateConflictError", "StateStore", "StateTooLargeError", "StoredState"]
