//! The one writer of `applications.status`.
//!
//! Every status change goes through [`apply`]: it asks the domain's state
//! machine ([`transition`]) where the action leads from the status the
//! caller saw, then moves the row only if nobody moved it since (same
//! status, and the same version when the caller read one), so two people
//! acting at once, or a second click, change nothing twice. A decision
//! (approved or rejected) also stamps `decided_at`.
//!
//! Rows are created with their first status by submission
//! (`lending.rs`, `submitted`) and by a drawdown on a granted line
//! (`servicing/lines.rs`, `approved`: the line was the approval). A test
//! below fails if any other source writes the column.

use domain::application::{transition, ApplicationAction, ApplicationStatus};

use crate::ServiceError;

/// The application as the caller last read it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seen<'a> {
    pub id: &'a str,
    pub status: ApplicationStatus,
    /// `None` when the caller holds the row by other means (the flow engine
    /// has already held it at its node in this transaction).
    pub version: Option<i64>,
}

/// Moves the application by `action` in the caller's transaction and returns
/// its new status. [`ServiceError::StaleState`] (shown as "the application
/// changed meanwhile") when the action is not allowed from the status seen
/// or the row changed since it was seen.
pub(crate) async fn apply(
    conn: &mut sqlx::AnyConnection,
    seen: Seen<'_>,
    action: ApplicationAction,
    now: i64,
) -> Result<ApplicationStatus, ServiceError> {
    let to = transition(seen.status, action)?;
    let moved = sqlx::query(
        "UPDATE applications SET status = $2, version = version + 1, updated_at = $3, \
           decided_at = CASE WHEN $4 = 1 THEN $3 ELSE decided_at END \
         WHERE id = $1 AND status = $5 AND version = COALESCE($6, version)",
    )
    .bind(seen.id)
    .bind(to.as_str())
    .bind(now)
    .bind(i64::from(to.is_decided()))
    .bind(seen.status.as_str())
    .bind(seen.version)
    .execute(conn)
    .await?;
    if moved.rows_affected() != 1 {
        return Err(ServiceError::StaleState);
    }
    Ok(to)
}

#[cfg(test)]
mod tests {
    use crate::source_scan::sources;
    use std::path::Path;

    /// The SQL statements in `text` that write `applications.status`: an
    /// `UPDATE applications` whose SET clause names `status`, or an
    /// `INSERT INTO applications` (which always gives a status). Whitespace
    /// and Rust's line continuations are folded first.
    fn status_writes(text: &str) -> Vec<String> {
        let folded: String = text
            .replace("\\\n", " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_ascii_lowercase();
        let mut found = Vec::new();
        for (start, _) in folded.match_indices("update applications set ") {
            let rest = &folded[start..];
            let set = rest.split(" where ").next().unwrap_or(rest);
            let set = &set[..set.len().min(400)];
            let names_status = set.split(',').any(|a| {
                a.trim_start_matches("update applications set ")
                    .trim()
                    .starts_with("status")
            });
            if names_status {
                found.push(set.to_string());
            }
        }
        for (start, _) in folded.match_indices("insert into applications ") {
            let end = (start + 120).min(folded.len());
            found.push(folded[start..end].to_string());
        }
        found
    }

    #[test]
    fn the_scanner_sees_a_status_write_however_it_is_spelt() {
        let spelt = [
            "\"UPDATE applications SET status = $1 WHERE id = $2\"",
            "\"update applications \\\n   set version = version + 1, status=$2 where id = $1\"",
            "\"INSERT INTO applications (id, status) VALUES ($1, $2)\"",
        ];
        for s in spelt {
            assert_eq!(status_writes(s).len(), 1, "{s}");
        }
        let harmless = "\"UPDATE applications SET flow_node = $2 WHERE status = 'submitted'\"";
        assert!(status_writes(harmless).is_empty());
    }

    /// One writer: outside this file, only submission and a drawdown create
    /// an application (each with its one first status); nothing else in the
    /// service, the server or the app writes the column.
    #[test]
    fn nothing_else_writes_an_application_status() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in ["src", "../server/src", "../app/src"] {
            sources(&root.join(dir), &mut files);
        }
        assert!(files.len() > 20, "the sources were not found");
        let creators = [
            Path::new("src/applications/submit.rs"),
            Path::new("src/servicing/lines.rs"),
        ];
        let mut offenders = Vec::new();
        for f in &files {
            let rel = f.strip_prefix(root).unwrap_or(f);
            if rel == Path::new("src/applications/status.rs") {
                continue;
            }
            let text = std::fs::read_to_string(f).unwrap_or_default();
            for w in status_writes(&text) {
                let creation = w.starts_with("insert") && creators.contains(&rel);
                if !creation {
                    offenders.push(format!("{}: {w}", rel.display()));
                }
            }
        }
        for c in creators {
            let text = std::fs::read_to_string(root.join(c)).unwrap_or_default();
            assert_eq!(
                status_writes(&text).len(),
                1,
                "{} creates applications in exactly one statement",
                c.display()
            );
        }
        assert!(
            offenders.is_empty(),
            "only applications/status.rs moves an application's status:\n{}",
            offenders.join("\n")
        );
    }
}
