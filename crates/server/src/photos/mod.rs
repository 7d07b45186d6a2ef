//! Photos (issue 15): what an upload becomes before anything keeps it.
//!
//! `sanitize` decodes an upload within limits (bytes, width, height, pixels and memory, so a
//! decompression bomb is refused from its header before it is expanded), turns it upright by its
//! orientation tag, and re-encodes it as a new JPEG from the pixels alone: no metadata of the
//! original survives (GPS position, camera, times, comments, thumbnails), because none is copied.
//! A small thumbnail is made the same way. The content hash names the stored file, which
//! `blobs` keeps outside the database: in a directory (`DirBlobs`, by default beside the SQLite
//! file) or in an S3-compatible bucket (`s3::S3Blobs`), chosen by configuration.

pub mod blobs;
pub mod measure;
pub mod s3;
mod s3_http;
pub mod sanitize;

pub use blobs::{BlobError, DirBlobs, MemoryBlobs, PhotoBlobs};
pub use s3::{S3Blobs, S3Config};
pub use sanitize::{CleanPhoto, PhotoError, PhotoLimits, sanitize};
