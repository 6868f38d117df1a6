//! Deciding one subject: its features, the live strategy's decision and
//! the result row it makes.

use std::collections::HashMap;
use std::sync::Arc;

use domain::date::Date;
use domain::identity::{Gender, IdNumber};
use domain::money::Fen;
use domain::rules::rule::Verdict;

use super::bureau::Report;
use super::read::{Person, ProductFacts, Subject};
use super::{NO_HOUSEHOLD_HEAD, PRODUCT_NOT_OFFERED};
use crate::error::ServiceError;
use crate::precredit::{outcome_str, Job, PRECREDIT_PURPOSE};
use crate::risk::decisions::{decide_with, LiveStrategy};
use crate::risk::features::{self, FeatureInputs, LoanFacts};
use crate::sql::Val;

pub(super) const RESULT_COLUMNS: [&str; 20] = [
    "job_id",
    "subject_key",
    "household_id",
    "customer_id",
    "branch_id",
    "village_id",
    "product_id",
    "rule_set_id",
    "rule_set_version",
    "outcome",
    "limit_fen",
    "rate_bp",
    "score",
    "grade",
    "reason_codes",
    "fired",
    "bureau",
    "bureau_report_id",
    "suggested_limit_fen",
    "decided_at",
];

fn json_list<S: serde::Serialize>(v: &[S]) -> Result<String, ServiceError> {
    serde_json::to_string(v).map_err(|e| ServiceError::internal("precredit json", e))
}

/// One subject's result row (in [`RESULT_COLUMNS`] order).
#[expect(
    clippy::too_many_arguments,
    reason = "the chunk's lookups, passed once"
)]
pub(super) fn decide_one(
    job: &Job,
    s: &Subject,
    products: &HashMap<String, ProductFacts>,
    live: &HashMap<String, Option<Arc<LiveStrategy>>>,
    reports: &HashMap<String, Report>,
    loans: &HashMap<String, LoanFacts>,
    open: &HashMap<String, i64>,
    today: Date,
    now: i64,
) -> Result<Vec<Val>, ServiceError> {
    let skipped = |p: Option<&Person>, code: &str| -> Result<Vec<Val>, ServiceError> {
        Ok(vec![
            Val::from(job.id.as_str()),
            Val::from(s.key.as_str()),
            Val::from(s.household_id.clone()),
            Val::from(p.map(|p| p.id.clone())),
            Val::from(p.map(|p| p.branch_id.clone())),
            Val::from(s.village_id.clone()),
            Val::NullText,
            Val::NullText,
            Val::NullInt,
            Val::from("skipped"),
            Val::NullInt,
            Val::NullInt,
            Val::NullInt,
            Val::NullText,
            Val::from(json_list(&[code])?),
            Val::from("[]"),
            Val::from("not_asked"),
            Val::NullText,
            Val::from(s.suggested.map(Fen::get)),
            Val::Int(now),
        ])
    };
    let Some(p) = &s.person else {
        return skipped(None, NO_HOUSEHOLD_HEAD);
    };
    let Some(product) = products.get(&p.bank_id) else {
        return skipped(Some(p), PRODUCT_NOT_OFFERED);
    };
    let report = reports.get(&p.id).cloned().unwrap_or(Report::NotAsked);
    let inputs = FeatureInputs {
        // A stored number that does not parse leaves the age missing.
        id_number: IdNumber::parse(&p.id_number).ok(),
        application_date: today,
        gender: Gender::parse(&p.gender),
        occupation: p.occupation.clone(),
        household: s.household.clone(),
        product_code: product.code.clone(),
        guarantee_type: product.guarantee.clone(),
        amount: product.max_amount,
        term_months: product.max_term,
        purpose: PRECREDIT_PURPOSE.to_string(),
        open_applications: open.get(&p.id).copied().unwrap_or(0),
        loans: loans.get(&p.id).copied().unwrap_or_default(),
        bureau: report.report().cloned(),
        investigation: None,
        line: None,
    };
    let f = features::features(&inputs).map_err(|e| ServiceError::internal("feature record", e))?;
    let strategy = live.get(&product.id).cloned().flatten();
    let d = decide_with(strategy.as_ref().map(|l| &l.strategy), &f);
    let limit = match (d.outcome, d.limit, s.suggested) {
        (Verdict::Reject, _, _) => None,
        (_, Some(l), Some(w)) => Some(l.min(w)),
        (_, l, w) => l.or(w),
    };
    Ok(vec![
        Val::from(job.id.as_str()),
        Val::from(s.key.as_str()),
        Val::from(s.household_id.clone()),
        Val::from(p.id.as_str()),
        Val::from(p.branch_id.as_str()),
        Val::from(s.village_id.clone()),
        Val::from(product.id.as_str()),
        Val::from(strategy.as_ref().map(|l| l.rule_set_id.clone())),
        Val::from(strategy.as_ref().map(|l| l.version)),
        Val::from(outcome_str(d.outcome)),
        Val::from(limit.map(Fen::get)),
        Val::from(d.rate_bp.map(i64::from)),
        Val::from(d.score),
        Val::from(d.grade.clone()),
        Val::from(json_list(&d.reason_codes)?),
        Val::from(json_list(&d.trace.fired_rules())?),
        Val::from(report.source()),
        Val::from(report.report().map(|r| r.report_id.clone())),
        Val::from(s.suggested.map(Fen::get)),
        Val::Int(now),
    ])
}
