//! The feature factory (特征工厂): the named features rule sets are written
//! against ([`catalogue`], one [`schema`] for every product and stage), and
//! how one application's raw facts become a [`Features`] record of that
//! schema ([`features`], pure) — the customer, the household, the
//! application, the customer's loans with us, the credit-bureau report and,
//! for the full decision, the on-site investigation. [`load_inputs`] reads
//! the facts from the database.
//!
//! A fact that is not there is a missing value, never a zero: no household
//! record leaves the household features missing, a failed bureau inquiry
//! leaves every bureau feature missing and `bureau_available` false.

use std::sync::OnceLock;

use domain::application::Decision;
use domain::date::Date;
use domain::identity::{Gender, IdNumber};
use domain::money::Fen;
use domain::rules::schema::{
    Decimal, FeatureDef, FeatureSchema, FeatureType as T, Features, SchemaError, Value,
};
use domain::view::FeatureValue;

use super::bureau::BureauReport;
use crate::customers;
use crate::db::Db;
use crate::error::ServiceError;
use crate::pfi::PfiKeys;
use crate::sql;

/// Every feature, in slot order: (name, type, Chinese label, English label).
const FEATURES: &[(&str, T, &str, &str)] = &[
    // The customer.
    ("id_number", T::Text, "身份证号", "ID number"),
    ("application_date", T::Date, "申请日期", "application date"),
    ("age", T::Int, "年龄", "age"),
    ("gender", T::Text, "性别", "gender"),
    ("occupation", T::Text, "职业", "occupation"),
    // The household (户).
    ("household_members", T::Int, "家庭人口", "household members"),
    (
        "declared_income",
        T::Money,
        "家庭年收入（登记）",
        "household income (registered)",
    ),
    ("land_area_mu", T::Decimal, "承包地面积（亩）", "land (mu)"),
    ("main_business", T::Text, "家庭主营", "household business"),
    // The application.
    ("product_code", T::Text, "产品代码", "product code"),
    ("guarantee_type", T::Text, "担保方式", "guarantee type"),
    ("amount", T::Money, "申请金额", "amount applied for"),
    ("term_months", T::Int, "申请期限（月）", "term (months)"),
    ("purpose", T::Text, "贷款用途", "loan purpose"),
    (
        "open_applications",
        T::Int,
        "其他在途申请数",
        "other open applications",
    ),
    // Loans with us.
    ("loan_count", T::Int, "本行在贷笔数", "loans with us"),
    (
        "loan_outstanding",
        T::Money,
        "本行贷款余额",
        "outstanding with us",
    ),
    (
        "max_dpd",
        T::Int,
        "本行贷款最大逾期天数",
        "max days past due with us",
    ),
    (
        "has_overdue",
        T::Bool,
        "本行贷款当前逾期",
        "overdue with us now",
    ),
    // The credit line at its renewal (续授信) only.
    ("line_limit", T::Money, "当前授信额度", "current line limit"),
    (
        "line_drawn_pct",
        T::Int,
        "期内累计用信占额度（%）",
        "drawn in the term (% of limit)",
    ),
    (
        "line_drawdowns",
        T::Int,
        "期内用信笔数",
        "drawdowns in the term",
    ),
    (
        "line_overdue_nights",
        T::Int,
        "期内累计逾期天数",
        "nights overdue in the term",
    ),
    (
        "line_months",
        T::Int,
        "授信期限（月）",
        "line term (months)",
    ),
    // The credit bureau (征信).
    (
        "bureau_available",
        T::Bool,
        "已取得征信报告",
        "bureau report obtained",
    ),
    ("bureau_score", T::Int, "征信评分", "bureau score"),
    (
        "bureau_lenders",
        T::Int,
        "借贷机构数（多头）",
        "lenders (multi-lending)",
    ),
    (
        "bureau_inquiries_3m",
        T::Int,
        "近3个月征信查询次数",
        "inquiries in 3 months",
    ),
    (
        "bureau_worst_delinquency",
        T::Int,
        "征信最长逾期（月）",
        "worst delinquency (months)",
    ),
    (
        "bureau_total_debt",
        T::Money,
        "征信负债总额",
        "debt at all lenders",
    ),
    ("blacklisted", T::Bool, "命中黑名单", "blacklisted"),
    // The on-site investigation (下户调查), full decision only.
    (
        "investigated",
        T::Bool,
        "已完成下户调查",
        "investigated on site",
    ),
    (
        "verified_income",
        T::Money,
        "调查核实年收入",
        "verified household income",
    ),
    ("household_assets", T::Money, "家庭资产", "household assets"),
    ("household_debts", T::Money, "家庭负债", "household debts"),
    (
        "investigation_recommendation",
        T::Text,
        "调查结论",
        "investigator's recommendation",
    ),
    (
        "recommended_amount",
        T::Money,
        "调查建议金额",
        "recommended amount",
    ),
    // Derived.
    (
        "income",
        T::Money,
        "年收入（核实优先）",
        "income (verified first)",
    ),
    // Written by the strategy's score stage.
    ("score", T::Int, "评分", "score"),
    ("grade", T::Text, "评分等级", "grade"),
];

