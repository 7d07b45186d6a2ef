//! Where photos' bytes are kept: outside the database, named by the SHA-256 of their content.
//!
//! A photo's record (`needlepath_store::Photo`) names its sanitised JPEG and its thumbnail by
//! their hashes; [`PhotoBlobs`] keeps the bytes under those names. Content addressing makes a
//! write idempotent (the same photo uploaded twice is one file) and lets a reader check what it
//! got. The directory implementation ([`DirBlobs`]) writes each file to a temporary name in the
//! directory it ends up in, flushes it to disk and renames it into place, so a crash never
//! leaves a half-written file under a real name. The S3 implementation (`photos::s3`) keeps the
//! same layout as object names.
//!
//! The trait is asynchronous because object storage is reached over the network with an async
//! client: blocking a thread on it (`Handle::block_on` inside `spawn_blocking`) would hold a
//! blocking-pool thread per request and panic if ever called from async code. The directory
//! store moves its file calls to the blocking pool itself.
//!
//! Not here yet: removing files no record names any more.
use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use async_trait::async_trait;
use sha2::{Digest, Sha256};

/// Why a photo's bytes could not be kept or read.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// A name that is not 64 lowercase hexadecimal digits (never a path).
    #[error("'{0}' is not a photo's name (64 lowercase hexadecimal digits)")]
    BadName(String),
    #[error("photo storage: {0}")]
    Io(#[from] std::io::Error),
    /// Object storage refused or could not be reached (what it said, without credentials).
    #[error("photo storage: {0}")]
    Remote(String),
}

/// Photos' bytes by the SHA-256 of their content.
#[async_trait]
pub trait PhotoBlobs: Send + Sync + std::fmt::Debug {
    /// Keeps `bytes` and returns their name (SHA-256, lowercase hex). Keeping the same bytes
    /// again changes nothing.
    async fn put(&self, bytes: &[u8]) -> Result<String, BlobError>;
    /// The bytes named `sha256`; `None` when none are kept under that name.
    async fn get(&self, sha256: &str) -> Result<Option<Vec<u8>>, BlobError>;
    /// The names of every photo kept, sorted (for backup and restore); anything else in the
    /// store (a temporary file, a probe) is not a name and is left out.
    async fn names(&self) -> Result<Vec<String>, BlobError>;
    /// Where the photos are, in words for messages (a directory, a bucket); never a secret.
    fn describe(&self) -> String;
}

/// Runs file work on the blocking pool.
async fn on_blocking_pool<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, BlobError> + Send + 'static,
) -> Result<T, BlobError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| BlobError::Io(std::io::Error::other(e)))?
}

/// The name in a file or object name `<name>.jpg`, when it is one.
pub(crate) fn name_in(file_name: &str) -> Option<&str> {
    file_name.strip_suffix(".jpg").filter(|n| checked(n).is_ok())
}

/// The SHA-256 of `bytes`, lowercase hex: their name.
pub fn name_of(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Refuses anything but 64 lowercase hex digits, so a name can never reach outside the store.
pub(crate) fn checked(name: &str) -> Result<&str, BlobError> {
    if name.len() == 64 && name.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        Ok(name)
    } else {
        Err(BlobError::BadName(name.chars().take(80).collect()))
    }
}

/// Files in a directory: `<dir>/ab/abcdef….jpg`, the first two digits of the name as a
/// subdirectory so no directory grows too large.
#[derive(Debug, Clone)]
pub struct DirBlobs {
    dir: PathBuf,
}

impl DirBlobs {
    /// Keeps photos under `dir` (created, with its parents, by the first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// [`DirBlobs::new`], creating `dir` now and checking that a file can be written in it, so a
    /// service with an unusable photo directory refuses to start instead of failing an upload.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, BlobError> {
        let blobs = Self::new(dir);
        std::fs::create_dir_all(&blobs.dir)?;
        let probe = blobs.dir.join(format!(".probe.{}.tmp", uuid::Uuid::now_v7().simple()));
        std::fs::write(&probe, b"")?;
        std::fs::remove_file(&probe)?;
        Ok(blobs)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the file named `name` is (or would be) kept.
    pub fn path_of(&self, name: &str) -> Result<PathBuf, BlobError> {
        let name = checked(name)?;
        Ok(self.dir.join(&name[..2]).join(format!("{name}.jpg")))
    }
}

