//! Single decisions: the pre-screen (预审) when a customer submits, and the
//! full decision before approval, each run on the live rule set of the
//! application's product and stage and stored in `decisions` with the
//! version, the feature values, the outcome, the trace and the adverse
//! reason codes, audited in the same transaction.
//!
//! Two guarantees do not depend on what a risk manager wrote:
//! - without a live rule set the outcome is "refer" (`rule_set_missing`);
//! - without a bureau report (failure, timeout, no consent) a system rule
//!   refers (`bureau_unavailable`): the engine never approves blind.
//!
//! The live version is looked up on every decision (one indexed query) and
//! compiled once per version into [`EngineCache`], so publishing a version
//! takes effect with the next decision, without a restart.

use domain::view::InquiryOutcome;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use domain::application::ApplicationStatus;
use domain::money::Fen;
use domain::org::Role;
use domain::rules::lifecycle::DecisionStage;
use domain::rules::reasons::{customer_reasons, staff_reasons};
use domain::rules::rule::{Action, RuleDef, RuleSet, RuleSetDef, Verdict};
use domain::rules::schema::Features;
use domain::rules::strategy::{Decision, Strategy, StrategyDef};
use domain::rules::trace::Trace;
pub use domain::view::{
    BureauInquiryView, CustomerScreening, DecisionView, FeatureValue, TraceLine,
};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

use super::bureau::{Inquiry, InquiryRecord, InquirySubject};
use super::features::{self, load_inputs};
use super::Requester;
use crate::audit;
use crate::auth::{CustomerActor, Reading, StaffActor};
use crate::db::new_id;
use crate::error::ServiceError;
use crate::sql;
use crate::Services;

/// A compiled live version.
#[derive(Debug)]
pub(crate) struct LiveStrategy {
    pub rule_set_id: String,
    pub version: i64,
    pub strategy: Strategy,
}

/// Compiled live strategies by product and stage, keyed by the version's id
/// (a published version never changes, so its id is a complete cache key).
#[derive(Debug, Default)]
pub struct EngineCache {
    live: Mutex<HashMap<(String, DecisionStage), Arc<LiveStrategy>>>,
}

/// Reason code when no rule set is live for the product and stage.
pub const RULE_SET_MISSING: &str = "rule_set_missing";
/// Reason code of the system rule that refers without a bureau report.
pub const BUREAU_UNAVAILABLE: &str = "bureau_unavailable";

/// The system rules that run after every strategy, whatever it says.
fn guard() -> &'static RuleSet {
    static GUARD: OnceLock<RuleSet> = OnceLock::new();
    GUARD.get_or_init(|| {
        let def = RuleSetDef {
            id: "system_guard".to_string(),
            name_zh: "系统规则".to_string(),
            name_en: "system rules".to_string(),
            rules: vec![RuleDef {
                id: "system_bureau_unavailable".to_string(),
                name_zh: "未取得征信报告，转人工审核".to_string(),
                name_en: "no bureau report: refer".to_string(),
                condition: "not bureau_available".to_string(),
                action: Action::Refer,
                reason_code: BUREAU_UNAVAILABLE.to_string(),
            }],
        };
        // Fixed text over the fixed schema, checked by a test.
        RuleSet::compile(&def, features::schema())
            .unwrap_or_else(|e| panic!("system guard rules: {e}"))
    })
}

/// The strategy alone (refer when there is none), without the system
/// rules: a line's renewal (续授信), which decides on the bank's own record
/// of the customer and reads no bureau report, so the system rule that
/// refers an application without one does not apply to it.
pub fn decide_without_guard(strategy: Option<&Strategy>, f: &Features) -> Decision {
    match strategy {
        Some(s) => s.evaluate(f),
        None => Decision {
            outcome: Verdict::Refer,
            limit: None,
            rate_bp: None,
            score: None,
            grade: None,
            limit_factor_pct: None,
            flags: Vec::new(),
            reason_codes: vec![RULE_SET_MISSING.to_string()],
            trace: Trace::default(),
        },
    }
}

