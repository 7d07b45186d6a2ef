//! The redness index of a stored photo (issue 15, part 4): the photo's own JPEG decoded again
//! (the stored image, so an index read at upload and one read later after the regions changed
//! come from the same pixels), and core's arithmetic (`needlepath_core::redness`) over the
//! clinician's regions. A measure, not a diagnosis; it never touches a triage answer.

use needlepath_core::redness::{Pixels, Region, redness};

/// The index of `jpeg` over `treated` and `reference`; `None` when the image cannot be read or
/// a region covers no pixel of it (the photo keeps no index then, and the page says so).
pub fn redness_of(jpeg: &[u8], treated: &Region, reference: &Region) -> Option<f64> {
    let img = image::load_from_memory_with_format(jpeg, image::ImageFormat::Jpeg).ok()?.to_rgb8();
    let pixels = Pixels { width: img.width(), height: img.height(), rgb: img.as_raw() };
    redness(&pixels, treated, reference).ok().map(|r| (r.index * 100.0).round() / 100.0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::photos::{PhotoLimits, sanitize};

    /// A synthetic photo: the left half a red-tinged skin, the right half plain skin; after
    /// sanitising (a JPEG re-encode) the index read back is within half an a* unit of the
    /// colours' own difference.
    #[test]
    fn the_index_of_a_stored_synthetic_photo_is_within_half_a_unit() {
        let (red, skin) = ([205u8, 120, 110], [205u8, 160, 140]);
        let img = image::RgbImage::from_fn(400, 300, |x, _| image::Rgb(if x < 200 { red } else { skin }));
        let mut png = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let clean = sanitize(&png, &PhotoLimits::default()).unwrap();
        let treated = Region { x: 0.05, y: 0.1, width: 0.35, height: 0.8 };
        let reference = Region { x: 0.6, y: 0.1, width: 0.35, height: 0.8 };
        let got = redness_of(&clean.jpeg, &treated, &reference).unwrap();
        let want = needlepath_core::redness::lab(red[0], red[1], red[2]).1
            - needlepath_core::redness::lab(skin[0], skin[1], skin[2]).1;
        assert!((got - want).abs() <= 0.5, "index {got}, colours' own {want}");
        assert_eq!(redness_of(b"not a jpeg", &treated, &reference), None);
    }
}