impl DirBlobs {
    fn put_now(&self, bytes: &[u8]) -> Result<String, BlobError> {
        let name = name_of(bytes);
        let path = self.path_of(&name)?;
        if path.is_file() {
            return Ok(name);
        }
        let Some(shard) = path.parent() else {
            return Err(BlobError::BadName(name));
        };
        std::fs::create_dir_all(shard)?;
        // A temporary name in the same directory, so the rename is atomic; unique per write, so
        // two uploads of the same photo at once do not write into one file.
        let temp = shard.join(format!(".{name}.{}.tmp", uuid::Uuid::now_v7().simple()));
        let written = (|| {
            let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&temp)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            std::fs::rename(&temp, &path)?;
            // The rename itself is durable once the directory is flushed.
            std::fs::File::open(shard)?.sync_all()
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&temp);
            return Err(e.into());
        }
        Ok(name)
    }

    fn get_now(&self, sha256: &str) -> Result<Option<Vec<u8>>, BlobError> {
        match std::fs::read(self.path_of(sha256)?) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Every `<dir>/ab/<name>.jpg` whose shard is the name's first two digits; a missing
    /// directory holds none.
    fn names_now(&self) -> Result<Vec<String>, BlobError> {
        let mut names = Vec::new();
        let shards = match std::fs::read_dir(&self.dir) {
            Ok(shards) => shards,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(names),
            Err(e) => return Err(e.into()),
        };
        for shard in shards {
            let shard = shard?;
            if !shard.file_type()?.is_dir() {
                continue;
            }
            let shard_name = shard.file_name();
            for file in std::fs::read_dir(shard.path())? {
                let file_name = file?.file_name();
                if let Some(name) = file_name.to_str().and_then(name_in)
                    && shard_name.to_str() == Some(&name[..2])
                {
                    names.push(name.to_string());
                }
            }
        }
        names.sort();
        Ok(names)
    }
}

#[async_trait]
impl PhotoBlobs for DirBlobs {
    async fn put(&self, bytes: &[u8]) -> Result<String, BlobError> {
        let this = self.clone();
        let bytes = bytes.to_vec();
        on_blocking_pool(move || this.put_now(&bytes)).await
    }

    async fn get(&self, sha256: &str) -> Result<Option<Vec<u8>>, BlobError> {
        // Refused before any thread is asked for.
        let name = checked(sha256)?.to_string();
        let this = self.clone();
        on_blocking_pool(move || this.get_now(&name)).await
    }

    async fn names(&self) -> Result<Vec<String>, BlobError> {
        let this = self.clone();
        on_blocking_pool(move || this.names_now()).await
    }

    fn describe(&self) -> String {
        format!("the directory {}", self.dir.display())
    }
}

/// Photos kept in memory only: for tests, and for a service configured without a directory
/// (which says so when it starts). Lost when the process ends.
#[derive(Debug, Default)]
pub struct MemoryBlobs {
    files: Mutex<HashMap<String, Vec<u8>>>,
}

#[async_trait]
impl PhotoBlobs for MemoryBlobs {
    async fn put(&self, bytes: &[u8]) -> Result<String, BlobError> {
        let name = name_of(bytes);
        let mut files = self.files.lock().map_err(|_| std::io::Error::other("photo memory poisoned"))?;
        files.entry(name.clone()).or_insert_with(|| bytes.to_vec());
        Ok(name)
    }

    async fn get(&self, sha256: &str) -> Result<Option<Vec<u8>>, BlobError> {
        let name = checked(sha256)?;
        let files = self.files.lock().map_err(|_| std::io::Error::other("photo memory poisoned"))?;
        Ok(files.get(name).cloned())
    }

    async fn names(&self) -> Result<Vec<String>, BlobError> {
        let files = self.files.lock().map_err(|_| std::io::Error::other("photo memory poisoned"))?;
        let mut names: Vec<String> = files.keys().cloned().collect();
        names.sort();
        Ok(names)
    }

    fn describe(&self) -> String {
        "memory (lost when the service stops)".into()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn a_directory_keeps_bytes_by_their_hash_once() {
        let root = std::env::temp_dir().join(format!("np-blobs-{}", uuid::Uuid::now_v7().simple()));
        let blobs = DirBlobs::open(root.join("photos")).unwrap();
        let name = blobs.put(b"a photo").await.unwrap();
        assert_eq!(name, name_of(b"a photo"));
        let path = root.join("photos").join(&name[..2]).join(format!("{name}.jpg"));
        assert_eq!(std::fs::read(&path).unwrap(), b"a photo");
        assert_eq!(blobs.put(b"a photo").await.unwrap(), name, "the same bytes again: the same name");
        assert_eq!(blobs.get(&name).await.unwrap().as_deref(), Some(&b"a photo"[..]));
        // No temporary file is left beside it.
        let left: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(left.len(), 1);
        assert_eq!(blobs.get(&name_of(b"another")).await.unwrap(), None);
        // A stray file in a shard (not `<name>.jpg`, or in the wrong shard) is not a name.
        std::fs::write(path.parent().unwrap().join("notes.txt"), b"x").unwrap();
        std::fs::create_dir_all(root.join("photos/00")).unwrap();
        std::fs::write(root.join("photos/00").join(format!("{name}.jpg")), b"x").unwrap();
        assert_eq!(blobs.names().await.unwrap(), vec![name.clone()]);
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[tokio::test]
    async fn a_name_is_never_a_path() {
        let blobs = MemoryBlobs::default();
        let dir = DirBlobs { dir: PathBuf::from("/nonexistent") };
        for bad in ["../../etc/passwd", "", &"A".repeat(64), &format!("{}/", "a".repeat(63))] {
            assert!(matches!(blobs.get(bad).await, Err(BlobError::BadName(_))), "{bad}");
            assert!(matches!(dir.get(bad).await, Err(BlobError::BadName(_))), "{bad}");
        }
        let name = blobs.put(b"x").await.unwrap();
        assert_eq!(blobs.get(&name).await.unwrap().as_deref(), Some(&b"x"[..]));
    }
}
