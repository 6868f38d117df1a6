//! The demo bank's risk set-up: a second risk manager per bank (the checker
//! of maker-checker) and, for every product, the default pre-screen and
//! full-decision rule sets as live version 1 — written by the bank's risk
//! manager, approved and published by the checker.
//!
//! It runs after everything else the generator makes, so the ids and data
//! drawn before it stay exactly as they were.
//!
//! The fixed demo customers (李秀英, 王建国) also get ID numbers whose
//! synthetic credit report (development bureau) is clean, so the demo
//! journey — apply, investigate, approve — works on any day: their birth
//! dates, and so their ID numbers, move with the demo's "today".

use domain::identity::IdNumber;
use domain::money::Fen;
use domain::rules::lifecycle::{DecisionStage, RuleSetStatus};
use serde_json::json;
use sqlx::{AnyConnection, Connection};

use super::structure::{Place, StaffSpec, BANKS};
use super::{Generator, DAY_MS};
use crate::audit::{self, NewAuditEntry};
use crate::error::ServiceError;
use crate::risk::bureau::{dev_report, FAILING_SEQUENCE, TIMEOUT_SEQUENCE};
use crate::risk::defaults::{default_strategy, ProductRisk};
use crate::sql::{self, Val};
use crate::staff::{role_row, ROLE_COLUMNS, STAFF_COLUMNS};

/// The checkers: each approves what the bank's first risk manager writes.
/// Checkers of maker-checker work: rule sets (per bank, in bank order) and
/// products (product2 publishes what product1 drafts).
pub(super) const CHECKERS: [StaffSpec; 3] = [
    StaffSpec {
        username: "risk3",
        display_name: "孔德明",
        place: Place::Bank(0),
        role: "risk_manager",
        label_zh: "风险经理（复核）",
    },
    StaffSpec {
        username: "risk4",
        display_name: "袁丽",
        place: Place::Bank(1),
        role: "risk_manager",
        label_zh: "风险经理（长白，复核）",
    },
    StaffSpec {
        username: "product2",
        display_name: "贺明",
        place: Place::Bank(0),
        role: "product_manager",
        label_zh: "产品经理（复核）",
    },
];

/// The authors, by bank.
const AUTHORS: [&str; 2] = ["risk1", "risk2"];

const RULE_SET_COLS: [&str; 19] = [
    "id",
    "bank_id",
    "product_id",
    "stage",
    "version",
    "status",
    "name_zh",
    "name_en",
    "definition",
    "note",
    "author_id",
    "submitted_at",
    "approver_id",
    "approved_at",
    "review_comment",
    "published_by",
    "published_at",
    "created_at",
    "updated_at",
];

/// The same person's ID number with another sequence code (same gender),
/// chosen so that the development bureau reports a clean record; `None`
/// when the number does not parse or no free one is clean.
pub(super) fn clean_id_number(g: &Generator, id: &IdNumber) -> Option<IdNumber> {
    let current = id.as_str();
    let parity = u16::from(current.as_bytes()[16] - b'0') % 2;
    (0..1000u16)
        .filter(|q| q % 2 == parity)
        .filter_map(|q| IdNumber::from_parts(&current[..6], id.birth_date(), q).ok())
        .filter(|c| {
            let seq = &c.as_str()[14..17];
            seq != FAILING_SEQUENCE && seq != TIMEOUT_SEQUENCE
        })
        .find(|c| {
            let r = dev_report(c);
            !r.blacklisted
                && r.lenders <= 2
                && r.inquiries_3m <= 2
                && r.worst_delinquency == 0
                && r.score.is_some_and(|s| s >= 650)
                && !g.issued_ids.contains(c.as_str())
        })
}

