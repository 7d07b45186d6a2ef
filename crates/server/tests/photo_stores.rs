#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Photo storage (issue 15): one conformance suite for `PhotoBlobs`, run against the directory
//! store, the memory store and an S3 bucket (moto's emulator, a real S3 API over HTTP): a round
//! trip, the same bytes twice, a missing name, names that are not names, a photo of megabytes,
//! writers of one photo at once, and the listing backup reads. Then the service itself with
//! its photos in S3: an upload is kept as an object and its image is served back.

mod common;
#[path = "support/moto.rs"]
mod moto;

use std::sync::Arc;

use common::{TestApp, get_bytes, post_multipart, small_png};
use needlepath_server::photos::blobs::name_of;
use needlepath_server::photos::{BlobError, DirBlobs, MemoryBlobs, PhotoBlobs, S3Blobs, S3Config};
use serde_json::json;

/// `n` bytes that do not compress (a photo's entropy), different for each `seed`.
fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[0]
        })
        .collect()
}

/// What every photo store does. `blobs` starts empty.
async fn conformance(blobs: Arc<dyn PhotoBlobs>) {
    let what = blobs.describe();
    assert!(blobs.names().await.unwrap().is_empty(), "{what}: starts empty");

    // A round trip: named by the SHA-256 of the bytes, read back the same.
    let photo = noise(40_000, 1);
    let name = blobs.put(&photo).await.unwrap();
    assert_eq!(name, name_of(&photo), "{what}");
    assert_eq!(name.len(), 64);
    assert_eq!(blobs.get(&name).await.unwrap().as_deref(), Some(photo.as_slice()), "{what}");

    // The same bytes again: the same name, still one photo.
    assert_eq!(blobs.put(&photo).await.unwrap(), name, "{what}");
    assert_eq!(blobs.names().await.unwrap(), vec![name.clone()], "{what}");

    // A name nothing is kept under.
    assert_eq!(blobs.get(&name_of(b"never kept")).await.unwrap(), None, "{what}");

    // Names that are not 64 lowercase hex digits never reach the store.
    let upper = name.to_uppercase();
    let long = format!("{name}0");
    let slash = format!("{}/{}", &name[..2], &name[3..]);
    for bad in ["", "../../etc/passwd", upper.as_str(), &name[..63], long.as_str(), slash.as_str(), ".needlepath-probe"]
    {
        match blobs.get(bad).await {
            Err(BlobError::BadName(_)) => {}
            other => panic!("{what}: {bad:?} gave {other:?}"),
        }
    }

    // A photo of 5 MB.
    let large = noise(5 * 1024 * 1024, 2);
    let large_name = blobs.put(&large).await.unwrap();
    assert_eq!(blobs.get(&large_name).await.unwrap().map(|b| b.len()), Some(large.len()), "{what}");
    assert!(blobs.get(&large_name).await.unwrap() == Some(large.clone()), "{what}: the large photo's bytes");

    // Eight writers of the same photo at once: all get its name; one photo is kept, whole.
    let same = Arc::new(noise(300_000, 3));
    let writers: Vec<_> = (0..8)
        .map(|_| {
            let (blobs, same) = (blobs.clone(), same.clone());
            tokio::spawn(async move { blobs.put(&same).await })
        })
        .collect();
    let mut names = Vec::new();
    for w in writers {
        names.push(w.await.unwrap().unwrap());
    }
    let same_name = name_of(&same);
    assert!(names.iter().all(|n| *n == same_name), "{what}: {names:?}");
    assert_eq!(blobs.get(&same_name).await.unwrap().as_deref(), Some(same.as_slice()), "{what}");

    // The listing names each photo once, sorted, and nothing else.
    let mut expected = vec![name, large_name, same_name];
    expected.sort();
    assert_eq!(blobs.names().await.unwrap(), expected, "{what}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_directory_passes_the_photo_store_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    conformance(Arc::new(DirBlobs::open(&photos).unwrap())).await;
    // No temporary file of the concurrent writers is left behind.
    for shard in std::fs::read_dir(&photos).unwrap() {
        for file in std::fs::read_dir(shard.unwrap().path()).unwrap() {
            let name = file.unwrap().file_name().into_string().unwrap();
            assert!(name.ends_with(".jpg") && !name.starts_with('.'), "left behind: {name}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn memory_passes_the_photo_store_conformance_suite() {
    conformance(Arc::new(MemoryBlobs::default())).await;
}

fn s3_config(moto: &moto::Moto, bucket: &str, prefix: &str) -> S3Config {
    let url = if prefix.is_empty() { format!("s3://{bucket}") } else { format!("s3://{bucket}/{prefix}") };
    S3Config {
        endpoint: Some(moto.endpoint.clone()),
        region: Some(moto::REGION.into()),
        access_key_id: Some(moto::ACCESS_KEY_ID.into()),
        secret_access_key: Some(moto::SECRET_ACCESS_KEY.into()),
        allow_http: true,
        ..S3Config::default()
    }
    .with_url(&url)
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_s3_bucket_passes_the_photo_store_conformance_suite() {
    let Some(moto) = moto::Moto::start() else { return };
    moto.create_bucket("clinic-photos").await;
    let blobs = S3Blobs::open(&s3_config(&moto, "clinic-photos", "group-a/np")).await.unwrap();
    conformance(Arc::new(blobs.clone())).await;

    // The directory's layout as object names, under the prefix, beside the start's probe.
    let keys = moto.keys("clinic-photos").await;
    let mut expected: Vec<String> =
        blobs.names().await.unwrap().iter().map(|n| format!("group-a/np/{}/{n}.jpg", &n[..2])).collect();
    expected.push("group-a/np/.needlepath-probe".into());
    expected.sort();
    assert_eq!(keys, expected);

    // Another prefix in the same bucket is another store; the bucket's top holds none of these.
    let other = S3Blobs::open(&s3_config(&moto, "clinic-photos", "group-b")).await.unwrap();
    assert!(other.names().await.unwrap().is_empty());
    let top = S3Blobs::new(&s3_config(&moto, "clinic-photos", "")).unwrap();
    assert!(top.names().await.unwrap().is_empty(), "objects under a prefix are not at the top");
    assert_eq!(top.get(&name_of(&noise(40_000, 1))).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_bucket_or_an_unreachable_store_refuses_to_open() {
    let Some(moto) = moto::Moto::start() else { return };
    let e = S3Blobs::open(&s3_config(&moto, "no-such-bucket", "")).await.unwrap_err().to_string();
    eprintln!("missing bucket: {e}");
    assert!(e.contains("no-such-bucket") || e.to_lowercase().contains("bucket"), "{e}");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = S3Config { endpoint: Some(format!("http://127.0.0.1:{closed}")), ..s3_config(&moto, "x-bucket", "") };
    let started = std::time::Instant::now();
    let e = S3Blobs::open(&config).await.unwrap_err().to_string();
    assert!(started.elapsed() < std::time::Duration::from_secs(40), "refused in seconds: {:?}", started.elapsed());
    assert!(!e.contains(moto::SECRET_ACCESS_KEY), "{e}");
    eprintln!("unreachable store: {e}");

    // Plain HTTP is refused unless allowed.
    let config = S3Config { allow_http: false, ..s3_config(&moto, "x-bucket", "") };
    assert!(S3Blobs::open(&config).await.is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_service_keeps_an_uploaded_photo_in_s3_and_serves_its_image() {
    let Some(moto) = moto::Moto::start() else { return };
    moto.create_bucket("np-service").await;
    let blobs = S3Blobs::open(&s3_config(&moto, "np-service", "photos")).await.unwrap();
    let store: Arc<dyn PhotoBlobs> = Arc::new(blobs.clone());
    let t = TestApp::start_with(|c| c.photo_store = Some(store)).await;

    let p = t.create_patient(&t.admin.api, "Sam Storage").await;
    let pid = p["id"].as_str().unwrap().to_string();
    let consent = json!({ "kind": "photo_record", "version": 1, "typed_name": "Sam Storage", "confirm": true });
    t.admin.api.post(&format!("/api/v1/patients/{pid}/consents"), consent).await.expect(201);
    let fields = [("view", "front"), ("stage", "baseline")];
    let path = format!("/api/v1/patients/{pid}/photos");
    let photo = post_multipart(&t.admin.api, &path, &fields, Some(&small_png())).await.expect(201).clone();
    let id = photo["id"].as_str().unwrap();
    let sha = photo["sha256"].as_str().unwrap();

    // Kept in the bucket (image and thumbnail), not in the photo directory.
    let kept = blobs.get(sha).await.unwrap().expect("the image is an object in the bucket");
    assert_eq!(blobs.names().await.unwrap().len(), 2);
    assert!(!t.app.config.photos_dir.clone().unwrap().exists(), "nothing written to the directory");
    let keys = moto.keys("np-service").await;
    assert!(keys.contains(&format!("photos/{}/{sha}.jpg", &sha[..2])), "{keys:?}");

    // Served from the bucket, byte for byte.
    let (status, headers, served) = get_bytes(&t.admin.api, &format!("/api/v1/photos/{id}/image")).await;
    assert_eq!(status, 200);
    assert_eq!(headers.get("content-type").unwrap(), "image/jpeg");
    assert_eq!(served, kept);
    let (status, _, thumb) = get_bytes(&t.admin.api, &format!("/api/v1/photos/{id}/thumbnail")).await;
    assert_eq!(status, 200);
    assert_eq!(Some(thumb), blobs.get(photo["thumbnail_sha256"].as_str().unwrap()).await.unwrap());
}
