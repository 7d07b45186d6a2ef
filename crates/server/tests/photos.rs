#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Photos (issue 15): what the service keeps of an upload holds no metadata of the original,
//! checked by an independent reader (Pillow), and stands the right way up.

#[path = "support/python.rs"]
mod python;

use needlepath_server::photos::{PhotoLimits, sanitize};

#[test]
fn a_stored_photo_holds_no_metadata_and_stands_upright() {
    let Some(python) = python::python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("from-phone.jpg");
    let made = std::process::Command::new(&python)
        .arg(python::scripts().join("photo_with_metadata.py"))
        .arg(&input)
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));

    let clean = sanitize(&std::fs::read(&input).unwrap(), &PhotoLimits::default()).unwrap();
    let stored = dir.path().join("stored.jpg");
    std::fs::write(&stored, &clean.jpeg).unwrap();
    let thumb = dir.path().join("thumb.jpg");
    std::fs::write(&thumb, &clean.thumbnail).unwrap();
    for file in [&stored, &thumb] {
        let read = std::process::Command::new(&python)
            .arg(python::scripts().join("read_photo.py"))
            .arg(file)
            .output()
            .unwrap();
        assert!(read.status.success(), "{}", String::from_utf8_lossy(&read.stderr));
        let seen: serde_json::Value = serde_json::from_slice(&read.stdout).unwrap();
        eprintln!("Pillow reads {}: {seen}", file.display());
        assert_eq!(seen["format"], "JPEG");
        assert_eq!(seen["exif_tags"], serde_json::json!([]), "no EXIF tag survives: {seen}");
        assert_eq!(seen["gps"], false, "no GPS: {seen}");
        assert_eq!(seen["info_keys"], serde_json::json!([]), "no comment or other block: {seen}");
    }
    // 400 × 300 with "rotate 90° clockwise": upright it is 300 × 400, and the marker from the
    // sensor's top-left corner is now at the top right.
    assert_eq!((clean.width, clean.height), (300, 400));
    let read =
        std::process::Command::new(&python).arg(python::scripts().join("read_photo.py")).arg(&stored).output().unwrap();
    let seen: serde_json::Value = serde_json::from_slice(&read.stdout).unwrap();
    let blue = |v: &serde_json::Value| v[2].as_u64().unwrap() > 200 && v[0].as_u64().unwrap() < 60;
    assert!(blue(&seen["top_right"]) && !blue(&seen["top_left"]), "turned upright: {seen}");
}
