"""Stream records into time-series store records: layouts, the Version rule and the batch handler."""
