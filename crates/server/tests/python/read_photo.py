"""Reads a stored photo with Pillow, independently of the service, and prints what it holds:
size, EXIF tags, GPS, comment, other metadata blocks, and the colour of the top-right corner.
Usage: read_photo.py FILE"""
import json
import sys
from PIL import Image

img = Image.open(sys.argv[1])
exif = img.getexif()
out = {
    "format": img.format,
    "size": list(img.size),
    "exif_tags": sorted(int(k) for k in exif.keys()),
    "gps": bool(exif.get_ifd(0x8825)),
    "info_keys": sorted(k for k in img.info.keys() if k not in ("jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi", "progressive", "progression")),
    "top_right": list(img.convert("RGB").getpixel((img.size[0] - 5, 5))),
    "top_left": list(img.convert("RGB").getpixel((5, 5))),
}
print(json.dumps(out))
