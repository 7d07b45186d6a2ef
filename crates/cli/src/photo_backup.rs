//! Photos in `backup` and `restore`: a backup is complete offline, so the photos go with the
//! database, whatever keeps them live (a directory or an S3 bucket).
//!
//! A backup `FILE` gets a sibling directory `FILE.photos/` in the directory store's layout
//! (`ab/<sha256>.jpg`). Photos are content-addressed and never rewritten, so the copy takes only
//! the names the target does not have yet, and checks each photo's bytes against its name
//! before writing it (a damaged photo is reported, never copied under its name). The backup
//! copies the database first, then the photos: every photo the copied database names was kept
//! before its record was written, so it is in the store by then. Restore puts the photos back
//! into the configured store the same way, before it replaces the database.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use needlepath_server::photos::blobs::name_of;
use needlepath_server::photos::{DirBlobs, PhotoBlobs, S3Blobs};

use crate::config::{Config, PhotoStore};

/// Photos read and written at once (an S3 store answers each request in tens of
/// milliseconds; a few in flight keep a large backup from taking hours).
const IN_FLIGHT: usize = 8;

/// `FILE.photos`, beside the backup file.
pub fn sibling(file: &Path) -> PathBuf {
    let mut name = OsString::from(file.as_os_str());
    name.push(".photos");
    PathBuf::from(name)
}

/// The configured photo store. `checked`: made ready and proven usable now (a directory is
/// created and written to; a bucket gets a probe object written and read back), as `serve`
/// and `restore` need; otherwise only opened for reading, as `backup` needs (which must not
/// create a directory or need write access to a bucket).
pub async fn configured(config: &Config, checked: bool) -> anyhow::Result<Arc<dyn PhotoBlobs>> {
    Ok(match config.photo_store()? {
        PhotoStore::Dir(dir) if checked => Arc::new(
            DirBlobs::open(&dir).with_context(|| format!("cannot keep photos in {} (photos_dir)", dir.display()))?,
        ),
        PhotoStore::Dir(dir) => Arc::new(DirBlobs::new(dir)),
        PhotoStore::S3(s3) if checked => Arc::new(S3Blobs::open(&s3).await.with_context(|| {
            format!(
                "cannot keep photos in {} (photos_store: the bucket must exist, and the credentials must allow \
                     writing and reading in it)",
                s3.url()
            )
        })?),
        PhotoStore::S3(s3) => Arc::new(
            S3Blobs::new(&s3).with_context(|| format!("cannot reach the photos in {} (photos_store)", s3.url()))?,
        ),
    })
}

/// What a copy did.
#[derive(Debug, Default)]
pub struct Copied {
    /// Photos written to the target.
    pub copied: usize,
    /// Photos the target had already.
    pub present: usize,
}

/// Copies every photo of `from` that `to` lacks, checking each against its name. A photo
/// that cannot be read or whose bytes do not match its name is left out and reported after
/// the others are copied.
pub async fn copy(from: Arc<dyn PhotoBlobs>, to: Arc<dyn PhotoBlobs>) -> anyhow::Result<Copied> {
    let names = from.names().await.with_context(|| format!("cannot list the photos in {}", from.describe()))?;
    let have: BTreeSet<String> =
        to.names().await.with_context(|| format!("cannot list the photos in {}", to.describe()))?.into_iter().collect();
    let mut done = Copied { present: names.iter().filter(|n| have.contains(*n)).count(), ..Copied::default() };
    let mut missing = names.into_iter().filter(|n| !have.contains(n));
    let mut tasks = tokio::task::JoinSet::new();
    let mut damaged = Vec::new();
    loop {
        while tasks.len() < IN_FLIGHT {
            let Some(name) = missing.next() else { break };
            let (from, to) = (from.clone(), to.clone());
            tasks.spawn(async move {
                let outcome = copy_one(&*from, &*to, &name).await;
                (name, outcome)
            });
        }
        let Some(joined) = tasks.join_next().await else { break };
        let (name, outcome) = joined.context("a photo copy stopped")?;
        match outcome {
            Ok(()) => done.copied += 1,
            Err(why) => damaged.push(format!("{name} ({why})")),
        }
    }
    if !damaged.is_empty() {
        let shown: Vec<&str> = damaged.iter().take(10).map(String::as_str).collect();
        bail!(
            "{} of the photos in {} could not be copied to {}: {}{}",
            damaged.len(),
            from.describe(),
            to.describe(),
            shown.join("; "),
            if damaged.len() > shown.len() { "; …" } else { "" }
        );
    }
    Ok(done)
}

async fn copy_one(from: &dyn PhotoBlobs, to: &dyn PhotoBlobs, name: &str) -> Result<(), String> {
    let bytes = from.get(name).await.map_err(|e| e.to_string())?.ok_or("listed, but not there when read")?;
    if name_of(&bytes) != name {
        return Err("its bytes do not match its SHA-256: damaged".into());
    }
    to.put(&bytes).await.map_err(|e| e.to_string())?;
    Ok(())
}

/// `backup`'s photo half: the configured store's photos into `FILE.photos/`. One line of
/// report.
pub async fn back_up(config: &Config, file: &Path) -> anyhow::Result<String> {
    let from = configured(config, false).await?;
    let dir = sibling(file);
    let to: Arc<dyn PhotoBlobs> = Arc::new(
        DirBlobs::open(&dir).with_context(|| format!("cannot write the photos' backup into {}", dir.display()))?,
    );
    let done = copy(from.clone(), to).await.context("the photos' backup is incomplete")?;
    Ok(format!(
        "backed up photos from {} to {}: {} copied, {} there already\n",
        from.describe(),
        dir.display(),
        done.copied,
        done.present
    ))
}

/// `restore`'s photo half: the photos in `FILE.photos/` back into the configured store (it
/// is made ready first). One line of report.
pub async fn restore(config: &Config, file: &Path) -> anyhow::Result<String> {
    let dir = sibling(file);
    if !dir.is_dir() {
        return Ok(format!(
            "no photos beside the backup ({} does not exist): the photo store was left as it is\n",
            dir.display()
        ));
    }
    let from: Arc<dyn PhotoBlobs> = Arc::new(DirBlobs::new(&dir));
    let to = configured(config, true).await?;
    let done =
        copy(from, to.clone()).await.context("the photos were not all restored; the database was not replaced")?;
    Ok(format!(
        "restored photos from {} to {}: {} copied, {} there already\n",
        dir.display(),
        to.describe(),
        done.copied,
        done.present
    ))
}
