//! The size of each release Lambda binary: what Lambda downloads and maps at a cold start.

use std::path::{Path, PathBuf};

/// The Lambda binaries of `functions/` (template.yaml deploys each; the goal applies to them).
pub const FUNCTION_BINARIES: [&str; 4] = [
    "hospital",
    "hospital-automation",
    "hospital-mail",
    "hospital-reports",
];

/// The goal for a function binary.
pub const GOAL_BYTES: u64 = 12 * 1024 * 1024;

pub struct BinarySize {
    pub name: &'static str,
    pub path: PathBuf,
    /// None when the file is missing.
    pub bytes: Option<u64>,
}

pub fn measure(bin_dir: &Path) -> Vec<BinarySize> {
    FUNCTION_BINARIES
        .iter()
        .map(|name| {
            let path = bin_dir.join(name);
            let bytes = std::fs::metadata(&path).ok().map(|m| m.len());
            BinarySize { name, path, bytes }
        })
        .collect()
}
