//! The bureau step of a chunk: reports reused from recent inquiries, one
//! bulk pull for the rest, recorded at once.

use std::collections::HashMap;
use std::time::Instant;

use domain::identity::IdNumber;
use serde_json::json;

use super::read::{Read, Subject};
use super::timings::{millis, Timings};
use crate::audit::{self, NewAuditEntry};
use crate::db::new_id;
use crate::error::ServiceError;
use crate::precredit::{Job, PrecreditOptions};
use crate::risk::bureau::{BulkSubject, BureauReport};
use crate::risk::features::LoanFacts;

/// What a chunk's bureau step found for one customer.
#[derive(Debug, Clone)]
pub(super) enum Report {
    Pulled(BureauReport),
    Cached(BureauReport),
    Failed,
    TimedOut,
    NotAsked,
}

impl Report {
    pub(super) fn source(&self) -> &'static str {
        match self {
            Report::Pulled(_) => "pulled",
            Report::Cached(_) => "cached",
            Report::Failed => "failed",
            Report::TimedOut => "timeout",
            Report::NotAsked => "not_asked",
        }
    }

    pub(super) fn report(&self) -> Option<&BureauReport> {
        match self {
            Report::Pulled(r) | Report::Cached(r) => Some(r),
            _ => None,
        }
    }
}

/// A chunk read and ready to decide.
pub(super) struct Prepared {
    pub(super) subjects: Vec<Subject>,
    pub(super) loans: HashMap<String, LoanFacts>,
    pub(super) open: HashMap<String, i64>,
    pub(super) reports: HashMap<String, Report>,
    /// Reports reused from the customers' own recent inquiries.
    pub(super) cached: usize,
}

impl crate::precredit::Precredit<'_> {
    /// The credit reports of a chunk read: cached, else one bulk pull,
    /// recorded at once in its own transaction (an inquiry made is on file
    /// even if the chunk is never written).
    pub(super) async fn pull(
        self,
        job: &Job,
        read: Read,
        mut t: Timings,
        opts: &PrecreditOptions,
    ) -> Result<(Prepared, Timings), ServiceError> {
        let Read {
            subjects,
            loans,
            open,
            cached,
            authorised,
        } = read;
        let phase = Instant::now();
        let now = self.now();

        // The bureau: cached reports, then one bulk pull for the rest.
        let mut reports: HashMap<String, Report> = HashMap::new();
        let mut asked: Vec<(String, BulkSubject)> = Vec::new();
        for s in &subjects {
            let Some(p) = &s.person else { continue };
            if !job.use_bureau || !authorised.contains(&p.id) {
                // Without the person's signed authorisation the bureau is
                // neither asked nor a report of theirs reused.
                reports.insert(p.id.clone(), Report::NotAsked);
            } else if let Some(r) = cached.get(&p.id) {
                reports.insert(p.id.clone(), Report::Cached(r.clone()));
            } else if let Ok(id_number) = IdNumber::parse(&p.id_number) {
                asked.push((
                    p.id.clone(),
                    BulkSubject {
                        id_number,
                        name: p.name.clone(),
                    },
                ));
            } else {
                reports.insert(p.id.clone(), Report::Failed);
            }
        }
        if !asked.is_empty() {
            let started = Instant::now();
            let bulk: Vec<BulkSubject> = asked.iter().map(|(_, b)| b.clone()).collect();
            let answer =
                tokio::time::timeout(opts.bureau_timeout, self.bureau.inquire_bulk(&bulk)).await;
            let (mut ok, mut failed, mut timed_out) = (0i64, 0i64, 0i64);
            match answer {
                Ok(list) => {
                    let mut list = list.into_iter();
                    for (cid, _) in &asked {
                        let r = match list.next() {
                            Some(Ok(rep)) => {
                                ok += 1;
                                Report::Pulled(rep)
                            }
                            _ => {
                                failed += 1;
                                Report::Failed
                            }
                        };
                        reports.insert(cid.clone(), r);
                    }
                }
                Err(_) => {
                    for (cid, _) in &asked {
                        timed_out += 1;
                        reports.insert(cid.clone(), Report::TimedOut);
                    }
                }
            }
            let pull_id = new_id();
            let mut tx = self.db.pool.begin().await?;
            sqlx::query(
                "INSERT INTO precredit_bureau_pulls (id, job_id, provider, requested_by, \
                   subjects, ok, failed, timed_out, cached, elapsed_ms, requested_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(&pull_id)
            .bind(&job.id)
            .bind(self.bureau.name())
            .bind(&job.created_by)
            .bind(i64::try_from(asked.len()).unwrap_or(0))
            .bind(ok)
            .bind(failed)
            .bind(timed_out)
            .bind(i64::try_from(cached.len()).unwrap_or(0))
            .bind(millis(started.elapsed()))
            .bind(now)
            .execute(&mut *tx)
            .await?;
            audit::append(
                &mut tx,
                &self.config.audit_key,
                NewAuditEntry::system(now, "precredit.bureau_pulled", "precredit_job", &job.id)
                    .after(json!({
                        "pull_id": pull_id, "provider": self.bureau.name(),
                        "requested_by": job.created_by, "subjects": asked.len(),
                        "ok": ok, "failed": failed, "timed_out": timed_out,
                    })),
            )
            .await?;
            tx.commit().await?;
        }
        t.bureau += phase.elapsed();
        Ok((
            Prepared {
                subjects,
                loans,
                open,
                reports,
                cached: cached.len(),
            },
            t,
        ))
    }
}
