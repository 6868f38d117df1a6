//! Committing a chunk: deciding its subjects, then in one transaction the
//! guarded cursor move, the result rows and the audit entry.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use serde_json::json;

use super::bureau::{Prepared, Report};
use super::decide::{decide_one, RESULT_COLUMNS};
use super::read::ProductFacts;
use super::timings::{Counts, Timings};
use super::PRECREDIT_STAGE;
use crate::audit::{self, NewAuditEntry};
use crate::error::ServiceError;
use crate::precredit::Job;
use crate::risk::decisions::LiveStrategy;
use crate::sql::{self, Val};

impl crate::precredit::Precredit<'_> {
    /// Decides a prepared chunk and commits it; returns how many subjects,
    /// the outcome counts and what a user asked of the runner.
    pub(super) async fn commit_chunk(
        self,
        job: &Job,
        runner: &str,
        cursor: &str,
        prepared: Prepared,
        products: &HashMap<String, ProductFacts>,
        t: &mut Timings,
    ) -> Result<(u64, Counts, Option<String>), ServiceError> {
        let now = self.now();
        let today = self.today();
        // The live version of each product, looked up per chunk so that a
        // version published during a long job is used from the next chunk.
        let mut live: HashMap<String, Option<Arc<LiveStrategy>>> = HashMap::new();
        for p in products.values() {
            live.insert(
                p.id.clone(),
                self.risk().live_strategy(&p.id, PRECREDIT_STAGE).await?,
            );
        }
        let phase = Instant::now();
        let Prepared {
            subjects,
            loans,
            open,
            reports,
            cached,
        } = prepared;
        let mut rows: Vec<Vec<Val>> = Vec::with_capacity(subjects.len());
        let mut counts = Counts::default();
        let mut versions: HashMap<String, i64> = HashMap::new();
        for s in &subjects {
            let row = decide_one(job, s, products, &live, &reports, &loans, &open, today, now)?;
            counts.add(match &row[9] {
                Val::Text(t) => t.as_str(),
                _ => "",
            });
            if let (Val::Text(id), Val::Int(v)) = (&row[7], &row[8]) {
                versions.insert(id.clone(), *v);
            }
            rows.push(row);
        }
        let last = subjects
            .last()
            .map(|s| s.key.clone())
            .unwrap_or_else(|| cursor.to_string());
        let n = i64::try_from(subjects.len()).unwrap_or(0);
        let pulled = reports
            .values()
            .filter(|r| matches!(r, Report::Pulled(_)))
            .count();
        t.decide += phase.elapsed();
        let phase = Instant::now();

        let mut tx = self.db.pool.begin().await?;
        // The guarded move first: only this runner, only from the cursor it read.
        let moved = sqlx::query(
            "UPDATE precredit_jobs SET cursor = $1, done = done + $2, approved = approved + $3, \
               referred = referred + $4, rejected = rejected + $5, skipped = skipped + $6, \
               heartbeat_at = $7, updated_at = $7 \
             WHERE id = $8 AND runner = $9 AND status = 'running' AND cursor = $10 \
             RETURNING requested",
        )
        .bind(&last)
        .bind(n)
        .bind(counts.approved)
        .bind(counts.referred)
        .bind(counts.rejected)
        .bind(counts.skipped)
        .bind(now)
        .bind(&job.id)
        .bind(runner)
        .bind(cursor)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(moved) = moved else {
            return Err(ServiceError::StaleState);
        };
        let requested = sql::opt_text(&moved, "requested")?;
        sql::insert_rows_owned(&mut tx, "precredit_results", &RESULT_COLUMNS, rows).await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::system(now, "precredit.chunk_committed", "precredit_job", &job.id)
                .after(json!({
                    "from": cursor, "to": last, "subjects": n,
                    "approved": counts.approved, "referred": counts.referred,
                    "rejected": counts.rejected, "skipped": counts.skipped,
                    "rule_sets": versions, "bureau_pulled": pulled, "bureau_cached": cached,
                })),
        )
        .await?;
        tx.commit().await?;
        t.write += phase.elapsed();
        Ok((u64::try_from(n).unwrap_or(0), counts, requested))
    }
}
