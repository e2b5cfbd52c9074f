"""Records that can never be written go to the lake bucket's dead-letter prefix, one object each."""

from tslake.deadletter.writer import DeadLetter, DeadLetterUnavailableError, DeadLetterWriter

__all__ = ["DeadLetter", "DeadLetterUnavailableError", "DeadLetterWriter"]
