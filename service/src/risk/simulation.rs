//! Simulation (仿真回测) of a rule-set version — typically a draft before it
//! is submitted — on past applications: each application's latest stored
//! decision at the version's stage is replayed with the feature values that
//! decision read (as stored with it; the ID number, stored masked, is read
//! again from the customer), through the version and the system rules, and
//! compared with what was decided then: outcomes flipped, limits and rates
//! moved, reasons changed, and how often each rule fired under each.
//!
//! Replaying the stored inputs, rather than recomputing features from
//! today's data, isolates the rule change: the same facts, other rules. A
//! feature the catalogue gained since is missing in the replay.

use std::collections::{BTreeMap, HashMap};

use domain::money::Fen;
use domain::rules::reasons::staff_reasons;
use domain::rules::rule::Verdict;
use domain::rules::schema::{Features, Value};
use domain::rules::strategy::{Strategy, StrategyDef};
use domain::rules::trace::{Event, Trace};
pub use domain::view::{
    DecisionBrief, OutcomeFlip, RuleHitCount, RuleSetSample, RuleSetTrial, SimulationDiff,
    SimulationReport,
};
use domain::view::{DecisionView, FeatureValue};
use sqlx::any::AnyRow;
use sqlx::AssertSqlSafe;

use super::decisions::{decide_with, trace_lines};
use super::features;
use crate::auth::StaffActor;
use crate::customers;
use crate::error::ServiceError;
use crate::pfi::PfiKeys;
use crate::sql;

/// The most past applications one simulation replays.
pub const MAX_APPLICATIONS: u32 = 5000;

fn parse_verdict(raw: &str) -> Result<Verdict, ServiceError> {
    match raw {
        "approve" => Ok(Verdict::Approve),
        "refer" => Ok(Verdict::Refer),
        "reject" => Ok(Verdict::Reject),
        other => Err(ServiceError::internal("decision outcome", other)),
    }
}

fn from_json<T: serde::de::DeserializeOwned>(what: &str, raw: &str) -> Result<T, ServiceError> {
    serde_json::from_str(raw).map_err(|e| ServiceError::internal(what, e))
}

/// The fired rules of a trace, with their names.
fn fired(t: &Trace) -> Vec<(String, String, String)> {
    t.entries
        .iter()
        .filter_map(|e| match &e.event {
            Event::RuleFired { rule, .. } => {
                Some((rule.id.clone(), rule.name_zh.clone(), rule.name_en.clone()))
            }
            _ => None,
        })
        .collect()
}

/// The stored decisions with their application and customer, for replays.
const SAMPLE_SELECT: &str = "SELECT d.id, d.application_id, d.rule_set_version, d.outcome, \
     d.limit_fen, d.rate_bp, d.reason_codes, d.features, d.trace, d.created_at, \
     c.name AS customer_name, c.id_number_sealed, a.amount_fen \
     FROM decisions d JOIN applications a ON a.id = d.application_id \
     JOIN customers c ON c.id = a.customer_id";

/// The inputs as the stored decision read them; the ID number, stored
/// masked, read again from the customer. A value that no longer fits its
/// feature stays missing.
fn replayed_features(keys: &PfiKeys, r: &AnyRow) -> Result<Features, ServiceError> {
    let schema = features::schema();
    let stored: Vec<FeatureValue> = from_json("decision features", &sql::text(r, "features")?)?;
    let mut f = schema.record();
    for v in stored {
        if let Some(slot) = schema.slot(&v.name) {
            let _ = f.set_slot(slot, v.value);
        }
    }
    if let Some(slot) = schema.slot("id_number") {
        let _ = f.set_slot(slot, Value::Text(customers::id_number_of(keys, r)?));
    }
    Ok(f)
}

/// What the stored decision decided.
fn stored_brief(r: &AnyRow) -> Result<DecisionBrief, ServiceError> {
    Ok(DecisionBrief {
        outcome: parse_verdict(&sql::text(r, "outcome")?)?,
        limit: sql::opt_int(r, "limit_fen")?.map(Fen),
        rate_bp: sql::opt_int(r, "rate_bp")?.and_then(|v| u32::try_from(v).ok()),
        reason_codes: from_json("decision reasons", &sql::text(r, "reason_codes")?)?,
    })
}