/// Runs the strategy (refer when there is none) and then the system rules,
/// which may only make the verdict worse.
pub fn decide_with(strategy: Option<&Strategy>, f: &Features) -> Decision {
    let mut d = decide_without_guard(strategy, f);
    let g = guard().evaluate(f);
    d.outcome = d.outcome.max(g.outcome.verdict);
    for code in g.outcome.reason_codes {
        if !d.reason_codes.contains(&code) {
            d.reason_codes.push(code);
        }
    }
    d.trace.entries.extend(g.trace.entries);
    d
}

/// The facts of an application a decision needs.
/// The application a decision is about, as it was read.
pub(crate) struct Subject {
    pub id: String,
    pub customer_id: String,
    pub branch_id: String,
    branch_path: String,
    product_id: String,
    pub status: ApplicationStatus,
    pub version: i64,
}

pub(crate) async fn subject(svc: &Services, id: &str) -> Result<Subject, ServiceError> {
    let r = sqlx::query(
        "SELECT a.id, a.customer_id, a.branch_id, b.path, a.product_id, a.status, a.version \
         FROM applications a JOIN organisations b ON b.id = a.branch_id WHERE a.id = $1",
    )
    .bind(id)
    .fetch_optional(&svc.db.pool)
    .await?
    .ok_or(ServiceError::NotFound)?;
    Ok(Subject {
        id: sql::text(&r, "id")?,
        customer_id: sql::text(&r, "customer_id")?,
        branch_id: sql::text(&r, "branch_id")?,
        branch_path: sql::text(&r, "path")?,
        product_id: sql::text(&r, "product_id")?,
        status: sql::status(&r, "status")?,
        version: sql::int(&r, "version")?,
    })
}

/// A decision worked out and not yet stored.
pub(crate) struct Prepared {
    pub id: String,
    stage: DecisionStage,
    live: Option<Arc<LiveStrategy>>,
    features: Vec<FeatureValue>,
    pub decision: Decision,
    elapsed_us: i64,
}

impl Prepared {
    /// A pre-screen that rejects: the application closes at once.
    pub fn screens_out(&self) -> bool {
        self.stage == DecisionStage::PreScreen && self.decision.outcome == Verdict::Reject
    }
}

fn verdict_str(v: Verdict) -> &'static str {
    match v {
        Verdict::Approve => "approve",
        Verdict::Refer => "refer",
        Verdict::Reject => "reject",
    }
}

fn parse_verdict(raw: &str) -> Result<Verdict, ServiceError> {
    match raw {
        "approve" => Ok(Verdict::Approve),
        "refer" => Ok(Verdict::Refer),
        "reject" => Ok(Verdict::Reject),
        other => Err(ServiceError::internal("decision outcome", other)),
    }
}

fn to_json<T: serde::Serialize>(what: &str, v: &T) -> Result<String, ServiceError> {
    serde_json::to_string(v).map_err(|e| ServiceError::internal(what, e))
}

fn from_json<T: serde::de::DeserializeOwned>(what: &str, raw: &str) -> Result<T, ServiceError> {
    serde_json::from_str(raw).map_err(|e| ServiceError::internal(what, e))
}

const DECISION_SELECT: &str = "SELECT d.id, d.stage, d.rule_set_id, d.rule_set_version, \
     d.outcome, d.limit_fen, d.rate_bp, d.score, d.grade, d.flags, d.reason_codes, d.features, \
     d.trace, d.actor_name, d.created_at, d.elapsed_us, \
     bi.id AS bi_id, bi.provider AS bi_provider, bi.outcome AS bi_outcome, bi.error AS bi_error, \
     bi.requested_by_name AS bi_by, bi.requested_at AS bi_at, \
     bi.elapsed_ms AS bi_elapsed \
     FROM decisions d LEFT JOIN bureau_inquiries bi ON bi.id = d.bureau_inquiry_id";

