"""Images for sharing: the offer's 1200×627 preview card (og:image) and QR codes."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import qrcode
import qrcode.image.svg
from PIL import Image, ImageDraw, ImageFont

CARD_SIZE = (1200, 627)
BRAND = (0, 83, 159)
WHITE = (255, 255, 255)
LIGHT = (220, 232, 245)
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/truetype/liberation"),
    Path("/usr/share/fonts/TTF"),
)
FONT_NAMES = {
    "bold": ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf"),
    "regular": ("DejaVuSans.ttf", "LiberationSans-Regular.ttf"),
}


def _font(weight: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for folder in FONT_DIRS:
        for name in FONT_NAMES[weight]:
            path = folder / name
            if path.exists():
                return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int, max_lines: int) -> list[str]:
    """Lines of ``text`` that fit ``width`` pixels; the last one ellipsised when cut."""
    words = text.split()
    lines: list[str] = []
    current = ""
    for word in words:
        attempt = f"{current} {word}".strip()
        if draw.textlength(attempt, font=font) <= width:
            current = attempt
            continue
        if current:
            lines.append(current)
        current = word
        while draw.textlength(current, font=font) > width and len(current) > 1:
            current = current[:-1]
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and draw.textlength(last + "…", font=font) > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines


def card_key(title: str, direction: str, organisation: str) -> str:
    """A cache key that changes whenever what the card shows changes."""
    return hashlib.sha256(f"v1|{title}|{direction}|{organisation}".encode()).hexdigest()[:16]


def offer_card_png(title: str, direction: str, organisation: str, kicker: str) -> bytes:
    """A 1200×627 PNG: organisation, "kicker" (e.g. "We are hiring"), title and direction."""
    image = Image.new("RGB", CARD_SIZE, BRAND)
    draw = ImageDraw.Draw(image)
    margin = 80
    width = CARD_SIZE[0] - 2 * margin
    draw.rectangle([0, CARD_SIZE[1] - 24, CARD_SIZE[0], CARD_SIZE[1]], fill=WHITE)
    draw.text((margin, 60), organisation, font=_font("bold", 40), fill=WHITE)
    draw.text((margin, 118), kicker, font=_font("regular", 32), fill=LIGHT)
    title_font = _font("bold", 64)
    y = 200
    for line in _wrap(draw, title, title_font, width, 3):
        draw.text((margin, y), line, font=title_font, fill=WHITE)
        y += 78
    if direction:
        direction_font = _font("regular", 34)
        for line in _wrap(draw, direction, direction_font, width, 2):
            draw.text((margin, max(y + 20, 470)), line, font=direction_font, fill=LIGHT)
            y += 44
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def cached_offer_card(
    folder: Path, offer_id: int, title: str, direction: str, organisation: str, kicker: str
) -> Path:
    """The card's file in ``folder``, generated once per content (written atomically)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"offer-{offer_id}-{card_key(title, direction, organisation + kicker)}.png"
    if not path.exists():
        temporary = path.with_suffix(f".{hashlib.sha256(str(path).encode()).hexdigest()[:6]}.tmp")
        temporary.write_bytes(offer_card_png(title, direction, organisation, kicker))
        temporary.replace(path)
        for stale in folder.glob(f"offer-{offer_id}-*.png"):
            if stale != path:
                stale.unlink(missing_ok=True)
    return path


def qr_svg(url: str) -> bytes:
    """The QR code of ``url`` as a scalable SVG."""
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


def qr_png(url: str, box_size: int = 12) -> bytes:
    """The QR code of ``url`` as a PNG."""
    code = qrcode.QRCode(
        border=2, box_size=box_size, error_correction=qrcode.constants.ERROR_CORRECT_M
    )
    code.add_data(url)
    code.make(fit=True)
    out = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(out, format="PNG")
    return out.getvalue()
