//! Uploaded files: one storage interface ([`UploadStore`]) for their bytes,
//! with the filesystem as the default ([`FsUploadStore`]) and an object
//! store possible behind the same four calls; the `uploads` table for what
//! each one is and whose.
//!
//! An image is taken by its bytes, never its name or declared type: at most
//! [`MAX_UPLOAD_BYTES`], a JPEG, PNG or WebP by its magic bytes, and kept
//! without its metadata (EXIF with the place a photo was taken:
//! [`domain::image::strip_metadata`]). What is stored is sealed with the
//! personal-information keys ([`crate::pfi`], field `upload`): an ID card
//! or a face is personal information at rest. Nothing here serves a file;
//! each owner's use case reads it for those entitled.

use std::path::PathBuf;

use async_trait::async_trait;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use sqlx::{Any, Transaction};

use domain::error_code::ErrorCode;

use crate::error::ServiceError;
use crate::pfi::{Field, PfiKeys};

/// The largest upload read, in bytes (the browser scales photos down to
/// well under this; a phone's full-size photo sent without JavaScript fits).
pub const MAX_UPLOAD_BYTES: usize = 4 * 1024 * 1024;

/// Where uploads' bytes live. Keys are upload ids (UUIDs).
#[async_trait]
pub trait UploadStore: Send + Sync {
    /// "fs", "s3", …: for the health page and the logs.
    fn name(&self) -> &'static str;
    async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), ServiceError>;
    async fn get(&self, key: &str) -> Result<Vec<u8>, ServiceError>;
    async fn delete(&self, key: &str) -> Result<(), ServiceError>;
}

/// Uploads as files under one folder, two levels of fan-out by the key's
/// last characters; written to a temporary name and renamed, so a reader
/// never sees half a file.
pub struct FsUploadStore {
    root: PathBuf,
}

impl FsUploadStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        FsUploadStore { root: root.into() }
    }

    fn path(&self, key: &str) -> Result<PathBuf, ServiceError> {
        // Keys are ours (UUIDs), never a user's: anything else is a bug,
        // refused before it can name a path outside the folder.
        if key.len() < 8 || !key.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
            return Err(ServiceError::internal("upload key", key.to_string()));
        }
        let n = key.len();
        Ok(self
            .root
            .join(&key[n - 2..])
            .join(&key[n - 4..n - 2])
            .join(key))
    }
}

#[async_trait]
impl UploadStore for FsUploadStore {
    fn name(&self) -> &'static str {
        "fs"
    }

    async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), ServiceError> {
        let path = self.path(key)?;
        let io = |e: std::io::Error| ServiceError::internal("upload store", e);
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(io)?;
        }
        let tmp = path.with_extension("part");
        tokio::fs::write(&tmp, bytes).await.map_err(io)?;
        tokio::fs::rename(&tmp, &path).await.map_err(io)
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, ServiceError> {
        match tokio::fs::read(self.path(key)?).await {
            Ok(b) => Ok(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ServiceError::NotFound),
            Err(e) => Err(ServiceError::internal("upload store", e)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), ServiceError> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(ServiceError::internal("upload store", e)),
        }
    }
}

/// An image as received, checked: its type and its bytes without metadata.
pub struct CheckedImage {
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
    pub sha256: String,
}

/// Checks an uploaded image: at most [`MAX_UPLOAD_BYTES`]
/// (`upload_too_large`), a JPEG, PNG or WebP by its bytes whose structure
/// holds (`upload_not_image`); returns it without its metadata.
pub fn check_image(bytes: &[u8]) -> Result<CheckedImage, ServiceError> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(too_large());
    }
    let not_image = || ServiceError::invalid(ErrorCode::UploadNotImage);
    let content_type = domain::image::sniff(bytes).ok_or_else(not_image)?;
    let bytes = domain::image::strip_metadata(bytes).ok_or_else(not_image)?;
    let sha256 = hex::encode(Sha256::digest(&bytes));
    Ok(CheckedImage {
        content_type,
        bytes,
        sha256,
    })
}

fn too_large() -> ServiceError {
    ServiceError::Validation {
        code: ErrorCode::UploadTooLarge,
        params: vec![("max_mb", (MAX_UPLOAD_BYTES / (1024 * 1024)).to_string())],
    }
}

/// Decodes an upload sent as base64 text, refusing text longer than
/// [`MAX_UPLOAD_BYTES`] could encode before decoding it.
pub fn decode_base64(text: &str) -> Result<Vec<u8>, ServiceError> {
    if text.len() > MAX_UPLOAD_BYTES / 3 * 4 + 8 {
        return Err(too_large());
    }
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| ServiceError::invalid(ErrorCode::UploadNotImage))
}

/// Whose an upload is and what it shows.
pub struct UploadRecord<'a> {
    pub id: &'a str,
    pub bank_id: &'a str,
    pub owner_kind: &'a str,
    pub owner_id: &'a str,
    pub kind: &'a str,
    pub created_at: i64,
}

/// Seals and stores the image's bytes, then records it in the caller's
/// transaction. The bytes are written first: a failed transaction leaves
/// an unreferenced file (removed on the next sweep), never a record
/// without its file.
pub async fn store(
    tx: &mut Transaction<'_, Any>,
    store: &dyn UploadStore,
    keys: &PfiKeys,
    record: &UploadRecord<'_>,
    image: &CheckedImage,
) -> Result<(), ServiceError> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(&image.bytes);
    store
        .put(record.id, keys.seal(Field::Upload, &b64).as_bytes())
        .await?;
    sqlx::query(
        "INSERT INTO uploads (id, bank_id, owner_kind, owner_id, kind, content_type, size_bytes, \
           sha256, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(record.id)
    .bind(record.bank_id)
    .bind(record.owner_kind)
    .bind(record.owner_id)
    .bind(record.kind)
    .bind(image.content_type)
    .bind(i64::try_from(image.bytes.len()).unwrap_or(i64::MAX))
    .bind(&image.sha256)
    .bind(record.created_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// An upload's bytes, opened.
pub async fn load(
    store: &dyn UploadStore,
    keys: &PfiKeys,
    id: &str,
) -> Result<Vec<u8>, ServiceError> {
    let sealed = store.get(id).await?;
    let sealed =
        String::from_utf8(sealed).map_err(|e| ServiceError::internal("upload bytes", e))?;
    let b64 = keys.open(Field::Upload, &sealed)?;
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| ServiceError::internal("upload bytes", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_filesystem_store_keeps_and_forgets_by_key() {
        let dir = std::env::temp_dir().join(format!("puhui-uploads-{}", crate::db::new_id()));
        let s = FsUploadStore::new(&dir);
        let key = crate::db::new_id();
        s.put(&key, b"sealed").await.unwrap();
        assert_eq!(s.get(&key).await.unwrap(), b"sealed");
        s.delete(&key).await.unwrap();
        assert!(matches!(s.get(&key).await, Err(ServiceError::NotFound)));
        assert!(s.put("../../etc/passwd", b"x").await.is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