/// A trace as the officer reads it, a line per entry in both languages.
pub(crate) fn trace_lines(trace: &Trace) -> Vec<TraceLine> {
    let zh = trace.explain_zh();
    let en = trace.explain_en();
    trace
        .entries
        .iter()
        .zip(zh.into_iter().zip(en))
        .map(|(e, (text_zh, text_en))| TraceLine {
            stage: e.stage,
            text_zh,
            text_en,
        })
        .collect()
}

fn decision_view(r: &AnyRow) -> Result<DecisionView, ServiceError> {
    let stage_raw = sql::text(r, "stage")?;
    let stage = DecisionStage::parse(&stage_raw)
        .ok_or_else(|| ServiceError::internal("decision stage", stage_raw))?;
    let trace: Trace = from_json("decision trace", &sql::text(r, "trace")?)?;
    let lines = trace_lines(&trace);
    let reason_codes: Vec<String> = from_json("decision reasons", &sql::text(r, "reason_codes")?)?;
    let bureau = match sql::opt_text(r, "bi_id")? {
        None => None,
        Some(id) => {
            // The development provider's reports are synthetic; a list of
            // decisions does not open the (sealed) reports to say so.
            let synthetic = sql::text(r, "bi_provider")? == super::bureau::DEV_PROVIDER;
            Some(BureauInquiryView {
                id,
                provider: sql::text(r, "bi_provider")?,
                synthetic,
                outcome: sql::coded(r, "bi_outcome", InquiryOutcome::parse)?,
                error: sql::opt_text(r, "bi_error")?,
                requested_by_name: sql::text(r, "bi_by")?,
                requested_at: sql::int(r, "bi_at")?,
                elapsed_ms: sql::int(r, "bi_elapsed")?,
            })
        }
    };
    Ok(DecisionView {
        id: sql::text(r, "id")?,
        stage,
        rule_set_id: sql::opt_text(r, "rule_set_id")?,
        rule_set_version: sql::opt_int(r, "rule_set_version")?,
        outcome: parse_verdict(&sql::text(r, "outcome")?)?,
        limit: sql::opt_int(r, "limit_fen")?.map(Fen),
        rate_bp: sql::opt_int(r, "rate_bp")?
            .map(u32::try_from)
            .transpose()
            .map_err(|e| ServiceError::internal("rate_bp", e))?,
        score: sql::opt_int(r, "score")?,
        grade: sql::opt_text(r, "grade")?,
        flags: from_json("decision flags", &sql::text(r, "flags")?)?,
        reasons: staff_reasons(&reason_codes, Some(&trace)),
        reason_codes,
        trace: lines,
        features: from_json("decision features", &sql::text(r, "features")?)?,
        bureau,
        actor_name: sql::text(r, "actor_name")?,
        created_at: sql::int(r, "created_at")?,
        elapsed_us: sql::int(r, "elapsed_us")?,
    })
}

