"""`make bench`: every figure is reported beside a baseline measured in the same run, as a ratio."""
