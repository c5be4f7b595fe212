"""Helpers for the tests of the convolutions computed in pieces."""
from tinydl.ops import _patches


class pieces_of:
    """Within the block, tinydl.ops._patches.CHUNK_BYTES is `value` (1: one sample per piece),
    and with keep=False no patch matrix is kept for the backward pass (KEEP_BYTES = 0:
    the kernel gradient builds the pieces again)."""

    def __init__(self, value: int, keep: bool = True):
        self.value, self.keep = value, keep

    def __enter__(self):
        self.saved = _patches.CHUNK_BYTES, _patches.KEEP_BYTES
        _patches.CHUNK_BYTES = self.value
        _patches.KEEP_BYTES = _patches.KEEP_BYTES if self.keep else 0

    def __exit__(self, *exc):
        _patches.CHUNK_BYTES, _patches.KEEP_BYTES = self.saved