/// The feature definitions, for the rule editor and the schema.
pub fn catalogue() -> Vec<FeatureDef> {
    FEATURES
        .iter()
        .map(|(name, ty, zh, en)| {
            let def = FeatureDef::new(name, *ty, zh, en);
            if *name == "id_number" {
                def.pfi()
            } else {
                def
            }
        })
        .collect()
}

/// The one schema every rule set is compiled against.
pub fn schema() -> &'static FeatureSchema {
    static SCHEMA: OnceLock<FeatureSchema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        // A fixed list checked by a test: a failure here is a programming error.
        FeatureSchema::new(catalogue()).unwrap_or_else(|e| panic!("feature catalogue: {e}"))
    })
}

/// The household facts the features read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdFacts {
    pub members: i64,
    pub annual_income: Fen,
    pub land_area_mu_x10: i64,
    pub main_business: String,
}

/// The customer's loans with us that are not settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoanFacts {
    pub count: i64,
    pub outstanding: Fen,
    pub max_dpd: i64,
    pub overdue: bool,
}

/// How a credit line was used and repaid in its term, for its renewal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineFacts {
    pub limit: Fen,
    /// The principal of every loan drawn on the line in its term.
    pub drawn: Fen,
    pub drawdowns: i64,
    /// Nights any loan drawn on the line spent overdue (its penalty
    /// accruals).
    pub overdue_nights: i64,
    /// Whole months from the grant (or the last renewal) to the expiry.
    pub months: i64,
}

impl LineFacts {
    /// What was drawn as a whole percentage of the limit (above 100 when a
    /// revolving line was drawn again after repayment).
    pub fn drawn_pct(&self) -> i64 {
        if self.limit.get() <= 0 {
            return 0;
        }
        i64::try_from(i128::from(self.drawn.get()) * 100 / i128::from(self.limit.get()))
            .unwrap_or(i64::MAX)
    }
}

/// What the investigator found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvestigationFacts {
    pub income: Fen,
    pub assets: Fen,
    pub debts: Fen,
    pub recommendation: Decision,
    pub recommended_amount: Fen,
}

/// One application's raw facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureInputs {
    pub id_number: Option<IdNumber>,
    pub application_date: Date,
    pub gender: Option<Gender>,
    pub occupation: String,
    pub household: Option<HouseholdFacts>,
    pub product_code: String,
    pub guarantee_type: String,
    pub amount: Fen,
    pub term_months: u32,
    pub purpose: String,
    pub open_applications: i64,
    pub loans: LoanFacts,
    /// `None` when the inquiry failed, timed out or was not made.
    pub bureau: Option<BureauReport>,
    /// `None` before the on-site investigation.
    pub investigation: Option<InvestigationFacts>,
    /// `None` but for a line's renewal.
    pub line: Option<LineFacts>,
}

