"""Text drawn into exported pictures: a font at a size that reads on a slide, and word wrapping."""
from __future__ import annotations

from PIL import ImageFont


def caption_font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:          # a Pillow without FreeType has only the small bitmap font
        return ImageFont.load_default()


def caption_size(width: int) -> int:
    """A font size that reads on a slide, scaled to the picture's width within limits."""
    return int(max(12, min(28, width / 34)))


def wrap(text: str, font, width: int) -> list[str]:
    """Greedy word wrap by measured width: captions must fit a small image's width too."""
    lines, line = [], ""
    for word in text.split(" "):
        trial = f"{line} {word}" if line else word
        if line and font.getlength(trial) > width:
            lines.append(line)
            line = word
        else:
            line = trial
    return lines + [line] if line else lines
