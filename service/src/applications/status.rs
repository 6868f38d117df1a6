//! The one writer of `applications.status`.
//!
//! Every status change goes through [`apply`]: it asks the domain's state
//! machine ([`transition`]) where the action leads from the status the
//! caller saw, then moves the row only if nobody moved it since (same
//! status, and the same version when the caller read one), so two people
//! acting at once, or a second click, change nothing twice. A decision
//! (approved or rejected) also stamps `decided_at`.
//!
//! Each change leaves the customer a notice ([`notify`]) in the same
//! transaction: the notices' page shows it, and a sender texts it after
//! the change commits (`notices`).
//!
//! Rows are created with their first status by submission
//! (`lending.rs`, `submitted`) and by a drawdown on a granted line
//! (`servicing/lines.rs`, `approved`: the line was the approval). A test
//! below fails if any other source writes the column.

use domain::application::{transition, ApplicationAction, ApplicationStatus};
use domain::notice::NoticeKind;

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
    .execute(&mut *conn)
    .await?;
    if moved.rows_affected() != 1 {
        return Err(ServiceError::StaleState);
    }
    if to != ApplicationStatus::Submitted {
        free_visit(conn, seen.id, now).await?;
    }
    notify(conn, seen.id, NoticeKind::of_status(to), None, now).await?;
    Ok(to)
}

/// Leaves the application's customer a notice of `kind` (with the visit's
/// time on a visit's), its text message waiting for the sender, in the
/// caller's transaction.
pub(crate) async fn notify(
    conn: &mut sqlx::AnyConnection,
    application_id: &str,
    kind: NoticeKind,
    visit_at: Option<i64>,
    now: i64,
) -> Result<(), ServiceError> {
    sqlx::query(
        "INSERT INTO customer_notices \
           (id, bank_id, customer_id, application_id, kind, visit_at, created_at, sms_status, \
            sms_at) \
         SELECT $1, a.bank_id, a.customer_id, a.id, $3, $5, $4, 'pending', $4 \
         FROM applications a WHERE a.id = $2",
    )
    .bind(crate::db::new_id())
    .bind(application_id)
    .bind(kind.as_str())
    .bind(now)
    .bind(visit_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// An application that no longer waits for its visit (investigated,
/// decided, withdrawn) lets the visit's hour go: a visit still to answer
/// is cancelled and its slot is free again; a confirmed one stands.
async fn free_visit(
    conn: &mut sqlx::AnyConnection,
    application_id: &str,
    now: i64,
) -> Result<(), ServiceError> {
    sqlx::query(
        "UPDATE visit_slots SET visit_id = NULL, version = version + 1 \
         WHERE visit_id IN (SELECT id FROM visits WHERE application_id = $1 \
                              AND status IN ('requested', 'proposed'))",
    )
    .bind(application_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE visits SET status = 'cancelled', updated_at = $2, version = version + 1 \
         WHERE application_id = $1 AND status IN ('requested', 'proposed')",
    )
    .bind(application_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
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

    /// The column lists of the bulk inserts in `text` that name
    /// `applications` as their table: `sql::insert_rows(tx, "applications",
    /// &COLUMNS, …)`, or an entry `("applications", &COLUMNS, rows)` of a
    /// loader's table list (folded and lower-cased like [`status_writes`]).
    fn bulk_writes(text: &str) -> Vec<String> {
        let folded: String = text
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_ascii_lowercase();
        folded
            .match_indices("\"applications\",")
            .filter_map(|(start, m)| folded[start + m.len()..].trim_start().strip_prefix('&'))
            .filter_map(|cols| match cols.strip_prefix('[') {
                // An inline list: one without `status` cannot create an
                // application (the column has no default), like the layer
                // table's `("applications", &["audit", …])`.
                Some(list) => {
                    let list = list.split(']').next().unwrap_or(list);
                    list.contains("\"status\"").then(|| format!("[{list}]"))
                }
                None => Some(
                    cols.chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
                        .collect(),
                ),
            })
            .collect()
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
        let bulk = [
            "sql::insert_rows(&mut tx, \"applications\", &COLUMNS, &rows)",
            "(\n  \"applications\",\n  &rows::APPLICATION_COLUMNS,\n  &buf.applications,\n)",
        ];
        assert_eq!(bulk_writes(bulk[0]), ["columns"]);
        assert_eq!(bulk_writes(bulk[1]), ["rows::application_columns"]);
        assert!(bulk_writes("json!({ \"applications\": 3 })").is_empty());
        assert!(bulk_writes("(\"applications\", &[\"audit\", \"auth\"])").is_empty());
        assert_eq!(
            bulk_writes("insert_rows(tx, \"applications\", &[\"id\", \"status\"], &r)"),
            ["[\"id\", \"status\"]"]
        );
    }

    /// One writer: an application is created only through the row writer
    /// of `applications/rows.rs` (a submission, the demo bank) or by a
    /// drawdown (`servicing/lines.rs`, approved within its line), each with
    /// its one first status; only this file moves a status afterwards, and
    /// nothing else in the service, the server or the app writes the column.
    #[test]
    fn nothing_else_writes_an_application_status() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in ["src", "../server/src", "../app/src"] {
            sources(&root.join(dir), &mut files);
        }
        assert!(files.len() > 20, "the sources were not found");
        let writer = Path::new("src/applications/rows.rs");
        let drawdown = Path::new("src/servicing/lines.rs");
        // The folders whose code builds application rows with the writer.
        let row_builders: Vec<&Path> = files
            .iter()
            .filter(|f| std::fs::read_to_string(f).is_ok_and(|t| t.contains("NewApplicationRow {")))
            .filter_map(|f| f.parent())
            .collect();
        let mut offenders = Vec::new();
        let mut bulk_writers = Vec::new();
        for f in &files {
            let rel = f.strip_prefix(root).unwrap_or(f);
            if rel == Path::new("src/applications/status.rs") {
                continue;
            }
            let text = std::fs::read_to_string(f).unwrap_or_default();
            for w in status_writes(&text) {
                let creation = w.starts_with("insert") && rel == drawdown;
                if !creation {
                    offenders.push(format!("{}: {w}", rel.display()));
                }
            }
            if rel != writer && text.contains("const APPLICATION_COLUMNS") {
                offenders.push(format!(
                    "{}: a second application column list",
                    rel.display()
                ));
            }
            for cols in bulk_writes(&text) {
                // The writer's columns, and rows its module made with the writer.
                let through_writer = cols.ends_with("application_columns")
                    && (rel == writer || f.parent().is_some_and(|d| row_builders.contains(&d)));
                if !through_writer {
                    offenders.push(format!("{}: bulk insert with {cols}", rel.display()));
                }
                bulk_writers.push(rel.to_path_buf());
            }
        }
        let text = std::fs::read_to_string(root.join(drawdown)).unwrap_or_default();
        assert_eq!(
            status_writes(&text).len(),
            1,
            "a drawdown creates its application in exactly one statement"
        );
        let text = std::fs::read_to_string(root.join(writer)).unwrap_or_default();
        assert!(
            text.contains("\"status\","),
            "the row writer sets the first status"
        );
        assert_eq!(
            bulk_writers
                .iter()
                .filter(|f| f.as_path() == writer)
                .count(),
            1,
            "the row writer inserts in exactly one statement"
        );
        assert!(
            bulk_writers.iter().any(|f| f.starts_with("src/demo")),
            "the scanner no longer sees the demo bank's bulk insert"
        );
        assert!(
            offenders.is_empty(),
            "only applications/rows.rs creates an application and only \
             applications/status.rs moves its status:\n{}",
            offenders.join("\n")
        );
    }
}