/// The record for one application, typed by [`schema`].
pub fn features(i: &FeatureInputs) -> Result<Features, SchemaError> {
    let s = schema();
    let mut f = s.record();
    let mut set = |name: &str, v: Value| s.set(&mut f, name, v);
    let text = |t: &str| {
        if t.trim().is_empty() {
            Value::Missing
        } else {
            Value::Text(t.trim().to_owned())
        }
    };

    set("id_number", i.id_number.clone().into())?;
    set("application_date", i.application_date.into())?;
    set(
        "age",
        i.id_number
            .as_ref()
            .map(|id| i64::from(id.age_on(i.application_date)))
            .into(),
    )?;
    set("gender", i.gender.map(|g| g.as_str()).into())?;
    set("occupation", text(&i.occupation))?;

    let h = i.household.as_ref();
    set("household_members", h.map(|h| h.members).into())?;
    set("declared_income", h.map(|h| h.annual_income).into())?;
    set(
        "land_area_mu",
        h.map(|h| Decimal(h.land_area_mu_x10 * (Decimal::SCALE / 10)))
            .into(),
    )?;
    set(
        "main_business",
        h.map_or(Value::Missing, |h| text(&h.main_business)),
    )?;

    set("product_code", text(&i.product_code))?;
    set("guarantee_type", text(&i.guarantee_type))?;
    set("amount", i.amount.into())?;
    set("term_months", i64::from(i.term_months).into())?;
    set("purpose", text(&i.purpose))?;
    set("open_applications", i.open_applications.into())?;

    set("loan_count", i.loans.count.into())?;
    set("loan_outstanding", i.loans.outstanding.into())?;
    set("max_dpd", i.loans.max_dpd.into())?;
    set("has_overdue", i.loans.overdue.into())?;

    let l = i.line.as_ref();
    set("line_limit", l.map(|l| l.limit).into())?;
    set("line_drawn_pct", l.map(LineFacts::drawn_pct).into())?;
    set("line_drawdowns", l.map(|l| l.drawdowns).into())?;
    set("line_overdue_nights", l.map(|l| l.overdue_nights).into())?;
    set("line_months", l.map(|l| l.months).into())?;

    let b = i.bureau.as_ref();
    set("bureau_available", b.is_some().into())?;
    set("bureau_score", b.and_then(|b| b.score).into())?;
    set("bureau_lenders", b.map(|b| b.lenders).into())?;
    set("bureau_inquiries_3m", b.map(|b| b.inquiries_3m).into())?;
    set(
        "bureau_worst_delinquency",
        b.map(|b| b.worst_delinquency).into(),
    )?;
    set("bureau_total_debt", b.map(|b| b.total_debt).into())?;
    set("blacklisted", b.map(|b| b.blacklisted).into())?;

    let v = i.investigation.as_ref();
    set("investigated", v.is_some().into())?;
    set("verified_income", v.map(|v| v.income).into())?;
    set("household_assets", v.map(|v| v.assets).into())?;
    set("household_debts", v.map(|v| v.debts).into())?;
    set(
        "investigation_recommendation",
        v.map(|v| v.recommendation.as_str()).into(),
    )?;
    set("recommended_amount", v.map(|v| v.recommended_amount).into())?;

    let income = v.map(|v| v.income).or(h.map(|h| h.annual_income));
    set("income", income.into())?;
    Ok(f)
}

/// The record as name/label/value triples for storing and showing; personal
/// financial information masked.
pub fn values(f: &Features) -> Vec<FeatureValue> {
    let s = schema();
    s.defs()
        .iter()
        .zip(f.values())
        .map(|(d, v)| FeatureValue {
            name: d.name.clone(),
            label_zh: d.label_zh.clone(),
            label_en: d.label_en.clone(),
            value: match v {
                Value::Text(t) if d.pfi => Value::Text(domain::identity::mask_id_number(t)),
                other => other.clone(),
            },
        })
        .collect()
}

