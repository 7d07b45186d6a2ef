#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Photos (issue 15): what the service keeps of an upload holds no metadata of the original,
//! checked by an independent reader (Pillow), and stands the right way up; over the API, photos
//! are kept and shown only with the patient's consent to photos for their record, never to the
//! front desk, each view audited, never cached.

mod common;
#[path = "support/python.rs"]
mod python;

use common::{Api, TestApp, get_bytes, post_multipart, small_png};
use needlepath_server::photos::{PhotoLimits, sanitize};
use serde_json::{Value, json};

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

/// A PNG of 4 × 4 pixels whose header claims `width` × `height`: a decompression bomb's shape.
fn claimed_png(width: u32, height: u32) -> Vec<u8> {
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
    let mut bytes = small_png();
    bytes[16..20].copy_from_slice(&width.to_be_bytes());
    bytes[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    bytes
}

/// A patient of clinic 1 (id), with or without consent to photos for their record (recorded
/// from paper by the admin).
async fn patient(t: &TestApp, name: &str, consent: bool) -> String {
    let p = t.create_patient(&t.admin.api, name).await;
    let id = p["id"].as_str().unwrap().to_string();
    if consent {
        let body = json!({ "kind": "photo_record", "version": 1, "typed_name": name, "confirm": true });
        t.admin.api.post(&format!("/api/v1/patients/{id}/consents"), body).await.expect(201);
    }
    id
}

async fn upload(api: &Api, patient: &str, photo: &[u8]) -> common::Resp {
    let fields = [("view", "front"), ("stage", "baseline")];
    post_multipart(api, &format!("/api/v1/patients/{patient}/photos"), &fields, Some(photo)).await
}

async fn audit_actions(t: &TestApp, patient: &str) -> Vec<String> {
    let r = t.admin.api.get(&format!("/api/v1/patients/{patient}/audit?limit=500")).await;
    r.expect(200)["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_string()).collect()
}

fn photo_views(actions: &[String]) -> usize {
    actions.iter().filter(|a| a.starts_with("photo.")).count()
}

/// Every file kept under the photo directory.
fn stored_files(t: &TestApp) -> Vec<std::path::PathBuf> {
    let dir = t.app.config.photos_dir.clone().unwrap();
    let mut out = Vec::new();
    for shard in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        for f in std::fs::read_dir(shard.path()).into_iter().flatten().flatten() {
            out.push(f.path());
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn an_uploaded_photo_is_kept_without_metadata_shown_to_clinicians_and_audited() {
    let t = TestApp::start().await;
    let pid = patient(&t, "Petra Photo", true).await;

    // A phone's JPEG with orientation, GPS, camera and comment, made by Pillow when it is here;
    // else a plain PNG.
    let python = python::python();
    let dir = tempfile::tempdir().unwrap();
    let original = match &python {
        Some(py) => {
            let input = dir.path().join("from-phone.jpg");
            let made = std::process::Command::new(py)
                .arg(python::scripts().join("photo_with_metadata.py"))
                .arg(&input)
                .output()
                .unwrap();
            assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
            std::fs::read(&input).unwrap()
        }
        None => small_png(),
    };
    let r = upload(&t.admin.api, &pid, &original).await;
    let photo = r.expect(201).clone();
    assert_eq!(photo["patient"], pid.as_str());
    assert_eq!((photo["view"].as_str(), photo["stage"].as_str()), (Some("front"), Some("baseline")));
    assert_eq!(photo["redness"], Value::Null);
    let id = photo["id"].as_str().unwrap().to_string();
    assert_eq!(photo["image_url"], format!("/api/v1/photos/{id}/image"));
    assert_eq!(r.header("cache-control"), Some("no-store"));

    // Kept by its hash under the photo directory: the image and its thumbnail.
    let sha = photo["sha256"].as_str().unwrap();
    let dir_of_photos = t.app.config.photos_dir.clone().unwrap();
    let kept = dir_of_photos.join(&sha[..2]).join(format!("{sha}.jpg"));
    let on_disk = std::fs::read(&kept).expect("the image is kept under its hash");
    assert_eq!(stored_files(&t).len(), 2, "the image and its thumbnail: {:?}", stored_files(&t));

    // Read back through the API: the same bytes, as a JPEG, never cached; each view audited.
    let before = photo_views(&audit_actions(&t, &pid).await);
    let (status, headers, served) = get_bytes(&t.admin.api, &format!("/api/v1/photos/{id}/image")).await;
    assert_eq!(status, 200);
    assert_eq!(headers.get("content-type").unwrap(), "image/jpeg");
    assert_eq!(headers.get("cache-control").unwrap(), "no-store");
    assert_eq!(served, on_disk);
    assert_eq!(&served[..3], &[0xFF, 0xD8, 0xFF], "a JPEG");
    let (status, headers, thumb) = get_bytes(&t.admin.api, &format!("/api/v1/photos/{id}/thumbnail")).await;
    assert_eq!(status, 200);
    assert_eq!(headers.get("cache-control").unwrap(), "no-store");
    assert!(thumb.len() < served.len() || served.len() < 10_000);
    let list = t.admin.api.get(&format!("/api/v1/patients/{pid}/photos")).await;
    assert_eq!(list.expect(200)["photos"].as_array().unwrap().len(), 1);
    assert_eq!(list.header("cache-control"), Some("no-store"));
    let actions = audit_actions(&t, &pid).await;
    assert_eq!(photo_views(&actions) - before, 3, "one audit record per view: {actions:?}");
    for action in ["photo.uploaded", "photo.image_viewed", "photo.thumbnail_viewed", "photo.list"] {
        assert!(actions.iter().any(|a| a == action), "{action} in {actions:?}");
    }

    // The kept file holds no metadata, read by Pillow (independently of the service).
    if let Some(py) = &python {
        let served_file = dir.path().join("served.jpg");
        std::fs::write(&served_file, &served).unwrap();
        for file in [&kept, &served_file] {
            let read =
                std::process::Command::new(py).arg(python::scripts().join("read_photo.py")).arg(file).output().unwrap();
            assert!(read.status.success(), "{}", String::from_utf8_lossy(&read.stderr));
            let seen: Value = serde_json::from_slice(&read.stdout).unwrap();
            assert_eq!(seen["format"], "JPEG");
            assert_eq!(seen["exif_tags"], json!([]), "no EXIF tag survives: {seen}");
            assert_eq!(seen["gps"], false, "no GPS: {seen}");
            assert_eq!(seen["info_keys"], json!([]), "no comment or other block: {seen}");
            assert_eq!(seen["size"], json!([300, 400]), "upright: {seen}");
        }
    }

    // The same photo again is the same file (content-addressed), a second record.
    upload(&t.admin.api, &pid, &original).await.expect(201);
    assert_eq!(stored_files(&t).len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_consent_nothing_is_kept_and_a_withdrawn_consent_hides_the_photos() {
    let t = TestApp::start().await;
    let pid = patient(&t, "Nora Noconsent", false).await;
    let r = upload(&t.admin.api, &pid, &small_png()).await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.code(), "consent_required");
    assert_eq!(r.json["consent"], "photo_record");
    assert!(r.json["detail"].as_str().unwrap().contains("photo_record"), "{}", r.text);
    assert!(r.header("content-type").unwrap().starts_with("application/problem+json"));
    assert!(stored_files(&t).is_empty(), "nothing kept without consent");

    // Consent given: kept and shown. Withdrawn: neither listed nor served.
    let body = json!({ "kind": "photo_record", "version": 1, "typed_name": "Nora Noconsent", "confirm": true });
    let consent = t.admin.api.post(&format!("/api/v1/patients/{pid}/consents"), body).await.expect(201).clone();
    let id = upload(&t.admin.api, &pid, &small_png()).await.expect(201)["id"].as_str().unwrap().to_string();
    assert_eq!(get_bytes(&t.admin.api, &format!("/api/v1/photos/{id}/image")).await.0, 200);
    let withdraw = format!("/api/v1/patients/{pid}/consents/{}/withdraw", consent["id"].as_str().unwrap());
    t.admin.api.post(&withdraw, json!({ "note": "no more photos" })).await.expect(200);
    let list = t.admin.api.get(&format!("/api/v1/patients/{pid}/photos")).await;
    assert_eq!(list.expect(200)["photos"], json!([]));
    for size in ["image", "thumbnail"] {
        let r = t.admin.api.get(&format!("/api/v1/photos/{id}/{size}")).await;
        assert_eq!((r.status, r.code()), (409, "consent_required"), "{}", r.text);
    }
    let r = upload(&t.admin.api, &pid, &small_png()).await;
    assert_eq!((r.status, r.code()), (409, "consent_required"));
    assert!(r.json["detail"].as_str().unwrap().contains("withdrawn"), "{}", r.text);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_front_desk_gets_no_photos_and_bad_uploads_name_the_field() {
    let t = TestApp::start().await;
    let pid = patient(&t, "Fran Frontdesk", true).await;
    let id = upload(&t.admin.api, &pid, &small_png()).await.expect(201)["id"].as_str().unwrap().to_string();
    let desk = t.add_staff(&t.admin.api, "front_desk").await;
    for r in [
        upload(&desk.api, &pid, &small_png()).await,
        desk.api.get(&format!("/api/v1/patients/{pid}/photos")).await,
        desk.api.get(&format!("/api/v1/photos/{id}/image")).await,
        desk.api.get(&format!("/api/v1/photos/{id}/thumbnail")).await,
    ] {
        assert_eq!((r.status, r.code()), (403, "forbidden"), "{}", r.text);
    }

    // A decompression bomb: refused from its header, naming the field.
    let r = upload(&t.admin.api, &pid, &claimed_png(60_000, 60_000)).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json["field"], "photo", "{}", r.text);
    assert!(r.json["detail"].as_str().unwrap().contains("pixels"), "{}", r.text);
    // Not a photo; no photo; a view that is not a standard one; a session stage without a session.
    let r = upload(&t.admin.api, &pid, b"%PDF-1.4 not a photo").await;
    assert_eq!((r.status, r.json["field"].as_str()), (422, Some("photo")), "{}", r.text);
    assert!(r.json["detail"].as_str().unwrap().contains("JPEG, PNG or WebP"), "{}", r.text);
    let path = format!("/api/v1/patients/{pid}/photos");
    let r = post_multipart(&t.admin.api, &path, &[("view", "front"), ("stage", "baseline")], None).await;
    assert_eq!((r.status, r.json["field"].as_str()), (422, Some("photo")), "{}", r.text);
    let r = post_multipart(&t.admin.api, &path, &[("view", "back"), ("stage", "baseline")], Some(&small_png())).await;
    assert_eq!((r.status, r.json["field"].as_str()), (422, Some("view")), "{}", r.text);
    let r = post_multipart(&t.admin.api, &path, &[("view", "front"), ("stage", "session")], Some(&small_png())).await;
    assert_eq!((r.status, r.json["field"].as_str()), (422, Some("session_id")), "{}", r.text);
    let r =
        post_multipart(&t.admin.api, &path, &[("view", "front"), ("stage", "baseline"), ("colour", "red")], None).await;
    assert_eq!((r.status, r.json["field"].as_str()), (422, Some("colour")), "{}", r.text);
    // JSON is not an upload.
    let r = t.admin.api.post(&path, json!({ "view": "front" })).await;
    assert_eq!((r.status, r.code()), (415, "unsupported_media_type"), "{}", r.text);
    assert_eq!(stored_files(&t).len(), 2, "only the first photo was kept");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_patient_sends_a_photo_with_their_check_in_and_sees_only_their_own() {
    let t = TestApp::start().await;
    let p = t.create_patient(&t.admin.api, "Cara Checkin").await;
    let pid = p["id"].as_str().unwrap().to_string();
    t.screen_eligible(&t.admin.api, &pid).await;
    t.record_session(&t.admin.api, &pid).await;
    let me = t.patient_login(&t.admin.api, &p).await;
    let checked = me.api.post("/api/v1/me/check-ins", common::self_care_check_in()).await;
    let check_in = checked.expect(201)["check_in"]["id"].as_str().unwrap().to_string();

    let fields = [("check_in_id", check_in.as_str())];
    let r = post_multipart(&me.api, "/api/v1/me/photos", &fields, Some(&small_png())).await;
    assert_eq!((r.status, r.code()), (409, "consent_required"), "{}", r.text);
    let body = json!({ "kind": "photo_record", "version": 1, "typed_name": "Cara Checkin", "confirm": true });
    me.api.post("/api/v1/me/consents", body).await.expect(201);
    let r = post_multipart(&me.api, "/api/v1/me/photos", &fields, Some(&small_png())).await;
    let photo = r.expect(201).clone();
    assert_eq!((photo["stage"].as_str(), photo["view"].as_str()), (Some("check_in"), Some("check_in")));
    assert_eq!(photo["check_in"], check_in.as_str());
    let id = photo["id"].as_str().unwrap();
    let mine = me.api.get("/api/v1/me/photos").await;
    assert_eq!(mine.expect(200)["photos"][0]["id"], id);
    let (status, _, _) = get_bytes(&me.api, &format!("/api/v1/photos/{id}/thumbnail")).await;
    assert_eq!(status, 200);

    // Another patient finds neither the photo nor the check-in.
    let other = t.create_patient(&t.admin.api, "Otto Other").await;
    let other = t.patient_login(&t.admin.api, &other).await;
    assert_eq!(other.api.get(&format!("/api/v1/photos/{id}/image")).await.status, 404);
    let body = json!({ "kind": "photo_record", "version": 1, "typed_name": "Otto Other", "confirm": true });
    other.api.post("/api/v1/me/consents", body).await.expect(201);
    let r = post_multipart(&other.api, "/api/v1/me/photos", &fields, Some(&small_png())).await;
    assert_eq!(r.status, 404, "{}", r.text);
    // The clinician sees it with the patient's photos.
    let list = t.admin.api.get(&format!("/api/v1/patients/{pid}/photos")).await;
    assert_eq!(list.expect(200)["photos"][0]["id"], id);
}

/// A photo of several megabytes (noise does not compress): far above the 64 KiB other routes
/// take, within the 20 MiB an upload may be.
fn large_png() -> Vec<u8> {
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let img = image::RgbImage::from_fn(1400, 1000, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let [r, g, b, ..] = seed.to_le_bytes();
        image::Rgb([r, g, b])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_photo_of_megabytes_is_taken_where_other_bodies_stop_at_64_kib() {
    let t = TestApp::start().await;
    let pid = patient(&t, "Lara Large", true).await;
    let big = large_png();
    assert!(big.len() > 3 * 1024 * 1024, "{} bytes", big.len());
    let photo = upload(&t.admin.api, &pid, &big).await.expect(201).clone();
    assert_eq!((photo["width"].as_u64(), photo["height"].as_u64()), (Some(1400), Some(1000)));
    // Every route that takes a photo takes one this large: the scan of a paper consent, and a
    // patient's photo with a check-in from the answer page (regression: these routes were
    // missing from the upload list and stopped at 64 KiB).
    let paper = json!({ "kind": "treatment", "version": 1, "typed_name": "Lara Large", "confirm": true });
    let consent = t.admin.api.post(&format!("/api/v1/patients/{pid}/consents"), paper).await.expect(201).clone();
    let scan = format!("/api/v1/patients/{pid}/consents/{}/scan", consent["id"].as_str().unwrap());
    post_multipart(&t.admin.api, &scan, &[], Some(&big)).await.expect(200);
    t.screen_eligible(&t.admin.api, &pid).await;
    t.record_session(&t.admin.api, &pid).await;
    let record = t.admin.api.get(&format!("/api/v1/patients/{pid}")).await.expect(200).clone();
    let me = t.patient_login(&t.admin.api, &record).await;
    let checked = me.api.post("/api/v1/me/check-ins", common::self_care_check_in()).await.expect(201).clone();
    let path = format!("/me/check-ins/{}/photo", checked["check_in"]["id"].as_str().unwrap());
    let csrf = me.api.csrf.clone().unwrap();
    let mut browser = me.api.clone();
    browser.csrf = None;
    let sent = post_multipart(&browser, &path, &[("_csrf", csrf.as_str())], Some(&big)).await;
    assert_eq!(sent.status, 303, "{}", &sent.text[..sent.text.len().min(300)]);
    // A body far above 64 KiB on a JSON route is refused as before (200 KiB: small enough that
    // the refusal is read before the server closes the connection, not a broken pipe).
    let padding = "x".repeat(200 * 1024);
    let r = t.admin.api.post(&format!("/api/v1/patients/{pid}/consents"), json!({ "typed_name": padding })).await;
    assert_eq!((r.status, r.code()), (413, "body_too_large"), "{}", &r.text[..r.text.len().min(300)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_clinician_adds_a_photo_from_the_patient_page_without_javascript() {
    let t = TestApp::start().await;
    let pid = patient(&t, "Paula Page", true).await;
    let page = t.admin.api.get(&format!("/staff/patients/{pid}")).await;
    assert_eq!(page.status, 200);
    for part in [
        r#"id="photos""#,
        r#"enctype="multipart/form-data""#,
        r#"<input id="photo-file" type="file" name="photo" accept="image/*" capture="environment" required>"#,
        r#"name="_csrf""#,
        r#"<select id="photo-view" name="view">"#,
    ] {
        assert!(page.text.contains(part), "{part} on the page");
    }
    // A browser without JavaScript: the CSRF token in the form, no header.
    let csrf = t.admin.api.csrf.clone().unwrap();
    let mut browser = t.admin.api.clone();
    browser.csrf = None;
    let path = format!("/staff/patients/{pid}/photos");
    let fields = [("_csrf", csrf.as_str()), ("view", "left_profile"), ("stage", "baseline"), ("session_id", "")];
    let r = post_multipart(&browser, &path, &fields, Some(&small_png())).await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert_eq!(r.header("location"), Some(format!("/staff/patients/{pid}?photo=uploaded#photos").as_str()));
    let page = t.admin.api.get(&format!("/staff/patients/{pid}?photo=uploaded")).await;
    assert!(page.text.contains("The photo was added."), "notice shown");
    assert!(page.text.contains("/thumbnail\" alt=\"Left profile"), "the thumbnail is shown: {}", page.text);
    // A wrong token is refused; nothing else is kept.
    let fields = [("_csrf", "not the token"), ("view", "front"), ("stage", "baseline")];
    assert_eq!(post_multipart(&browser, &path, &fields, Some(&small_png())).await.status, 403);
    assert_eq!(stored_files(&t).len(), 2);
    // The front desk's view of the page has no photos.
    let desk = t.add_staff(&t.admin.api, "front_desk").await;
    let page = desk.api.get(&format!("/staff/patients/{pid}")).await;
    assert_eq!(page.status, 200);
    assert!(!page.text.contains(r#"id="photos""#) && !page.text.contains("/thumbnail"));
    // Without consent the page says how to give it, and offers no form.
    let other = patient(&t, "Nils Noconsent", false).await;
    let page = t.admin.api.get(&format!("/staff/patients/{other}")).await;
    assert!(page.text.contains("Photos are kept only with the patient"), "{}", page.text.len());
    assert!(!page.text.contains(r#"id="photo-file""#));
}

/// Guided capture (issue 15): the staff form names each view's earliest baseline as its guide,
/// the check-in answer's form names the patient's own list (read by the script only when the
/// camera opens, so the page reads nothing more), both carry the camera's words, and the content
/// security policy is as strict as before.
#[tokio::test(flavor = "multi_thread")]
async fn the_photo_forms_carry_the_guided_cameras_words_and_baselines() {
    let t = TestApp::start().await;
    let p = t.create_patient(&t.admin.api, "Gita Guide").await;
    let pid = p["id"].as_str().unwrap().to_string();
    t.screen_eligible(&t.admin.api, &pid).await;
    let session = t.record_session(&t.admin.api, &pid).await;
    let session_id = session["session"]["id"].as_str().or(session["id"].as_str()).unwrap().to_string();
    let body = json!({ "kind": "photo_record", "version": 1, "typed_name": "Gita Guide", "confirm": true });
    t.admin.api.post(&format!("/api/v1/patients/{pid}/consents"), body).await.expect(201);
    // Two front baselines and a front photo at the session: the earliest baseline is the guide.
    let first = upload(&t.admin.api, &pid, &small_png()).await.expect(201)["image_url"].as_str().unwrap().to_string();
    let pale = image::RgbImage::from_pixel(64, 48, image::Rgb([230, 190, 170]));
    let mut second = std::io::Cursor::new(Vec::new());
    pale.write_to(&mut second, image::ImageFormat::Png).unwrap();
    upload(&t.admin.api, &pid, second.get_ref()).await.expect(201);
    let fields = [("view", "front"), ("stage", "session"), ("session_id", session_id.as_str())];
    let path = format!("/api/v1/patients/{pid}/photos");
    post_multipart(&t.admin.api, &path, &fields, Some(&small_png())).await.expect(201);
    let page = t.admin.api.get(&format!("/staff/patients/{pid}")).await;
    assert_eq!(page.status, 200);
    let form = r#"data-guided="photo-file" data-guide-view-from="photo-view""#;
    assert!(page.text.contains(&format!(r#"{form} data-guide-front="{first}">"#)), "{}", page.text);
    assert_eq!(page.text.matches("data-guide-front=").count(), 1, "one guide per view");
    assert!(!page.text.contains("data-guide-left_oblique"), "no guide for a view without a baseline");
    for part in ["<template data-guided-ui", "Use the guided camera", "Take photo", r#"data-say-ready="Line up"#] {
        assert!(page.text.contains(part), "{part} on the staff page");
    }
    let csp = "default-src 'self'; frame-ancestors 'none'; form-action 'self'";
    assert_eq!(page.header("content-security-policy"), Some(csp));
    // The patient's answer page points the script at their own list, where the earliest front
    // baseline (the list is newest first) is the same guide.
    let me = t.patient_login(&t.admin.api, &p).await;
    let answer =
        common::post_form(&me.api, "/me/check-in", "symptom=redness&severity.redness=mild&trend.redness=improving")
            .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let form = r#"data-guided="check-in-photo" data-guide-view="front" data-guides="/api/v1/me/photos">"#;
    assert!(answer.text.contains(form) && answer.text.contains("<template data-guided-ui"), "{}", answer.text);
    assert!(!answer.text.contains("/api/v1/photos/"), "the answer page names no photo itself");
    assert_eq!(answer.header("content-security-policy"), Some(csp));
    let mine = me.api.get("/api/v1/me/photos").await.expect(200).clone();
    let baselines: Vec<&Value> = mine["photos"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["view"] == "front" && p["stage"] == "baseline")
        .collect();
    assert_eq!(baselines.len(), 2);
    assert_eq!(baselines.last().unwrap()["image_url"], first.as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_declared_larger_than_a_photo_is_refused_as_a_problem_before_it_is_read() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let t = TestApp::start().await;
    let pid = patient(&t, "Tom Toolarge", true).await;
    let cookie = t.admin.api.cookie.clone().unwrap();
    let csrf = t.admin.api.csrf.clone().unwrap();
    // Only the head is sent: the limit is judged from Content-Length, before a byte is read.
    let head = format!(
        "POST /api/v1/patients/{pid}/photos HTTP/1.1\r\nHost: {}\r\nCookie: {cookie}\r\nx-csrf-token: {csrf}\r\n\
         Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        t.addr,
        30 * 1024 * 1024
    );
    let mut conn = tokio::net::TcpStream::connect(t.addr).await.unwrap();
    conn.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), conn.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("content-type: application/problem+json"), "{answer}");
    assert!(answer.contains("\"field\":\"photo\"") && answer.contains("body_too_large"), "{answer}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_patient_adds_a_healing_photo_from_the_check_in_answer_without_javascript() {
    let t = TestApp::start().await;
    let p = t.create_patient(&t.admin.api, "Hana Healing").await;
    let pid = p["id"].as_str().unwrap().to_string();
    t.screen_eligible(&t.admin.api, &pid).await;
    t.record_session(&t.admin.api, &pid).await;
    let me = t.patient_login(&t.admin.api, &p).await;
    let body = json!({ "kind": "photo_record", "version": 1, "typed_name": "Hana Healing", "confirm": true });
    me.api.post("/api/v1/me/consents", body).await.expect(201);
    // The answer page offers the photo form for the check-in just sent.
    let answer =
        common::post_form(&me.api, "/me/check-in", "symptom=redness&severity.redness=mild&trend.redness=improving")
            .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let action =
        answer.text.split("action=\"/me/check-ins/").nth(1).and_then(|r| r.split('"').next()).unwrap().to_string();
    assert!(action.ends_with("/photo") && answer.text.contains("capture=\"user\""), "{}", answer.text);
    let path = format!("/me/check-ins/{action}");
    // A plain form: the CSRF token travels as a field.
    let csrf = me.api.csrf.clone().unwrap();
    let mut browser = me.api.clone();
    browser.csrf = None;
    let bad = post_multipart(&browser, &path, &[("_csrf", "wrong")], Some(&small_png())).await;
    assert_eq!(bad.status, 403, "{}", bad.text);
    let none = post_multipart(&browser, &path, &[("_csrf", csrf.as_str())], None).await;
    assert_eq!(none.status, 422, "{}", none.text);
    assert!(none.text.contains("choose a photo"), "{}", none.text);
    let sent = post_multipart(&browser, &path, &[("_csrf", csrf.as_str())], Some(&small_png())).await;
    assert_eq!((sent.status, sent.header("location")), (303, Some("/me/history?photo=sent")), "{}", sent.text);
    let history = me.api.get("/me/history?photo=sent").await;
    assert!(history.text.contains("Your photo was sent to your clinic"), "{}", history.text);
    let list = t.admin.api.get(&format!("/api/v1/patients/{pid}/photos")).await.expect(200).clone();
    assert_eq!(list["photos"][0]["stage"], "check_in");
}

/// A photo whose left part is `left` and right part `right` (sRGB), as a PNG.
fn two_tone(left: [u8; 3], right: [u8; 3]) -> Vec<u8> {
    let img = image::RgbImage::from_fn(400, 300, |x, _| image::Rgb(if x < 200 { left } else { right }));
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(img).write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    png
}

fn a_star(c: [u8; 3]) -> f64 {
    needlepath_core::redness::lab(c[0], c[1], c[2]).1
}

#[tokio::test(flavor = "multi_thread")]
async fn the_redness_index_is_read_from_marked_regions_and_a_rise_after_day_three_asks_for_a_look() {
    let t = TestApp::start().await;
    let desk = t.add_staff(&t.admin.api, "front_desk").await;
    let p = t.create_patient(&t.admin.api, "Rosa Redness").await;
    let pid = p["id"].as_str().unwrap().to_string();
    t.screen_eligible(&t.admin.api, &pid).await;
    let body = json!({ "kind": "photo_record", "version": 1, "typed_name": "Rosa Redness", "confirm": true });
    t.admin.api.post(&format!("/api/v1/patients/{pid}/consents"), body).await.expect(201);
    let skin = [205, 160, 140];
    let baseline = upload(&t.admin.api, &pid, &two_tone([205, 135, 120], skin)).await.expect(201).clone();
    assert_eq!(baseline["redness"], serde_json::Value::Null, "no regions yet: no index");

    // Regions: the treated left, the untreated right; the index is the colours' difference.
    let regions = format!("/api/v1/patients/{pid}/photos/regions");
    let marked = json!({
        "view": "front",
        "treated": { "x": 0.05, "y": 0.1, "width": 0.35, "height": 0.8 },
        "reference": { "x": 0.6, "y": 0.1, "width": 0.35, "height": 0.8 }
    });
    for (bad, field) in [
        (json!({ "view": "check_in", "treated": marked["treated"], "reference": marked["reference"] }), "view"),
        (
            json!({ "view": "front", "treated": { "x": 1.2, "y": 0.1, "width": 0.1, "height": 0.1 }, "reference": marked["reference"] }),
            "treated.x",
        ),
        (
            json!({ "view": "front", "treated": marked["treated"], "reference": { "x": 0.8, "y": 0.1, "width": 0.5, "height": 0.1 } }),
            "reference",
        ),
    ] {
        let r = t.admin.api.post(&regions, bad.clone()).await;
        assert_eq!((r.status, r.json["field"].as_str()), (422, Some(field)), "{bad}: {}", r.text);
    }
    assert_eq!(desk.api.post(&regions, marked.clone()).await.status, 403);
    let set = t.admin.api.post(&regions, marked.clone()).await.expect(200).clone();
    let index = set["photos"][0]["redness"].as_f64().unwrap();
    let want = a_star([205, 135, 120]) - a_star(skin);
    assert!((index - want).abs() <= 0.5, "index {index}, the colours' own difference {want}");
    let list = t.admin.api.get(&format!("/api/v1/patients/{pid}/photos")).await.expect(200).clone();
    assert_eq!(list["photos"][0]["redness"].as_f64(), Some(index));

    // After a session the patient sends check-in photos (read with the front view's regions):
    // day 1 red, day 4 redder by far more than two units: a follow-up asks staff to look.
    t.record_session(&t.admin.api, &pid).await;
    let me = t.patient_login(&t.admin.api, &p).await;
    let send = async |colour: [u8; 3]| {
        let checked = me.api.post("/api/v1/me/check-ins", common::self_care_check_in()).await;
        let check_in = checked.expect(201)["check_in"]["id"].as_str().unwrap().to_string();
        let fields = [("check_in_id", check_in.as_str())];
        post_multipart(&me.api, "/api/v1/me/photos", &fields, Some(&two_tone(colour, skin))).await.expect(201).clone()
    };
    t.clock.travel(chrono::Duration::days(1));
    let day1 = send([205, 140, 125]).await;
    assert!(day1["redness"].as_f64().is_some(), "{day1}");
    let quiet = t.admin.api.get("/api/v1/follow-ups").await.expect(200).clone();
    assert!(!quiet.to_string().contains("look at the photo"), "day 1: redness is expected: {quiet}");
    t.clock.travel(chrono::Duration::days(3));
    let day4 = send([215, 110, 105]).await;
    assert!(day4["redness"].as_f64().unwrap() - day1["redness"].as_f64().unwrap() > 2.0);
    let flagged = t.admin.api.get("/api/v1/follow-ups").await.expect(200).clone();
    let look: Vec<&serde_json::Value> = flagged["follow_ups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["reason"].as_str().unwrap_or_default().contains("look at the photo"))
        .collect();
    assert_eq!(look.len(), 1, "{flagged}");
    assert_eq!(look[0]["check_in"], day4["check_in"]);

    // The record shows the trend, labelled as a measure; the form names a bad field.
    let page = t.admin.api.get(&format!("/staff/patients/{pid}")).await;
    assert!(page.text.contains("id=\"redness\"") && page.text.contains("not a diagnosis"), "{}", page.text);
    assert!(page.text.contains("day 4 after session 1"), "{}", page.text);
    let bad = common::post_form(
        &t.admin.api,
        &format!("/staff/patients/{pid}/photos/regions"),
        "view=front&treated_x=5&treated_y=10&treated_width=35&treated_height=80&reference_x=60&reference_y=10&reference_width=35&reference_height=lots",
    )
    .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.text.contains("reference_height"), "{}", bad.text);
}
