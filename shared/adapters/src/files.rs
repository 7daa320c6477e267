//! Where generated files (the daily reports) are kept: an S3 bucket of the stack on AWS, a
//! folder of the data dir locally.

use crate::s3::{Bucket, S3Error};
use async_trait::async_trait;
use hospital_core::automation::notify::Files;
use hospital_core::error::{DomainError, DomainResult};
use hospital_core::store::StoreError;
use std::path::PathBuf;

fn unavailable(e: impl std::fmt::Display) -> DomainError {
    DomainError::Store(StoreError::Unavailable(e.to_string()))
}

/// Keys are relative paths (`reports/2026-03-02/report.pdf`); nothing may climb out.
fn safe(key: &str) -> DomainResult<&str> {
    if key.is_empty() || key.starts_with('/') || key.split('/').any(|p| p == ".." || p.is_empty()) {
        return Err(DomainError::invalid("key", "not a file key"));
    }
    Ok(key)
}

/// The reports bucket of the stack.
#[derive(Debug, Clone)]
pub struct S3Files {
    bucket: Bucket,
}

impl S3Files {
    /// The bucket `name`, with the configuration's region, credentials and endpoint.
    pub fn new(sdk: &aws_config::SdkConfig, name: &str) -> Result<Self, String> {
        Ok(Self {
            bucket: Bucket::new(sdk, name)?,
        })
    }
}

#[async_trait]
impl Files for S3Files {
    async fn put(&self, key: &str, content_type: &str, bytes: Vec<u8>) -> DomainResult<()> {
        self.bucket
            .put(safe(key)?, content_type, bytes)
            .await
            .map_err(unavailable)
    }

    async fn get(&self, key: &str) -> DomainResult<Option<Vec<u8>>> {
        match self.bucket.get(safe(key)?).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(S3Error::NotFound) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }
}

#[derive(Debug, Clone)]
pub struct LocalFiles {
    dir: PathBuf,
}

impl LocalFiles {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }
}

#[async_trait]
impl Files for LocalFiles {
    async fn put(&self, key: &str, _content_type: &str, bytes: Vec<u8>) -> DomainResult<()> {
        let path = self.dir.join(safe(key)?);
        tokio::task::spawn_blocking(move || {
            if let Some(d) = path.parent() {
                std::fs::create_dir_all(d)?;
            }
            std::fs::write(path, bytes)
        })
        .await
        .map_err(unavailable)?
        .map_err(unavailable)
    }

    async fn get(&self, key: &str) -> DomainResult<Option<Vec<u8>>> {
        let path = self.dir.join(safe(key)?);
        tokio::task::spawn_blocking(move || match std::fs::read(path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(unavailable(e)),
        })
        .await
        .map_err(unavailable)?
    }
}
