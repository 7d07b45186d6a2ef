//! Decode with limits, turn upright, re-encode without metadata (see `photos`).

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};

/// What an upload may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhotoLimits {
    /// The largest upload, in bytes.
    pub max_bytes: usize,
    /// The longest side, in pixels.
    pub max_side: u32,
    /// The most pixels (width × height).
    pub max_pixels: u64,
}

impl Default for PhotoLimits {
    /// 20 MiB, 10,000 pixels a side, 50 megapixels: above any phone camera, far below a bomb.
    fn default() -> Self {
        Self { max_bytes: 20 * 1024 * 1024, max_side: 10_000, max_pixels: 50_000_000 }
    }
}

/// The longest side of the stored photo and of its thumbnail.
pub const STORED_SIDE: u32 = 2048;
pub const THUMBNAIL_SIDE: u32 = 320;
const QUALITY: u8 = 88;

/// Why an upload is refused; each says what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    #[error("the photo is {bytes} bytes; at most {max} bytes are accepted")]
    TooLarge { bytes: usize, max: usize },
    #[error("the upload is empty: choose a photo (JPEG, PNG or WebP)")]
    Empty,
    #[error("this is not a photo the service reads: JPEG, PNG or WebP are accepted")]
    NotAPhoto,
    #[error(
        "the photo is {width} × {height} pixels; at most {max_side} pixels a side and {max_pixels} pixels in all are accepted"
    )]
    TooManyPixels { width: u32, height: u32, max_side: u32, max_pixels: u64 },
    #[error("the photo could not be read: {0}")]
    Unreadable(String),
}

/// A photo as kept: a JPEG of the upright pixels only, its thumbnail, and the hash that names it.
#[derive(Debug, Clone)]
pub struct CleanPhoto {
    pub jpeg: Vec<u8>,
    pub thumbnail: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// SHA-256 of `jpeg`, lowercase hex.
    pub sha256: String,
    /// The upright photo's pixels (RGB, 8 bits), for measures such as the redness index.
    pub rgb: Vec<u8>,
}

fn encode(img: &DynamicImage) -> Result<Vec<u8>, PhotoError> {
    let mut out = Vec::new();
    let rgb = img.to_rgb8();
    JpegEncoder::new_with_quality(&mut out, QUALITY)
        .encode_image(&rgb)
        .map_err(|e| PhotoError::Unreadable(e.to_string()))?;
    Ok(out)
}

/// Reads an upload within `limits` and returns it clean (see the module's doc).
pub fn sanitize(bytes: &[u8], limits: &PhotoLimits) -> Result<CleanPhoto, PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::Empty);
    }
    if bytes.len() > limits.max_bytes {
        return Err(PhotoError::TooLarge { bytes: bytes.len(), max: limits.max_bytes });
    }
    let reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|_| PhotoError::NotAPhoto)?;
    match reader.format() {
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP) => {}
        _ => return Err(PhotoError::NotAPhoto),
    }
    let mut decoder = reader.into_decoder().map_err(|e| PhotoError::Unreadable(e.to_string()))?;
    // The header's size, checked before a pixel is expanded: a bomb stops here.
    let (width, height) = decoder.dimensions();
    let pixels = u64::from(width) * u64::from(height);
    if width > limits.max_side || height > limits.max_side || pixels > limits.max_pixels || pixels == 0 {
        return Err(PhotoError::TooManyPixels {
            width,
            height,
            max_side: limits.max_side,
            max_pixels: limits.max_pixels,
        });
    }
    let mut bounds = Limits::default();
    bounds.max_image_width = Some(limits.max_side);
    bounds.max_image_height = Some(limits.max_side);
    // RGBA at 16 bits a channel is the most a decoder here may need, plus room for its work.
    bounds.max_alloc = Some(limits.max_pixels.saturating_mul(8).saturating_add(64 * 1024 * 1024));
    decoder.set_limits(bounds).map_err(|e| PhotoError::Unreadable(e.to_string()))?;
    let orientation = decoder.orientation().map_err(|e| PhotoError::Unreadable(e.to_string()))?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| PhotoError::Unreadable(e.to_string()))?;
    img.apply_orientation(orientation);
    let img = if img.width().max(img.height()) > STORED_SIDE {
        img.resize(STORED_SIDE, STORED_SIDE, image::imageops::FilterType::Lanczos3)
    } else {
        img
    };
    let jpeg = encode(&img)?;
    let thumbnail = encode(&img.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE))?;
    let sha256 = Sha256::digest(&jpeg).iter().map(|b| format!("{b:02x}")).collect();
    let rgb = img.to_rgb8();
    Ok(CleanPhoto { width: rgb.width(), height: rgb.height(), rgb: rgb.into_raw(), jpeg, thumbnail, sha256 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(width, height, image::Rgb([200, 120, 110])));
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png).unwrap();
        out
    }

    /// A PNG whose header claims `width` × `height` (with a correct checksum) but whose data is
    /// a few bytes: a decompression bomb's shape.
    fn claimed(width: u32, height: u32) -> Vec<u8> {
        let mut bytes = png(4, 4);
        // IHDR data starts at byte 16 (8 signature + 4 length + 4 type).
        bytes[16..20].copy_from_slice(&width.to_be_bytes());
        bytes[20..24].copy_from_slice(&height.to_be_bytes());
        let crc = crc32(&bytes[12..29]);
        bytes[29..33].copy_from_slice(&crc.to_be_bytes());
        bytes
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    #[test]
    fn a_photo_is_re_encoded_as_jpeg_with_a_thumbnail() {
        let clean = sanitize(&png(640, 480), &PhotoLimits::default()).unwrap();
        assert_eq!((clean.width, clean.height), (640, 480));
        assert_eq!(&clean.jpeg[..2], &[0xFF, 0xD8], "a JPEG");
        let thumb = image::load_from_memory(&clean.thumbnail).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (320, 240));
        assert_eq!(clean.sha256.len(), 64);
        assert_eq!(clean.rgb.len(), 640 * 480 * 3);
    }

    #[test]
    fn a_decompression_bomb_is_refused_from_its_header() {
        let bomb = claimed(60_000, 60_000);
        let err = sanitize(&bomb, &PhotoLimits::default()).unwrap_err();
        assert!(matches!(err, PhotoError::TooManyPixels { width: 60_000, height: 60_000, .. }), "{err:?}");
        assert!(err.to_string().contains("at most 10000 pixels a side"), "{err}");
    }

    #[test]
    fn too_large_empty_and_not_a_photo_are_refused_saying_what_is_accepted() {
        let small = PhotoLimits { max_bytes: 100, ..PhotoLimits::default() };
        assert!(matches!(sanitize(&png(64, 64), &small), Err(PhotoError::TooLarge { .. })));
        assert_eq!(sanitize(&[], &PhotoLimits::default()).unwrap_err(), PhotoError::Empty);
        let text = sanitize(b"%PDF-1.7 not a photo", &PhotoLimits::default()).unwrap_err();
        assert_eq!(text, PhotoError::NotAPhoto);
        assert!(text.to_string().contains("JPEG, PNG or WebP"));
        let gif = sanitize(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", &PhotoLimits::default()).unwrap_err();
        assert_eq!(gif, PhotoError::NotAPhoto);
        let truncated = &png(64, 64)[..60];
        assert!(matches!(sanitize(truncated, &PhotoLimits::default()), Err(PhotoError::Unreadable(_))));
    }
}
