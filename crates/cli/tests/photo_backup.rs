#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Issue 15: `needlepath backup` keeps the photos with the database, and `restore` puts them
//! back. Photos uploaded through the running service are backed up into `FILE.photos/`; with
//! the photo store and the database gone, a restore brings both back and the service serves
//! every image byte for byte. The same for photos kept in an S3 bucket (moto's emulator), and
//! a service whose bucket cannot be reached refuses to start, naming the setting.

#[path = "../../server/tests/support/moto.rs"]
mod moto;
mod service;

use std::path::{Path, PathBuf};

use reqwest::StatusCode;
use serde_json::json;
use service::*;

/// A PNG of `side` × `side` pixels in one colour, with a little noise so each is its own photo.
fn png(side: u32, seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(side, side, |x, y| {
        image::Rgb([seed, (x as u8).wrapping_mul(seed), (y as u8).wrapping_add(seed)])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A patient with consent to photos (from paper) and three baseline photos; each photo's id,
/// with the image and thumbnail the service serves.
async fn patient_with_photos(staff: &Api) -> Vec<(String, Vec<u8>, Vec<u8>)> {
    let email = format!("{}@patient.example", uuid::Uuid::now_v7().simple());
    let p =
        staff.post_ok("/api/v1/patients", &json!({ "name": "Pia Photo", "email": email }), StatusCode::CREATED).await;
    let id = p["id"].as_str().unwrap().to_string();
    let consent = json!({ "kind": "photo_record", "version": 1, "typed_name": "Pia Photo", "confirm": true });
    staff.post_ok(&format!("/api/v1/patients/{id}/consents"), &consent, StatusCode::CREATED).await;
    let mut photos = Vec::new();
    for (view, seed) in [("front", 40), ("left_profile", 90), ("right_profile", 160)] {
        let fields = [("view", view), ("stage", "baseline")];
        let (status, v) = staff.post_photo(&format!("/api/v1/patients/{id}/photos"), &fields, &png(96, seed)).await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
        let photo = v["id"].as_str().unwrap().to_string();
        photos.push((photo.clone(), served(staff, &photo, "image").await, served(staff, &photo, "thumbnail").await));
    }
    photos
}

async fn served(staff: &Api, photo: &str, size: &str) -> Vec<u8> {
    let (status, bytes) = staff.get_bytes(&format!("/api/v1/photos/{photo}/{size}")).await;
    assert_eq!(status, StatusCode::OK, "{size} of {photo}");
    bytes
}

/// Every image and thumbnail is served again, byte for byte.
async fn served_again(staff: &Api, photos: &[(String, Vec<u8>, Vec<u8>)]) {
    for (id, image, thumbnail) in photos {
        assert!(served(staff, id, "image").await == *image, "the image of {id} is identical");
        assert!(served(staff, id, "thumbnail").await == *thumbnail, "the thumbnail of {id} is identical");
    }
}

/// The files under a directory store, relative (`ab/<sha256>.jpg`), sorted.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for shard in std::fs::read_dir(dir).unwrap() {
        let shard = shard.unwrap();
        for f in std::fs::read_dir(shard.path()).unwrap() {
            out.push(format!("{}/{}", shard.file_name().to_string_lossy(), f.unwrap().file_name().to_string_lossy()));
        }
    }
    out.sort();
    out
}

fn remove_database(db: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_keeps_the_photos_and_a_restore_serves_them_again() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("np.db");
    let url = sqlite_url(&db);
    let mut server = ServerProcess::start(dir.path(), &["--database-url", &url, "--create-database"]).await;
    let staff = set_up_clinic(&mut server).await;
    let photos = patient_with_photos(&staff).await;
    assert!(server.terminate().await.success());
    let live = dir.path().join("photos");
    assert_eq!(files_under(&live).len(), 6, "three images and their thumbnails beside the database");

    let file = dir.path().join("np.backup");
    let out = run(dir.path(), &["backup", file.to_str().unwrap(), "--database-url", &url], &[]).await;
    assert!(out.status.success(), "backup: {}", stderr(&out));
    let said = stdout(&out);
    assert!(said.contains("6 copied, 0 there already"), "{said}");
    let copy = dir.path().join("np.backup.photos");
    assert_eq!(files_under(&copy), files_under(&live), "the directory's layout, every photo");

    // Only what a backup directory lacks is copied.
    let again = dir.path().join("again.backup");
    let first = &files_under(&live)[0];
    std::fs::create_dir_all(dir.path().join("again.backup.photos").join(&first[..2])).unwrap();
    std::fs::copy(live.join(first), dir.path().join("again.backup.photos").join(first)).unwrap();
    let out = run(dir.path(), &["backup", again.to_str().unwrap(), "--database-url", &url], &[]).await;
    assert!(stdout(&out).contains("5 copied, 1 there already"), "{}{}", stdout(&out), stderr(&out));

    // The photo store and the database are lost; the restore brings both back.
    std::fs::remove_dir_all(&live).unwrap();
    remove_database(&db);
    let out = run(dir.path(), &["restore", file.to_str().unwrap(), "--force", "--database-url", &url], &[]).await;
    assert!(out.status.success(), "restore: {}", stderr(&out));
    let said = stdout(&out);
    assert!(said.contains("restored photos from") && said.contains("6 copied, 0 there already"), "{said}");
    assert_eq!(files_under(&live), files_under(&copy));
    let mut server = ServerProcess::start(dir.path(), &["--database-url", &url]).await;
    let staff = admin(&server.base()).await;
    served_again(&staff, &photos).await;
    assert!(server.terminate().await.success());

    // A photo damaged in the backup is refused by its hash: the database is not replaced.
    let damaged = copy.join(first);
    let mut bytes = std::fs::read(&damaged).unwrap();
    let last = bytes.len() - 3;
    bytes[last] ^= 0xff;
    std::fs::write(&damaged, bytes).unwrap();
    std::fs::remove_dir_all(&live).unwrap();
    remove_database(&db);
    let out = run(dir.path(), &["restore", file.to_str().unwrap(), "--force", "--database-url", &url], &[]).await;
    assert!(!out.status.success());
    let said = stderr(&out);
    assert!(said.contains("damaged") && said.contains("the database was not replaced"), "{said}");
    assert!(!db.exists(), "no database was put in place");
}

/// The settings of a photo store in moto's bucket, as the environment gives them (credentials
/// the standard AWS way).
fn s3_env<'a>(moto: &'a moto::Moto, store: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("NEEDLEPATH_PHOTOS_STORE", store),
        ("NEEDLEPATH_PHOTOS_S3_ENDPOINT", moto.endpoint.as_str()),
        ("NEEDLEPATH_PHOTOS_S3_ALLOW_HTTP", "true"),
        ("NEEDLEPATH_PHOTOS_S3_REGION", moto::REGION),
        ("AWS_ACCESS_KEY_ID", moto::ACCESS_KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", moto::SECRET_ACCESS_KEY),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn photos_in_s3_are_backed_up_offline_and_restored_into_a_new_bucket() {
    let Some(moto) = moto::Moto::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("np.db");
    let url = sqlite_url(&db);

    // A bucket that does not exist: the service refuses to start, naming the setting.
    let env = s3_env(&moto, "s3://missing-bucket/np");
    let out =
        run(dir.path(), &["serve", "--listen", "127.0.0.1:0", "--database-url", &url, "--create-database"], &env).await;
    assert!(!out.status.success());
    let said = stderr(&out);
    assert!(said.contains("photos_store") && said.contains("s3://missing-bucket/np"), "{said}");

    moto.create_bucket("clinic-photos").await;
    let env = s3_env(&moto, "s3://clinic-photos/np");
    let mut server =
        ServerProcess::start_with_env(dir.path(), &["--database-url", &url, "--create-database"], &env).await;
    let staff = set_up_clinic(&mut server).await;
    let photos = patient_with_photos(&staff).await;
    assert!(server.terminate().await.success());
    assert!(!dir.path().join("photos").exists(), "no photo directory beside the database");
    let objects = moto.keys("clinic-photos").await;
    assert_eq!(objects.iter().filter(|k| k.ends_with(".jpg")).count(), 6, "{objects:?}");

    // The backup holds the photos as files: complete without the bucket.
    let file = dir.path().join("np.backup");
    let out = run(dir.path(), &["backup", file.to_str().unwrap(), "--database-url", &url], &env).await;
    assert!(out.status.success(), "backup: {}", stderr(&out));
    assert!(stdout(&out).contains("6 copied"), "{}", stdout(&out));
    let copy = files_under(&dir.path().join("np.backup.photos"));
    let in_bucket: Vec<String> =
        objects.iter().filter(|k| k.ends_with(".jpg")).map(|k| k.trim_start_matches("np/").to_string()).collect();
    assert_eq!(copy, in_bucket, "the bucket's objects as the directory layout");

    // The bucket and the database are lost: restored into a new bucket, served again.
    moto.create_bucket("clinic-photos-new").await;
    let env = s3_env(&moto, "s3://clinic-photos-new/restored");
    remove_database(&db);
    let out = run(dir.path(), &["restore", file.to_str().unwrap(), "--force", "--database-url", &url], &env).await;
    assert!(out.status.success(), "restore: {}", stderr(&out));
    assert!(stdout(&out).contains("6 copied"), "{}", stdout(&out));
    let restored = moto.keys("clinic-photos-new").await;
    assert_eq!(restored.iter().filter(|k| k.starts_with("restored/") && k.ends_with(".jpg")).count(), 6);
    let mut server = ServerProcess::start_with_env(dir.path(), &["--database-url", &url], &env).await;
    let staff = admin(&server.base()).await;
    served_again(&staff, &photos).await;
    assert!(server.terminate().await.success());
}
