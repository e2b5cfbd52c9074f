"""Placeholder; replaced by the real patch shortly."""


def install() -> None:
    pass