impl crate::risk::Risk<'_> {
    /// The newest stored decisions of the version's product at its stage,
    /// enough of them (an application may have several) to find the latest
    /// of `n` applications.
    async fn latest_decisions(
        self,
        detail: &domain::view::RuleSetDetail,
        n: i64,
    ) -> Result<Vec<AnyRow>, ServiceError> {
        let sql = format!(
            "{SAMPLE_SELECT} WHERE a.product_id = $1 AND d.stage = $2 \
             ORDER BY d.created_at DESC, d.id DESC LIMIT $3"
        );
        Ok(sqlx::query(AssertSqlSafe(sql))
            .bind(detail.summary.product_id.as_str())
            .bind(detail.summary.stage.as_str())
            .bind(n * 3)
            .fetch_all(&self.db.pool)
            .await?)
    }

    /// Replays rule-set version `rule_set_id` on the last `last_n`
    /// applications of its product that have a decision at its stage (at
    /// most [`MAX_APPLICATIONS`]) and reports what would change. Risk
    /// managers and administrators, in the rule set's bank.
    pub async fn simulate_rule_set(
        self,
        s: &StaffActor,
        rule_set_id: &str,
        last_n: u32,
    ) -> Result<SimulationReport, ServiceError> {
        let detail = self.rule_set(s, rule_set_id).await?;
        let def: &StrategyDef = &detail.definition;
        let strategy = Strategy::compile(def, features::schema())
            .map_err(|e| ServiceError::invalid(e.code()))?;
        let n = last_n.clamp(1, MAX_APPLICATIONS);
        let rows = self.latest_decisions(&detail, i64::from(n)).await?;

        let mut seen = std::collections::HashSet::new();
        let mut report = SimulationReport {
            rule_set_id: rule_set_id.to_string(),
            version: detail.summary.version,
            stage: detail.summary.stage,
            product_code: detail.summary.product_code.clone(),
            applications: 0,
            changed: 0,
            flips: Vec::new(),
            limits_up: 0,
            limits_down: 0,
            limit_change: Fen::ZERO,
            rates_up: 0,
            rates_down: 0,
            rule_hits: Vec::new(),
            diffs: Vec::new(),
        };
        let mut flips: BTreeMap<(Verdict, Verdict), i64> = BTreeMap::new();
        // rule id -> (name zh, name en, simulated, baseline)
        let mut hits: HashMap<String, (String, String, i64, i64)> = HashMap::new();
        for r in &rows {
            let application_id = sql::text(r, "application_id")?;
            if !seen.insert(application_id.clone()) {
                continue;
            }
            if seen.len() > usize::try_from(n).unwrap_or(usize::MAX) {
                break;
            }
            let f = replayed_features(&self.config.pfi, r)?;
            let after = decide_with(Some(&strategy), &f);
            let baseline_trace: Trace = from_json("decision trace", &sql::text(r, "trace")?)?;
            for (id, zh, en) in fired(&after.trace) {
                hits.entry(id).or_insert((zh, en, 0, 0)).2 += 1;
            }
            for (id, zh, en) in fired(&baseline_trace) {
                hits.entry(id).or_insert((zh, en, 0, 0)).3 += 1;
            }
            let before = stored_brief(r)?;
            let after = DecisionBrief {
                outcome: after.outcome,
                limit: after.limit,
                rate_bp: after.rate_bp,
                reason_codes: after.reason_codes,
            };
            report.applications += 1;
            if before.outcome != after.outcome {
                *flips.entry((before.outcome, after.outcome)).or_insert(0) += 1;
            }
            if let (Some(b), Some(a)) = (before.limit, after.limit) {
                if a > b {
                    report.limits_up += 1;
                } else if a < b {
                    report.limits_down += 1;
                }
                report.limit_change += a - b;
            }
            if let (Some(b), Some(a)) = (before.rate_bp, after.rate_bp) {
                if a > b {
                    report.rates_up += 1;
                } else if a < b {
                    report.rates_down += 1;
                }
            }
            if before != after {
                report.changed += 1;
                report.diffs.push(SimulationDiff {
                    application_id: application_id.into(),
                    customer_name: domain::identity::mask_name(&sql::text(r, "customer_name")?),
                    decided_at: sql::int(r, "created_at")?,
                    baseline_version: sql::opt_int(r, "rule_set_version")?,
                    before,
                    after,
                });
            }
        }
        report.flips = flips
            .into_iter()
            .map(|((from, to), count)| OutcomeFlip { from, to, count })
            .collect();
        let mut rule_hits: Vec<RuleHitCount> = hits
            .into_iter()
            .map(
                |(rule_id, (name_zh, name_en, simulated, baseline))| RuleHitCount {
                    rule_id,
                    name_zh,
                    name_en,
                    simulated,
                    baseline,
                },
            )
            .collect();
        rule_hits.sort_by(|a, b| {
            (b.simulated + b.baseline)
                .cmp(&(a.simulated + a.baseline))
                .then_with(|| a.rule_id.cmp(&b.rule_id))
        });
        report.rule_hits = rule_hits;
        Ok(report)
    }

    /// The latest past applications of the version's product with a
    /// decision at its stage, newest first, to try the version on.
    pub async fn rule_set_samples(
        self,
        s: &StaffActor,
        rule_set_id: &str,
        limit: u32,
    ) -> Result<Vec<RuleSetSample>, ServiceError> {
        let detail = self.rule_set(s, rule_set_id).await?;
        let n = usize::try_from(limit.clamp(1, 200)).unwrap_or(200);
        let rows = self
            .latest_decisions(&detail, i64::try_from(n).unwrap_or(200))
            .await?;
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::with_capacity(n);
        for r in &rows {
            let application_id = sql::text(r, "application_id")?;
            if out.len() == n || !seen.insert(application_id.clone()) {
                continue;
            }
            out.push(RuleSetSample {
                application_id: application_id.into(),
                customer_name: domain::identity::mask_name(&sql::text(r, "customer_name")?),
                amount: Fen(sql::int(r, "amount_fen")?),
                decided_at: sql::int(r, "created_at")?,
                outcome: parse_verdict(&sql::text(r, "outcome")?)?,
                version: sql::opt_int(r, "rule_set_version")?,
            });
        }
        Ok(out)
    }

    /// The test bench: runs version `rule_set_id` (any status, drafts
    /// included) on the inputs of application `application_id`'s latest
    /// stored decision at the version's stage, with the system rules, and
    /// returns the decision with its trace beside what was decided then.
    /// Nothing is stored.
    pub async fn try_rule_set(
        self,
        s: &StaffActor,
        rule_set_id: &str,
        application_id: &str,
    ) -> Result<RuleSetTrial, ServiceError> {
        let detail = self.rule_set(s, rule_set_id).await?;
        let strategy = Strategy::compile(&detail.definition, features::schema())
            .map_err(|e| ServiceError::invalid(e.code()))?;
        let sql = format!(
            "{SAMPLE_SELECT} WHERE a.id = $1 AND a.product_id = $2 AND d.stage = $3 \
             ORDER BY d.created_at DESC, d.id DESC LIMIT 1"
        );
        let r = sqlx::query(AssertSqlSafe(sql))
            .bind(application_id.trim())
            .bind(detail.summary.product_id.as_str())
            .bind(detail.summary.stage.as_str())
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let f = replayed_features(&self.config.pfi, &r)?;
        let started = std::time::Instant::now();
        let d = decide_with(Some(&strategy), &f);
        let elapsed_us = i64::try_from(started.elapsed().as_micros()).unwrap_or(i64::MAX);
        Ok(RuleSetTrial {
            application_id: sql::text(&r, "application_id")?.into(),
            customer_name: domain::identity::mask_name(&sql::text(&r, "customer_name")?),
            baseline: stored_brief(&r)?,
            baseline_version: sql::opt_int(&r, "rule_set_version")?,
            result: DecisionView {
                id: String::new(),
                stage: detail.summary.stage,
                rule_set_id: Some(detail.summary.id.clone()),
                rule_set_version: Some(detail.summary.version),
                outcome: d.outcome,
                limit: d.limit,
                rate_bp: d.rate_bp,
                score: d.score,
                grade: d.grade,
                flags: d.flags,
                reasons: staff_reasons(&d.reason_codes, Some(&d.trace)),
                reason_codes: d.reason_codes,
                trace: trace_lines(&d.trace),
                features: features::values(&f),
                bureau: None,
                actor_name: s.display_name.clone(),
                created_at: self.now(),
                elapsed_us,
            },
        })
    }
}