/// Adds the checkers and the live rule sets; returns how many rule sets.
pub(super) async fn seed(
    g: &mut Generator,
    conn: &mut AnyConnection,
    password_hash: &str,
) -> Result<u64, ServiceError> {
    let created = g.at(365, 9);
    let mut staff = Vec::new();
    let mut roles = Vec::new();
    let mut checker_ids = Vec::new();
    for c in &CHECKERS {
        let id = g.id();
        let org = match c.place {
            Place::Bank(b) => g.banks[b].id.clone(),
            Place::Union | Place::Branch(..) => g.union_id.clone(),
        };
        staff.push(c.row(&id, &org, password_hash, created));
        roles.push(role_row(&id, c.role));
        checker_ids.push(id);
    }

    // Written 40 days ago, approved the next day, live since 38 days ago.
    let written = g.at(40, 10);
    let approved = written + DAY_MS;
    let published = approved + DAY_MS;
    let mut rows = Vec::new();
    for (b, spec) in BANKS.iter().enumerate() {
        let author = g.staff_id(AUTHORS[b]);
        let checker = checker_ids[b].clone();
        let bank_id = g.banks[b].id.clone();
        for (i, p) in spec.products.iter().enumerate() {
            let product_id = g.products[b][i].id.clone();
            let risk = ProductRisk {
                code: p.code,
                name_zh: p.name_zh,
                name_en: p.name_en,
                rate_bp: p.rate_bp,
                max_amount: Fen::from_yuan(p.max_yuan),
                guarantee: p.guarantee,
            };
            for stage in DecisionStage::ALL {
                let def = default_strategy(stage, &risk);
                let definition = serde_json::to_string(&def)
                    .map_err(|e| ServiceError::internal("demo rule set", e))?;
                rows.push(vec![
                    Val::from(g.id()),
                    Val::from(bank_id.as_str()),
                    Val::from(product_id.as_str()),
                    Val::from(stage.as_str()),
                    Val::Int(1),
                    Val::from(RuleSetStatus::Live.as_str()),
                    Val::from(def.name_zh.as_str()),
                    Val::from(def.name_en.as_str()),
                    Val::from(definition),
                    Val::from(match stage {
                        DecisionStage::PreScreen => "默认策略：反欺诈、黑名单、准入",
                        DecisionStage::Full => "默认策略：反欺诈、黑名单、准入、评分卡、额度与定价",
                        DecisionStage::Renewal => {
                            "默认策略：续授信准入、用信行为评分卡、续期额度系数"
                        }
                    }),
                    Val::from(author.as_str()),
                    Val::from(written),
                    Val::from(checker.as_str()),
                    Val::from(approved),
                    Val::from("复核通过"),
                    Val::from(checker.as_str()),
                    Val::from(published),
                    Val::from(written),
                    Val::from(published),
                ]);
            }
        }
    }
    let count = u64::try_from(rows.len()).unwrap_or(0);
    let mut tx = conn.begin().await?;
    sql::insert_rows(&mut tx, "staff_users", &STAFF_COLUMNS, &staff).await?;
    sql::insert_rows(&mut tx, "staff_roles", &ROLE_COLUMNS, &roles).await?;
    sql::insert_rows(&mut tx, "rule_sets", &RULE_SET_COLS, &rows).await?;
    audit::append(
        &mut tx,
        &g.audit_key,
        NewAuditEntry::system(
            published,
            "demo.rule_sets_seeded",
            "organisation",
            &g.union_id,
        )
        .after(json!({ "rule_sets": count, "status": "live", "version": 1 })),
    )
    .await?;
    tx.commit().await?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::DemoConfig;
    use domain::date::Date;

    #[test]
    fn demo_customers_get_a_clean_report_on_any_day() {
        let g = Generator::new(
            &DemoConfig {
                seed: 2026,
                customers: 300,
                today: Date::new(2026, 11, 24).unwrap_or(Date::MIN),
                portfolio: false,
            },
            crate::pfi::PfiKeys::development(),
            crate::ServiceConfig::default().audit_key,
        );
        for day in 1..=28u8 {
            let birth = Date::new(1977, 2, day).unwrap_or(Date::MIN);
            let id = IdNumber::from_parts("220102", birth, 125).unwrap_or_else(|e| panic!("{e}"));
            let c = clean_id_number(&g, &id).expect("a clean number");
            assert_eq!((c.birth_date(), c.gender()), (birth, id.gender()));
            assert!(!dev_report(&c).blacklisted);
        }
    }
}
