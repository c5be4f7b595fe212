"""What the drawing tests share: a PNG that holds a drawing, and a savefig that fails
half-way through writing (the file tinydl replaces must survive it)."""
import os

import matplotlib.image
from matplotlib.figure import Figure


def assert_drawn(path, folder, name):
    """path is a non-empty PNG with dark pixels (text and lines), alone in folder."""
    assert path.stat().st_size > 0
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[0] > 100
    assert (image[..., :3] < 0.5).any()          # dark pixels: text and lines were drawn
    assert os.listdir(folder) == [name]


def break_savefig(monkeypatch):
    """Make every Figure.savefig write half a file, then fail as a full disk would."""
    def broken_savefig(self, fname, **kwargs):
        with open(fname, "wb") as f:
            f.write(b"half a png")
        raise OSError("disk full")
    monkeypatch.setattr(Figure, "savefig", broken_savefig)