/// The latest decision of an application at a stage.
pub(crate) async fn latest_decision(
    svc: &Services,
    application_id: &str,
    stage: DecisionStage,
) -> Result<Option<DecisionView>, ServiceError> {
    let sql = format!(
        "{DECISION_SELECT} WHERE d.application_id = $1 AND d.stage = $2 \
         ORDER BY d.created_at DESC, d.id DESC LIMIT 1"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(application_id)
        .bind(stage.as_str())
        .fetch_optional(&svc.db.pool)
        .await?
        .map(|r| decision_view(&r))
        .transpose()
}

/// What the customer sees of the latest pre-screen: the outcome and, for a
/// rejection, the adverse reasons in plain words.
pub(crate) async fn customer_screening(
    svc: &Services,
    application_id: &str,
) -> Result<Option<CustomerScreening>, ServiceError> {
    let r = sqlx::query(
        "SELECT outcome, reason_codes, created_at FROM decisions \
         WHERE application_id = $1 AND stage = 'pre_screen' \
         ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(application_id)
    .fetch_optional(&svc.db.pool)
    .await?;
    let Some(r) = r else { return Ok(None) };
    let outcome = parse_verdict(&sql::text(&r, "outcome")?)?;
    let codes: Vec<String> = from_json("decision reasons", &sql::text(&r, "reason_codes")?)?;
    Ok(Some(CustomerScreening {
        outcome,
        reasons: if outcome == Verdict::Reject {
            customer_reasons(&codes)
        } else {
            Vec::new()
        },
        at: sql::int(&r, "created_at")?,
    }))
}

impl crate::risk::Risk<'_> {
    /// The compiled live version for a product and stage, if one is live: the
    /// product's own, else its parent's, else its grandparent's (a
    /// sub-product decides with the rules of the product it narrows until
    /// it has rules of its own).
    pub(crate) async fn live_strategy(
        self,
        product_id: &str,
        stage: DecisionStage,
    ) -> Result<Option<Arc<LiveStrategy>>, ServiceError> {
        let Some(r) = sqlx::query(
            "SELECT r.id, r.version, \
               CASE WHEN r.product_id = $1 THEN 0 \
                    WHEN r.product_id = (SELECT p.parent_id FROM products p WHERE p.id = $1) \
                      THEN 1 ELSE 2 END AS distance \
             FROM rule_sets r WHERE r.stage = $2 AND r.status = 'live' AND ( \
               r.product_id = $1 \
               OR r.product_id = (SELECT p.parent_id FROM products p WHERE p.id = $1) \
               OR r.product_id = (SELECT pp.parent_id FROM products p \
                                  JOIN products pp ON pp.id = p.parent_id WHERE p.id = $1)) \
             ORDER BY distance LIMIT 1",
        )
        .bind(product_id)
        .bind(stage.as_str())
        .fetch_optional(&self.db.pool)
        .await?
        else {
            return Ok(None);
        };
        let id = sql::text(&r, "id")?;
        let key = (product_id.to_string(), stage);
        if let Ok(cache) = self.engine.live.lock() {
            if let Some(hit) = cache.get(&key).filter(|l| l.rule_set_id == id) {
                return Ok(Some(Arc::clone(hit)));
            }
        }
        let d = sqlx::query("SELECT definition FROM rule_sets WHERE id = $1")
            .bind(&id)
            .fetch_one(&self.db.pool)
            .await?;
        let def: StrategyDef = from_json("rule set definition", &sql::text(&d, "definition")?)?;
        // Validated when saved; a failure here means the stored text was changed.
        let strategy = Strategy::compile(&def, features::schema())
            .map_err(|e| ServiceError::internal("live rule set does not compile", e))?;
        let live = Arc::new(LiveStrategy {
            rule_set_id: id,
            version: sql::int(&r, "version")?,
            strategy,
        });
        if let Ok(mut cache) = self.engine.live.lock() {
            cache.insert(key, Arc::clone(&live));
        }
        Ok(Some(live))
    }

    /// Gathers the features and runs the live strategy: nothing is written
    /// yet, and no transaction is held while it works.
    pub(crate) async fn prepare_decision(
        self,
        app: &Subject,
        stage: DecisionStage,
        inquiry: &Inquiry,
    ) -> Result<Prepared, ServiceError> {
        let live = self.live_strategy(&app.product_id, stage).await?;
        let inputs =
            load_inputs(&self.db, &self.config.pfi, &app.id, inquiry.report.clone()).await?;
        let started = Instant::now();
        let f =
            features::features(&inputs).map_err(|e| ServiceError::internal("feature record", e))?;
        let decision = decide_with(live.as_ref().map(|l| &l.strategy), &f);
        let elapsed_us = i64::try_from(started.elapsed().as_micros()).unwrap_or(i64::MAX);
        Ok(Prepared {
            id: new_id(),
            stage,
            live,
            features: features::values(&f),
            decision,
            elapsed_us,
        })
    }

    /// Stores a prepared decision with its audit entry in the caller's
    /// transaction, with `record`, the inquiry just asked, if any. It moves
    /// nothing: the caller acts on the outcome (a pre-screen's rejection
    /// closes the application, the flow moves past its pre-screen) in the
    /// same transaction.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn store_decision(
        self,
        tx: &mut Transaction<'_, Any>,
        log: &mut audit::Batch,
        app: &Subject,
        p: &Prepared,
        inquiry: &Inquiry,
        record: Option<&InquiryRecord>,
        by: &Requester<'_>,
        now: i64,
    ) -> Result<(), ServiceError> {
        if let Some(record) = record {
            record.store(tx, log).await?;
        }
        let (live, decision, stage) = (&p.live, &p.decision, p.stage);
        sqlx::query(
            "INSERT INTO decisions (id, application_id, stage, rule_set_id, rule_set_version, \
               outcome, limit_fen, rate_bp, score, grade, flags, reason_codes, features, trace, \
               bureau_inquiry_id, actor_kind, actor_id, actor_name, elapsed_us, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
               $17, $18, $19, $20)",
        )
        .bind(&p.id)
        .bind(&app.id)
        .bind(stage.as_str())
        .bind(live.as_ref().map(|l| l.rule_set_id.clone()))
        .bind(live.as_ref().map(|l| l.version))
        .bind(verdict_str(decision.outcome))
        .bind(decision.limit.map(Fen::get))
        .bind(decision.rate_bp.map(i64::from))
        .bind(decision.score)
        .bind(decision.grade.clone())
        .bind(to_json("flags", &decision.flags)?)
        .bind(to_json("reason codes", &decision.reason_codes)?)
        .bind(to_json("features", &p.features)?)
        .bind(to_json("trace", &decision.trace)?)
        .bind(inquiry.id.clone())
        .bind(by.kind())
        .bind(by.id())
        .bind(by.name())
        .bind(p.elapsed_us)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        log.push(
            by.audit(now, "decision.made", "decision", &p.id)
                .org(app.branch_id.clone())
                .after(json!({
                    "application_id": app.id,
                    "stage": stage.as_str(),
                    "rule_set_id": live.as_ref().map(|l| l.rule_set_id.clone()),
                    "rule_set_version": live.as_ref().map(|l| l.version),
                    "outcome": verdict_str(decision.outcome),
                    "limit_fen": decision.limit.map(Fen::get),
                    "rate_bp": decision.rate_bp,
                    "score": decision.score,
                    "reason_codes": decision.reason_codes,
                    "bureau": inquiry.outcome.as_str(),
                })),
        );
        Ok(())
    }

    /// Asks the bureau for a just-submitted application's pre-screen, under
    /// the customer's consent: the inquiry to decide on and its record to
    /// store with the decision.
    pub(crate) async fn pre_screen_inquiry(
        self,
        c: &CustomerActor,
        app: &Subject,
    ) -> Result<(Inquiry, Option<InquiryRecord>), ServiceError> {
        self.ask_bureau(
            &InquirySubject {
                application_id: &app.id,
                customer_id: &app.customer_id,
                branch_id: &app.branch_id,
            },
            &Requester::Customer(c),
        )
        .await
    }

    /// The full decision of an investigated application, by `s`. Reuses the
    /// application's bureau report when an earlier inquiry succeeded, else
    /// asks the bureau again.
    pub(crate) async fn full_decision(
        self,
        s: &StaffActor,
        application_id: &str,
    ) -> Result<String, ServiceError> {
        let app = subject(&self, application_id).await?;
        if app.status != ApplicationStatus::Investigated {
            return Err(ServiceError::StaleState);
        }
        let inquiry = match self.stored_report(&app.id).await? {
            Some(inquiry) => inquiry,
            None => {
                self.inquire_bureau(
                    &InquirySubject {
                        application_id: &app.id,
                        customer_id: &app.customer_id,
                        branch_id: &app.branch_id,
                    },
                    &Requester::Staff(s),
                )
                .await?
            }
        };
        let by = Requester::Staff(s);
        let prepared = self
            .prepare_decision(&app, DecisionStage::Full, &inquiry)
            .await?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let mut log = audit::Batch::default();
        self.store_decision(&mut tx, &mut log, &app, &prepared, &inquiry, None, &by, now)
            .await?;
        log.write(&mut tx, &self.config.audit_key).await?;
        tx.commit().await?;
        Ok(prepared.id)
    }

    /// Runs the full decision again (e.g. after the bureau was down or a new
    /// version went live) and returns it. For the application's officer,
    /// investigators, approvers and risk managers in scope; the application
    /// must be investigated and not yet decided.
    pub async fn run_full_decision(
        self,
        s: &StaffActor,
        application_id: &str,
    ) -> Result<DecisionView, ServiceError> {
        if !s.has_any(&[
            Role::Officer,
            Role::Investigator,
            Role::Approver,
            Role::RiskManager,
        ]) {
            return Err(ServiceError::Forbidden);
        }
        let app = subject(&self, application_id).await?;
        if !s.covers(&app.branch_path) {
            return Err(ServiceError::Forbidden);
        }
        let stored = self.full_decision(s, application_id).await?;
        latest_decision(&self, application_id, DecisionStage::Full)
            .await?
            .filter(|d| d.id == stored)
            .ok_or(ServiceError::StaleState)
    }

    /// Every decision of an application, newest first (the history behind
    /// the latest ones the application view shows).
    pub async fn application_decisions(
        self,
        s: &StaffActor,
        application_id: &str,
    ) -> Result<Vec<DecisionView>, ServiceError> {
        let app = subject(&self, application_id).await?;
        s.may_read(Reading::CustomerFile, &app.branch_path)?;
        let sql = format!(
            "{DECISION_SELECT} WHERE d.application_id = $1 ORDER BY d.created_at DESC, d.id DESC"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(application_id)
            .fetch_all(&self.db.pool)
            .await?;
        rows.iter().map(decision_view).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::features::{FeatureInputs, LoanFacts};
    use domain::date::Date;

    fn inputs() -> FeatureInputs {
        FeatureInputs {
            id_number: None,
            application_date: Date::new(2026, 11, 24).unwrap_or(Date::MIN),
            gender: None,
            occupation: String::new(),
            household: None,
            product_code: "HNED".into(),
            guarantee_type: "credit".into(),
            amount: Fen::from_yuan(50_000),
            term_months: 12,
            purpose: "x".into(),
            open_applications: 0,
            loans: LoanFacts::default(),
            bureau: None,
            investigation: None,
            line: None,
        }
    }

    #[test]
    fn without_a_rule_set_or_a_report_the_engine_refers() {
        let f = features::features(&inputs()).unwrap_or_else(|e| panic!("{e}"));
        let d = decide_with(None, &f);
        assert_eq!(d.outcome, Verdict::Refer);
        assert_eq!(d.reason_codes, [RULE_SET_MISSING, BUREAU_UNAVAILABLE]);
        assert_eq!(
            d.trace.explain_zh(),
            ["规则「未取得征信报告，转人工审核」命中：已取得征信报告 = 否（条件：非 已取得征信报告）→ 转人工审核"]
        );
    }

    #[test]
    fn an_approving_strategy_cannot_approve_without_a_report() {
        let def: StrategyDef = StrategyDef {
            id: "lenient".into(),
            name_zh: "宽松".into(),
            name_en: "lenient".into(),
            stages: Vec::new(),
            base_rate_bp: 500,
            rate_floor_bp: 400,
            rate_ceiling_bp: None,
            max_limit: Some(Fen::from_yuan(100_000)),
            score_feature: None,
            grade_feature: None,
        };
        let s = Strategy::compile(&def, features::schema()).unwrap_or_else(|e| panic!("{e}"));
        let f = features::features(&inputs()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.evaluate(&f).outcome, Verdict::Approve);
        let d = decide_with(Some(&s), &f);
        assert_eq!(d.outcome, Verdict::Refer);
        assert_eq!(d.reason_codes, [BUREAU_UNAVAILABLE]);
        // The limit and the price stay for the officer to see.
        assert_eq!(d.limit, Some(Fen::from_yuan(100_000)));
        assert_eq!(d.rate_bp, Some(500));
    }
}
