//! The audit log's signed checkpoints outside the database.
//!
//! Someone able to write to the database could rewrite entries, recompute
//! the chain and delete the stored checkpoints. A copy of the checkpoints
//! kept elsewhere still proves what the log said: `serve` (every minute) and
//! `eod` (after the batch) append each new checkpoint, one JSON line, to the
//! file `PUHUI_AUDIT_CHECKPOINT_FILE` names (a volume another machine backs
//! up, or that a log shipper forwards); `puhui audit-checkpoints` prints
//! them for an auditor; `puhui verify-audit --against FILE` checks the log
//! against such a copy.

use anyhow::{bail, Context};
use service::audit::checkpoints::{self, Checkpoint};
use service::Services;
use std::io::{BufRead, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The environment variable naming the file checkpoints are shipped to.
pub const CHECKPOINT_FILE_ENV: &str = "PUHUI_AUDIT_CHECKPOINT_FILE";

/// The longest line a checkpoint file may hold (a checkpoint is ~300 bytes).
const MAX_LINE: usize = 4096;

/// The file checkpoints are shipped to, when configured.
pub fn checkpoint_file() -> Option<PathBuf> {
    std::env::var_os(CHECKPOINT_FILE_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Appends to `path` the checkpoints it does not hold yet (those after its
/// last line's), and syncs it; returns how many. Idempotent, so a failed
/// write is made good at the next call.
pub async fn ship(services: &Services, path: &Path) -> anyhow::Result<usize> {
    let last = last_seq(path)?;
    let new = checkpoints::after(&services.db, last)
        .await
        .map_err(|e| anyhow::anyhow!("reading checkpoints: {e}"))?;
    if new.is_empty() {
        return Ok(0);
    }
    let mut lines = String::new();
    for c in &new {
        lines.push_str(&serde_json::to_string(c)?);
        lines.push('\n');
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    f.write_all(lines.as_bytes())?;
    f.sync_data()?;
    Ok(new.len())
}

/// Ships when a file is configured; logs what happened. For the server's
/// clock and the end-of-day command.
pub async fn ship_if_configured(services: &Services) {
    let Some(path) = checkpoint_file() else {
        return;
    };
    match ship(services, &path).await {
        Ok(0) => {}
        Ok(n) => {
            tracing::info!(checkpoints = n, file = %path.display(), "audit checkpoints shipped")
        }
        Err(err) => {
            tracing::error!(%err, file = %path.display(), "could not ship audit checkpoints")
        }
    }
}

/// The sequence number of the file's last checkpoint; 0 when there is no
/// file yet. Reads only the file's tail.
fn last_seq(path: &Path) -> anyhow::Result<i64> {
    let mut f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e).with_context(|| format!("opening {}", path.display())),
    };
    let len = f.metadata()?.len();
    let from = len.saturating_sub(MAX_LINE as u64);
    f.seek(SeekFrom::Start(from))?;
    let mut tail = String::new();
    f.read_to_string(&mut tail)
        .with_context(|| format!("{} is not text", path.display()))?;
    let Some(line) = tail.lines().rev().find(|l| !l.trim().is_empty()) else {
        return Ok(0);
    };
    let c: Checkpoint = serde_json::from_str(line).with_context(|| {
        format!(
            "the last line of {} is not a checkpoint; nothing appended",
            path.display()
        )
    })?;
    Ok(c.seq)
}

/// Every checkpoint of a kept copy, in order; refuses a line that is too
/// long or not a checkpoint.
pub fn read_kept(path: &Path) -> anyhow::Result<Vec<Checkpoint>> {
    let f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut out = Vec::new();
    let mut reader = std::io::BufReader::new(f);
    let mut line = String::new();
    let mut n = 0usize;
    loop {
        line.clear();
        let read = reader
            .by_ref()
            .take(MAX_LINE as u64 + 1)
            .read_line(&mut line)?;
        if read == 0 {
            break;
        }
        n += 1;
        if line.len() > MAX_LINE {
            bail!(
                "line {n} of {} is too long for a checkpoint",
                path.display()
            );
        }
        if line.trim().is_empty() {
            continue;
        }
        out.push(
            serde_json::from_str(line.trim())
                .with_context(|| format!("line {n} of {} is not a checkpoint", path.display()))?,
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cp(seq: i64) -> Checkpoint {
        Checkpoint {
            seq,
            hash: "ab".repeat(32),
            at: 1,
            public_key: "cd".repeat(32),
            signature: "ef".repeat(64),
        }
    }

    #[test]
    fn the_file_is_read_back_and_its_last_line_found() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("checkpoints.jsonl");
        assert_eq!(last_seq(&path).unwrap(), 0);
        let text: String = [cp(3), cp(9)]
            .iter()
            .map(|c| serde_json::to_string(c).unwrap() + "\n")
            .collect();
        std::fs::write(&path, format!("{text}\n")).unwrap();
        assert_eq!(last_seq(&path).unwrap(), 9);
        assert_eq!(read_kept(&path).unwrap(), vec![cp(3), cp(9)]);
        std::fs::write(&path, "not json\n").unwrap();
        assert!(last_seq(&path).is_err() && read_kept(&path).is_err());
        std::fs::write(&path, "x".repeat(MAX_LINE * 2)).unwrap();
        assert!(read_kept(&path).is_err());
    }
}