/// Reads an application's facts (all but the bureau report, which the
/// caller obtains) from the database.
pub(crate) async fn load_inputs(
    db: &Db,
    keys: &PfiKeys,
    application_id: &str,
    bureau: Option<BureauReport>,
) -> Result<FeatureInputs, ServiceError> {
    let a = sqlx::query(
        "SELECT a.customer_id, a.amount_fen, a.term_months, a.purpose, a.submitted_on, \
                p.code, COALESCE(a.guarantee_type, p.guarantee_type) AS guarantee_type, \
                c.id_number_sealed, c.gender, c.occupation, c.household_id \
         FROM applications a JOIN customers c ON c.id = a.customer_id \
         JOIN products p ON p.id = a.product_id WHERE a.id = $1",
    )
    .bind(application_id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(ServiceError::NotFound)?;
    let customer_id = sql::text(&a, "customer_id")?;
    let person = person_facts_of(db, keys, &a).await?;
    let loans = loan_facts(db, &customer_id).await?;
    let open = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM applications \
         WHERE customer_id = $1 AND id <> $2 AND status IN ('submitted', 'investigated')",
    )
    .bind(&customer_id)
    .bind(application_id)
    .fetch_one(&db.pool)
    .await?;
    let investigation = sqlx::query(
        "SELECT household_income_fen, household_assets_fen, household_debts_fen, \
                recommendation, recommended_amount_fen \
         FROM investigations WHERE application_id = $1",
    )
    .bind(application_id)
    .fetch_optional(&db.pool)
    .await?
    .map(|i| -> Result<InvestigationFacts, ServiceError> {
        Ok(InvestigationFacts {
            income: sql::fen(&i, "household_income_fen")?,
            assets: sql::fen(&i, "household_assets_fen")?,
            debts: sql::fen(&i, "household_debts_fen")?,
            recommendation: sql::decision(&i, "recommendation")?,
            recommended_amount: sql::fen(&i, "recommended_amount_fen")?,
        })
    })
    .transpose()?;
    Ok(FeatureInputs {
        id_number: person.id_number,
        application_date: sql::date(&a, "submitted_on")?,
        gender: person.gender,
        occupation: person.occupation,
        household: person.household,
        product_code: sql::text(&a, "code")?,
        guarantee_type: sql::text(&a, "guarantee_type")?,
        amount: sql::fen(&a, "amount_fen")?,
        term_months: sql::uint(&a, "term_months")?,
        purpose: sql::text(&a, "purpose")?,
        open_applications: sql::int(&open, "n")?,
        loans,
        bureau,
        investigation,
        line: None,
    })
}

/// The customer and their household, as the features read them.
pub(crate) struct PersonFacts {
    pub id_number: Option<IdNumber>,
    pub gender: Option<Gender>,
    pub occupation: String,
    pub household: Option<HouseholdFacts>,
}

