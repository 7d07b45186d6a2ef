"""Writes a JPEG as a phone would: a landscape sensor image with EXIF orientation 6 (rotate 90°
clockwise to view), GPS position, camera make and model, a date and a comment. Usage:
photo_with_metadata.py OUT.jpg"""
import sys
from PIL import Image

img = Image.new("RGB", (400, 300), (210, 140, 120))
# A marker in the top-left corner of the sensor image, to check which way up the result is.
for x in range(40):
    for y in range(40):
        img.putpixel((x, y), (0, 0, 255))
exif = Image.Exif()
exif[0x0112] = 6  # Orientation
exif[0x010F] = "PhoneMaker"  # Make
exif[0x0110] = "PhoneModel 12"  # Model
exif[0x0132] = "2026:12:04 10:00:00"  # DateTime
exif[0x9286] = "patient at home"  # UserComment (in the Exif IFD in practice; here as a tag)
gps = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}
exif[0x8825] = gps  # GPSInfo
img.save(sys.argv[1], "JPEG", exif=exif.tobytes(), comment=b"secret comment")
check = Image.open(sys.argv[1])
assert check.getexif().get(0x0112) == 6
assert check.getexif().get_ifd(0x8825), "the input carries GPS"
print("ok")
