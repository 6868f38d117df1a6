//! `puhui verify-contract FILE`: whether an exported contract file (see
//! `service::contracts::verify`) is, byte for byte, a contract this bank
//! sealed. Prints the verification as JSON; the caller exits 1 when it is
//! not valid.

use std::path::Path;

use anyhow::Context;
use service::Services;

/// Checks the file and prints what was found; `true` when it is valid.
pub async fn verify(services: &Services, path: &Path) -> anyhow::Result<bool> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let v = services.contracts().verify_contract_file(&bytes).await?;
    println!("{}", serde_json::to_string_pretty(&v)?);
    Ok(v.valid)
}