pub(crate) async fn person_facts(
    db: &Db,
    keys: &PfiKeys,
    customer_id: &str,
) -> Result<PersonFacts, ServiceError> {
    let c = sqlx::query(
        "SELECT id_number_sealed, gender, occupation, household_id FROM customers WHERE id = $1",
    )
    .bind(customer_id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(ServiceError::NotFound)?;
    person_facts_of(db, keys, &c).await
}

/// The facts of a row holding the customer's `id_number_sealed`, `gender`,
/// `occupation` and `household_id` (the application's read joins them).
async fn person_facts_of(
    db: &Db,
    keys: &PfiKeys,
    c: &sqlx::any::AnyRow,
) -> Result<PersonFacts, ServiceError> {
    let household = match sql::opt_text(c, "household_id")? {
        None => None,
        Some(hid) => sqlx::query(
            "SELECT members, annual_income_fen, land_area_mu_x10, main_business \
             FROM households WHERE id = $1",
        )
        .bind(hid)
        .fetch_optional(&db.pool)
        .await?
        .map(|h| -> Result<HouseholdFacts, ServiceError> {
            Ok(HouseholdFacts {
                members: sql::int(&h, "members")?,
                annual_income: sql::fen(&h, "annual_income_fen")?,
                land_area_mu_x10: sql::int(&h, "land_area_mu_x10")?,
                main_business: sql::text(&h, "main_business")?,
            })
        })
        .transpose()?,
    };
    Ok(PersonFacts {
        // A stored number that no longer parses leaves the age missing
        // (→ the age rules cannot pass it), rather than failing the decision.
        id_number: IdNumber::parse(&customers::id_number_of(keys, c)?).ok(),
        gender: Gender::parse(&sql::text(c, "gender")?),
        occupation: sql::text(c, "occupation")?,
        household,
    })
}

/// The customer's loans with us that are not settled.
pub(crate) async fn loan_facts(db: &Db, customer_id: &str) -> Result<LoanFacts, ServiceError> {
    let l = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n, \
                CAST(COALESCE(SUM(la.principal_outstanding_fen), 0) AS BIGINT) AS outstanding, \
                CAST(COALESCE(MAX(la.dpd), 0) AS BIGINT) AS max_dpd, \
                CAST(COALESCE(SUM(CASE WHEN la.status = 'overdue' OR la.dpd > 0 \
                                  THEN 1 ELSE 0 END), 0) AS BIGINT) AS overdue \
         FROM loan_accounts la JOIN loans l ON l.id = la.loan_id \
         WHERE l.customer_id = $1 AND la.status IN ('normal', 'overdue')",
    )
    .bind(customer_id)
    .fetch_one(&db.pool)
    .await?;
    Ok(LoanFacts {
        count: sql::int(&l, "n")?,
        outstanding: sql::fen(&l, "outstanding")?,
        max_dpd: sql::int(&l, "max_dpd")?,
        overdue: sql::int(&l, "overdue")? > 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> FeatureInputs {
        let birth = Date::new(1977, 5, 20).unwrap_or(Date::MIN);
        FeatureInputs {
            id_number: IdNumber::from_parts("220102", birth, 124).ok(),
            application_date: Date::new(2026, 11, 24).unwrap_or(Date::MIN),
            gender: Some(Gender::Female),
            occupation: "务农".into(),
            household: Some(HouseholdFacts {
                members: 4,
                annual_income: Fen::from_yuan(126_000),
                land_area_mu_x10: 185,
                main_business: "玉米种植".into(),
            }),
            product_code: "HNED".into(),
            guarantee_type: "credit".into(),
            amount: Fen::from_yuan(50_000),
            term_months: 12,
            purpose: "购买化肥种子".into(),
            open_applications: 0,
            loans: LoanFacts::default(),
            bureau: None,
            investigation: None,
            line: None,
        }
    }

    fn get<'a>(f: &'a Features, name: &str) -> &'a Value {
        f.get(schema().slot(name).unwrap_or_else(|| panic!("{name}")))
    }

    #[test]
    fn the_catalogue_is_a_valid_schema() {
        assert_eq!(schema().len(), FEATURES.len());
        assert!(
            schema()
                .def(schema().slot("id_number").unwrap())
                .unwrap()
                .pfi
        );
    }

    #[test]
    fn facts_become_typed_features() {
        let f = features(&inputs()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(get(&f, "age"), &Value::Int(49));
        assert_eq!(get(&f, "gender"), &Value::Text("female".into()));
        assert_eq!(get(&f, "land_area_mu"), &Value::Decimal(Decimal(185_000)));
        assert_eq!(get(&f, "income"), &Value::Money(Fen::from_yuan(126_000)));
        assert_eq!(get(&f, "loan_count"), &Value::Int(0));
        // No bureau report: every bureau feature missing, availability false.
        assert_eq!(get(&f, "bureau_available"), &Value::Bool(false));
        assert!(get(&f, "bureau_score").is_missing());
        assert!(get(&f, "blacklisted").is_missing());
        assert_eq!(get(&f, "investigated"), &Value::Bool(false));
        assert!(get(&f, "verified_income").is_missing());
        assert!(get(&f, "score").is_missing());
        // The stored values mask the ID number.
        let v = values(&f);
        assert!(matches!(&v[0].value, Value::Text(t) if t.contains("**********")));
    }

    #[test]
    fn the_investigation_and_report_fill_their_features() {
        let mut i = inputs();
        i.household = None;
        i.occupation = "  ".into();
        i.investigation = Some(InvestigationFacts {
            income: Fen::from_yuan(98_000),
            assets: Fen::from_yuan(400_000),
            debts: Fen::from_yuan(20_000),
            recommendation: Decision::Approve,
            recommended_amount: Fen::from_yuan(50_000),
        });
        i.bureau = Some(BureauReport {
            provider: "DEV".into(),
            report_id: "DEV-1".into(),
            synthetic: true,
            score: None,
            lenders: 0,
            inquiries_3m: 1,
            worst_delinquency: 0,
            total_debt: Fen::ZERO,
            blacklisted: false,
        });
        let f = features(&i).unwrap_or_else(|e| panic!("{e}"));
        // Verified income wins; no household leaves its features missing.
        assert_eq!(get(&f, "income"), &Value::Money(Fen::from_yuan(98_000)));
        assert!(get(&f, "declared_income").is_missing());
        assert!(get(&f, "occupation").is_missing());
        assert_eq!(get(&f, "bureau_available"), &Value::Bool(true));
        // A thin file (白户) has no score: missing, not zero.
        assert!(get(&f, "bureau_score").is_missing());
        assert_eq!(get(&f, "blacklisted"), &Value::Bool(false));
        assert_eq!(
            get(&f, "investigation_recommendation"),
            &Value::Text("approve".into())
        );
    }
}
