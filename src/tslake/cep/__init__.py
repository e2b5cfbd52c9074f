"""Complex event processing: the seed's MATCH_RECOGNIZE, re-implemented as a per-sensor state machine.

`pattern` is the NFA, `measures` turns a raw match into a `CepEvent` with Flink's arithmetic,
`ordering` puts readings in event-time order with bounded lateness, `replay` runs it offline and
`state` persists the per-shard state between restarts. `services/cep/README.md` records the
Flink semantics the differential test pinned down.
"""
