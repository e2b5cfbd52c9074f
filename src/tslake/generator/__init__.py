"""Synthetic sensor readings with the seed's distribution, and which sensors a replica owns."""
