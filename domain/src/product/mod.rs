//! The product factory (产品工厂), pure part: a loan product's parameters
//! ([`ProductParams`]), sub-products (子产品) that inherit them and override
//! some ([`ProductOverride`], [`resolve`]), the validation that refuses a
//! product that contradicts itself, its parent or the bank's own limits
//! ([`BankPolicy`]), and the version life cycle ([`version`]).
//!
//! A banker's summary: a product says how much (amount, in fen), for how long
//! (term, in months), at what price (rate, in basis points: 435 = 4.35 %),
//! how it is repaid, how it is secured, who may apply and where, what papers
//! and what investigation form are needed, and which rule sets and which
//! approval flow decide it. A regional sub-product (e.g. one per county) copies
//! its parent and changes only what it names; it may narrow the parent,
//! never widen it. Only a [`ResolvedProduct`] — every field filled in and
//! checked — can be used by an application.

pub mod version;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::duty::DutyPolicy;
use crate::error_code::ErrorCode;
use crate::money::Fen;
use crate::rate::AnnualRate;
use crate::rules::lifecycle::DecisionStage;
use crate::schedule::{RepaymentMethod, MAX_PRINCIPAL, MAX_TERM_MONTHS};

/// How a loan is secured (担保方式).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuaranteeType {
    /// 信用: unsecured, on the customer's credit.
    Credit,
    /// 保证: a guarantor (保证人) answers for the loan.
    Guarantor,
    /// 抵押: mortgage on property (house, land-use right…).
    Mortgage,
    /// 质押: pledge of a movable or a right (deposit slip, receivables…).
    Pledge,
}

impl GuaranteeType {
    pub const ALL: [GuaranteeType; 4] = [
        GuaranteeType::Credit,
        GuaranteeType::Guarantor,
        GuaranteeType::Mortgage,
        GuaranteeType::Pledge,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GuaranteeType::Credit => "credit",
            GuaranteeType::Guarantor => "guarantor",
            GuaranteeType::Mortgage => "mortgage",
            GuaranteeType::Pledge => "pledge",
        }
    }

    pub fn parse(s: &str) -> Option<GuaranteeType> {
        Self::ALL.into_iter().find(|g| g.as_str() == s)
    }

    /// Mortgage and pledge loans are paid out only against collateral.
    pub fn needs_collateral(self) -> bool {
        matches!(self, GuaranteeType::Mortgage | GuaranteeType::Pledge)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            GuaranteeType::Credit => "信用",
            GuaranteeType::Guarantor => "保证",
            GuaranteeType::Mortgage => "抵押",
            GuaranteeType::Pledge => "质押",
        }
    }
}

/// An inclusive range `min..=max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Bounds<T> {
    pub min: T,
    pub max: T,
}

impl<T: PartialOrd + Copy> Bounds<T> {
    pub fn new(min: T, max: T) -> Bounds<T> {
        Bounds { min, max }
    }

    pub fn contains(&self, v: T) -> bool {
        self.min <= v && v <= self.max
    }

    /// Is all of `self` inside `outer`?
    pub fn within(&self, outer: &Bounds<T>) -> bool {
        outer.min <= self.min && self.max <= outer.max
    }

    fn inverted(&self) -> bool {
        self.min > self.max
    }
}

/// Who may apply, and where (目标客群). An empty list means "no limit".
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TargetCustomers {
    /// Administrative region codes (行政区划代码) of the customer's residence.
    pub region_codes: Vec<String>,
    /// Branches (支行) that may take applications.
    pub branch_codes: Vec<String>,
    /// Age in whole years at application.
    pub age: Bounds<u32>,
    /// Occupation codes, e.g. "farmer", "individual_business".
    pub occupations: Vec<String>,
}

/// What the service knows of a would-be applicant, to decide whether a
/// product is offered to them at all (the customer's product list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applicant {
    pub region_code: String,
    pub branch_code: String,
    pub age: u32,
    pub occupation: String,
}

/// Administrative region codes (行政区划代码) as a product manager types
/// them: six digits each, separated by commas (either width), 、 or spaces.
/// Returns the first entry that is not a code.
pub fn parse_region_codes(s: &str) -> Result<Vec<String>, String> {
    let codes: Vec<String> = s
        .split(|c: char| c == ',' || c == '，' || c == '、' || c.is_whitespace())
        .filter(|r| !r.is_empty())
        .map(str::to_string)
        .collect();
    match codes
        .iter()
        .find(|r| r.len() != 6 || !r.bytes().all(|b| b.is_ascii_digit()))
    {
        Some(bad) => Err(bad.clone()),
        None => Ok(codes),
    }
}

/// A document the customer or officer must provide (申请材料).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DocumentRequirement {
    /// Stable code, e.g. "id_card", "marriage_certificate", "property_deed".
    pub code: String,
    pub label_zh: String,
    /// Optional documents are asked for but do not block the application.
    pub required: bool,
}

/// The kind of answer an investigation form field takes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum FieldKind {
    Text,
    Integer,
    /// An amount in fen.
    Money,
    Date,
    YesNo,
    Photo,
    /// One of the given option codes.
    Choice {
        options: Vec<String>,
    },
}

/// One field of the on-site investigation form (调查表).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FormField {
    /// Stable key, also the feature name the rule engine may read.
    pub key: String,
    pub label_zh: String,
    pub kind: FieldKind,
    pub required: bool,
}

/// Pricing (定价): the base rate and how far the decision engine's pricing
/// strategy may move it for one customer, all in basis points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Pricing {
    pub base_rate_bp: u32,
    /// The most the engine may take off the base rate (优惠).
    pub max_discount_bp: u32,
    /// The most the engine may add to the base rate (上浮).
    pub max_markup_bp: u32,
}

impl Pricing {
    /// The lowest and highest rate the engine could set.
    pub fn reachable(&self) -> Bounds<u32> {
        Bounds {
            min: self.base_rate_bp.saturating_sub(self.max_discount_bp),
            max: self.base_rate_bp.saturating_add(self.max_markup_bp),
        }
    }

    /// The rate for an engine adjustment (negative = discount), clamped to
    /// what this pricing allows.
    pub fn apply(&self, adjustment_bp: i32) -> u32 {
        let r = self.reachable();
        let rate = i64::from(self.base_rate_bp) + i64::from(adjustment_bp);
        rate.clamp(i64::from(r.min), i64::from(r.max)) as u32
    }
}

/// Which approval flow template, at which version, a product uses.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FlowRef {
    pub template_code: String,
    pub version: u32,
}

/// Every parameter of a product, all filled in. A top-level product is one
/// of these; a sub-product is its parent's, with a [`ProductOverride`] applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductParams {
    pub amount: Bounds<Fen>,
    pub term_months: Bounds<u32>,
    /// The annual rate range, in basis points (利率区间).
    pub rate_bp: Bounds<u32>,
    pub repayment_methods: Vec<RepaymentMethod>,
    pub guarantee_types: Vec<GuaranteeType>,
    pub target: TargetCustomers,
    pub documents: Vec<DocumentRequirement>,
    pub investigation_fields: Vec<FormField>,
    pub pricing: Pricing,
    /// A revolving credit line (循环额度): repaid credit may be drawn again.
    pub revolving: bool,
    /// The rule set (by code) the decision engine runs at each stage.
    pub rule_sets: BTreeMap<DecisionStage, String>,
    pub flow: FlowRef,
    pub duty: DutyPolicy,
    /// The product's own cap on the loan-to-value ratio (抵质押率上限), in
    /// basis points (7000 = 70 %); `None`: the bank's usual cap of each kind
    /// of collateral (`domain::collateral`). A lower one of the two holds.
    #[serde(default)]
    pub ltv_cap_bp: Option<u32>,
}

/// What a sub-product changes; `None` keeps the parent's value.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProductOverride {
    pub amount: Option<Bounds<Fen>>,
    pub term_months: Option<Bounds<u32>>,
    pub rate_bp: Option<Bounds<u32>>,
    pub repayment_methods: Option<Vec<RepaymentMethod>>,
    pub guarantee_types: Option<Vec<GuaranteeType>>,
    pub region_codes: Option<Vec<String>>,
    pub branch_codes: Option<Vec<String>>,
    pub age: Option<Bounds<u32>>,
    pub occupations: Option<Vec<String>>,
    pub documents: Option<Vec<DocumentRequirement>>,
    pub investigation_fields: Option<Vec<FormField>>,
    pub pricing: Option<Pricing>,
    pub revolving: Option<bool>,
    pub rule_sets: Option<BTreeMap<DecisionStage, String>>,
    pub flow: Option<FlowRef>,
    pub duty: Option<DutyPolicy>,
    /// `Some(None)` removes the product's own cap (a top-level product only).
    #[serde(default)]
    pub ltv_cap_bp: Option<Option<u32>>,
}

impl ProductOverride {
    /// The same override without the values that equal the parent's: a form
    /// prefilled from the parent posts every field, but only what the manager
    /// changed is the sub-product's own; the rest stays inherited.
    pub fn changes_from(mut self, parent: &ProductParams) -> ProductOverride {
        fn keep<T: PartialEq>(o: &mut Option<T>, parent: &T) {
            if o.as_ref() == Some(parent) {
                *o = None;
            }
        }
        let t = &parent.target;
        keep(&mut self.amount, &parent.amount);
        keep(&mut self.term_months, &parent.term_months);
        keep(&mut self.rate_bp, &parent.rate_bp);
        keep(&mut self.repayment_methods, &parent.repayment_methods);
        keep(&mut self.guarantee_types, &parent.guarantee_types);
        keep(&mut self.region_codes, &t.region_codes);
        keep(&mut self.branch_codes, &t.branch_codes);
        keep(&mut self.age, &t.age);
        keep(&mut self.occupations, &t.occupations);
        keep(&mut self.documents, &parent.documents);
        keep(&mut self.investigation_fields, &parent.investigation_fields);
        keep(&mut self.pricing, &parent.pricing);
        keep(&mut self.revolving, &parent.revolving);
        keep(&mut self.rule_sets, &parent.rule_sets);
        keep(&mut self.flow, &parent.flow);
        keep(&mut self.duty, &parent.duty);
        keep(&mut self.ltv_cap_bp, &parent.ltv_cap_bp);
        self
    }
}

impl ProductOverride {
    /// `base` with these changes: a sub-product's parameters over its
    /// parent's, or a new version's over the version it follows. Nothing is
    /// checked here ([`check_params`] and [`check_narrows`] do).
    pub fn apply_to(&self, p: &ProductParams) -> ProductParams {
        let pick =
            |o: &Option<Vec<String>>, v: &Vec<String>| o.clone().unwrap_or_else(|| v.clone());
        ProductParams {
            amount: self.amount.unwrap_or(p.amount),
            term_months: self.term_months.unwrap_or(p.term_months),
            rate_bp: self.rate_bp.unwrap_or(p.rate_bp),
            repayment_methods: self
                .repayment_methods
                .clone()
                .unwrap_or_else(|| p.repayment_methods.clone()),
            guarantee_types: self
                .guarantee_types
                .clone()
                .unwrap_or_else(|| p.guarantee_types.clone()),
            target: TargetCustomers {
                region_codes: pick(&self.region_codes, &p.target.region_codes),
                branch_codes: pick(&self.branch_codes, &p.target.branch_codes),
                age: self.age.unwrap_or(p.target.age),
                occupations: pick(&self.occupations, &p.target.occupations),
            },
            documents: self
                .documents
                .clone()
                .unwrap_or_else(|| p.documents.clone()),
            investigation_fields: self
                .investigation_fields
                .clone()
                .unwrap_or_else(|| p.investigation_fields.clone()),
            pricing: self.pricing.unwrap_or(p.pricing),
            revolving: self.revolving.unwrap_or(p.revolving),
            rule_sets: self
                .rule_sets
                .clone()
                .unwrap_or_else(|| p.rule_sets.clone()),
            flow: self.flow.clone().unwrap_or_else(|| p.flow.clone()),
            duty: self.duty.clone().unwrap_or_else(|| p.duty.clone()),
            ltv_cap_bp: self.ltv_cap_bp.unwrap_or(p.ltv_cap_bp),
        }
    }
}

/// The applicant's choice among what a product offers (its repayment
/// methods, its guarantee types): the one asked for when the product offers
/// it, the product's first (its default) when none was asked; `None` when
/// the one asked for is not offered.
pub fn choose<T: Copy + PartialEq>(offered: &[T], asked: Option<T>) -> Option<T> {
    match asked {
        Some(a) => offered.contains(&a).then_some(a),
        None => offered.first().copied(),
    }
}

/// The bank's own outer limits (全行政策), set by its risk committee: no
/// product or sub-product may go beyond them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BankPolicy {
    pub amount: Bounds<Fen>,
    pub term_months: Bounds<u32>,
    pub rate_bp: Bounds<u32>,
    pub applicant_age: Bounds<u32>,
}

impl BankPolicy {
    /// The widest limits the platform itself can compute with: amounts up to
    /// the schedule maximum, terms up to 40 years, any valid rate, adults
    /// (18) up to 100.
    pub fn platform() -> BankPolicy {
        BankPolicy {
            amount: Bounds::new(Fen(1), MAX_PRINCIPAL),
            term_months: Bounds::new(1, MAX_TERM_MONTHS),
            rate_bp: Bounds::new(AnnualRate::MIN_BP, AnnualRate::MAX_BP),
            applicant_age: Bounds::new(18, 100),
        }
    }
}

/// The field a [`ProductError`] is about: the form field to highlight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductField {
    Amount,
    TermMonths,
    RateBp,
    RepaymentMethods,
    GuaranteeTypes,
    RegionCodes,
    BranchCodes,
    Age,
    Occupations,
    Documents,
    InvestigationFields,
    Pricing,
    Revolving,
    RuleSets,
    Flow,
    Duty,
    LtvCap,
}

impl ProductField {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Amount => "amount",
            Self::TermMonths => "term_months",
            Self::RateBp => "rate_bp",
            Self::RepaymentMethods => "repayment_methods",
            Self::GuaranteeTypes => "guarantee_types",
            Self::RegionCodes => "region_codes",
            Self::BranchCodes => "branch_codes",
            Self::Age => "age",
            Self::Occupations => "occupations",
            Self::Documents => "documents",
            Self::InvestigationFields => "investigation_fields",
            Self::Pricing => "pricing",
            Self::Revolving => "revolving",
            Self::RuleSets => "rule_sets",
            Self::Flow => "flow",
            Self::Duty => "duty",
            Self::LtvCap => "ltv_cap",
        }
    }
}

/// Why a product definition is refused. Each names the offending field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error, Serialize, Deserialize)]
pub enum ProductError {
    /// The minimum is above the maximum.
    #[error("{}: the minimum is above the maximum", field.as_str())]
    RangeInverted { field: ProductField },
    /// Outside what the bank allows ([`BankPolicy`]).
    #[error("{}: outside the bank's limits", field.as_str())]
    OutsideBankPolicy { field: ProductField },
    /// A sub-product reaching beyond its parent.
    #[error("{}: a sub-product may narrow its parent, not widen it", field.as_str())]
    WidensParent { field: ProductField },
    #[error("{}: at least one entry is needed", field.as_str())]
    EmptyList { field: ProductField },
    #[error("{}: an entry appears twice", field.as_str())]
    DuplicateEntry { field: ProductField },
    #[error("{}: an entry is blank", field.as_str())]
    BlankEntry { field: ProductField },
    /// The base rate is outside the product's rate range.
    #[error("the base rate is outside the product's rate range")]
    BaseRateOutsideRange { field: ProductField },
    /// The engine could move the rate outside the product's rate range.
    #[error("the pricing adjustments reach outside the product's rate range")]
    AdjustmentOutsideRange { field: ProductField },
    /// Draw-and-repay-any-time (随借随还) needs a revolving line.
    #[error("the revolving repayment method needs a revolving credit line")]
    RevolvingMethodWithoutLine { field: ProductField },
    /// Duty bands must be in ascending amount order.
    #[error("the duty-mode amount bands are not in ascending order")]
    DutyBandsUnordered { field: ProductField },
    #[error("{}: a required reference is missing", field.as_str())]
    MissingReference { field: ProductField },
}

impl ProductError {
    /// Its [`ErrorCode`], which chooses the message the user reads.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::RangeInverted { .. } => ErrorCode::ProductRangeInverted,
            Self::OutsideBankPolicy { .. } => ErrorCode::ProductOutsideBankPolicy,
            Self::WidensParent { .. } => ErrorCode::ProductWidensParent,
            Self::EmptyList { .. } => ErrorCode::ProductEmptyList,
            Self::DuplicateEntry { .. } => ErrorCode::ProductDuplicateEntry,
            Self::BlankEntry { .. } => ErrorCode::ProductBlankEntry,
            Self::BaseRateOutsideRange { .. } => ErrorCode::ProductBaseRateOutsideRange,
            Self::AdjustmentOutsideRange { .. } => ErrorCode::ProductAdjustmentOutsideRange,
            Self::RevolvingMethodWithoutLine { .. } => ErrorCode::ProductRevolvingMethodWithoutLine,
            Self::DutyBandsUnordered { .. } => ErrorCode::ProductDutyBandsUnordered,
            Self::MissingReference { .. } => ErrorCode::ProductMissingReference,
        }
    }

    /// The field to highlight.
    pub fn field(&self) -> ProductField {
        match *self {
            Self::RangeInverted { field }
            | Self::OutsideBankPolicy { field }
            | Self::WidensParent { field }
            | Self::EmptyList { field }
            | Self::DuplicateEntry { field }
            | Self::BlankEntry { field }
            | Self::BaseRateOutsideRange { field }
            | Self::AdjustmentOutsideRange { field }
            | Self::RevolvingMethodWithoutLine { field }
            | Self::DutyBandsUnordered { field }
            | Self::MissingReference { field } => field,
        }
    }
}

/// A product whose every parameter is filled in and checked: the only form
/// an application may be made against. Built by [`ResolvedProduct::root`] or
/// [`resolve`]; read through [`ResolvedProduct::params`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolvedProduct(ProductParams);

impl ResolvedProduct {
    /// Checks a top-level product against the bank's limits. All problems are
    /// reported, so the form can show every one at once.
    pub fn root(params: ProductParams, policy: &BankPolicy) -> Result<Self, Vec<ProductError>> {
        let errors = check_params(&params, policy);
        if errors.is_empty() {
            Ok(ResolvedProduct(params))
        } else {
            Err(errors)
        }
    }

    pub fn params(&self) -> &ProductParams {
        &self.0
    }

    pub fn into_params(self) -> ProductParams {
        self.0
    }

    /// May this person apply (the customer's product list shows only these)?
    pub fn offered_to(&self, a: &Applicant) -> bool {
        let t = &self.0.target;
        let listed = |list: &[String], v: &str| list.is_empty() || list.iter().any(|x| x == v);
        listed(&t.region_codes, &a.region_code)
            && listed(&t.branch_codes, &a.branch_code)
            && listed(&t.occupations, &a.occupation)
            && t.age.contains(a.age)
    }
}

/// A sub-product: the parent's parameters with `child`'s overrides applied,
/// checked on its own and against the parent (narrow, never widen) and the
/// bank's limits. A chain of sub-products resolves one level at a time.
pub fn resolve(
    parent: &ResolvedProduct,
    child: &ProductOverride,
    policy: &BankPolicy,
) -> Result<ResolvedProduct, Vec<ProductError>> {
    let p = parent.params();
    let merged = child.apply_to(p);
    let mut errors = check_params(&merged, policy);
    errors.extend(check_narrows(p, &merged));
    if errors.is_empty() {
        Ok(ResolvedProduct(merged))
    } else {
        Err(errors)
    }
}

/// Every contradiction inside one set of parameters, in field order.
pub fn check_params(p: &ProductParams, policy: &BankPolicy) -> Vec<ProductError> {
    use ProductError as E;
    use ProductField as F;
    let mut errors = Vec::new();

    range(&mut errors, F::Amount, &p.amount, &policy.amount);
    range(
        &mut errors,
        F::TermMonths,
        &p.term_months,
        &policy.term_months,
    );
    range(&mut errors, F::RateBp, &p.rate_bp, &policy.rate_bp);
    list(
        &mut errors,
        F::RepaymentMethods,
        &p.repayment_methods,
        false,
    );
    if p.repayment_methods.contains(&RepaymentMethod::Revolving) && !p.revolving {
        errors.push(E::RevolvingMethodWithoutLine {
            field: F::RepaymentMethods,
        });
    }
    list(&mut errors, F::GuaranteeTypes, &p.guarantee_types, false);
    strings(&mut errors, F::RegionCodes, p.target.region_codes.iter());
    strings(&mut errors, F::BranchCodes, p.target.branch_codes.iter());
    range(&mut errors, F::Age, &p.target.age, &policy.applicant_age);
    strings(&mut errors, F::Occupations, p.target.occupations.iter());
    strings(
        &mut errors,
        F::Documents,
        p.documents.iter().map(|d| &d.code),
    );
    // The customer and the officer know a document by its name.
    strings(
        &mut errors,
        F::Documents,
        p.documents.iter().map(|d| &d.label_zh),
    );
    strings(
        &mut errors,
        F::InvestigationFields,
        p.investigation_fields.iter().map(|f| &f.key),
    );
    for f in &p.investigation_fields {
        if let FieldKind::Choice { options } = &f.kind {
            if options.is_empty() {
                errors.push(E::EmptyList {
                    field: F::InvestigationFields,
                });
            }
            strings(&mut errors, F::InvestigationFields, options.iter());
        }
    }
    if !p.rate_bp.contains(p.pricing.base_rate_bp) {
        errors.push(E::BaseRateOutsideRange { field: F::Pricing });
    } else if !p.pricing.reachable().within(&p.rate_bp) {
        errors.push(E::AdjustmentOutsideRange { field: F::Pricing });
    }
    if p.rule_sets.values().any(|r| r.trim().is_empty()) {
        errors.push(E::BlankEntry { field: F::RuleSets });
    }
    if p.flow.template_code.trim().is_empty() {
        errors.push(E::MissingReference { field: F::Flow });
    }
    if !p.duty.is_ordered() {
        errors.push(E::DutyBandsUnordered { field: F::Duty });
    }
    if p.ltv_cap_bp.is_some_and(|c| !(1..=10_000).contains(&c)) {
        errors.push(E::OutsideBankPolicy { field: F::LtvCap });
    }
    errors.dedup();
    errors
}

/// Where `child` reaches beyond `parent`: checked when a sub-product is
/// drafted or published, and when a new version of its parent is published
/// (the sub-product's live version must still fit inside it).
pub fn check_narrows(parent: &ProductParams, child: &ProductParams) -> Vec<ProductError> {
    use ProductField as F;
    let mut widened = Vec::new();
    if !child.amount.within(&parent.amount) {
        widened.push(F::Amount);
    }
    if !child.term_months.within(&parent.term_months) {
        widened.push(F::TermMonths);
    }
    if !child.rate_bp.within(&parent.rate_bp) {
        widened.push(F::RateBp);
    }
    if !subset(&child.repayment_methods, &parent.repayment_methods) {
        widened.push(F::RepaymentMethods);
    }
    if !subset(&child.guarantee_types, &parent.guarantee_types) {
        widened.push(F::GuaranteeTypes);
    }
    let t = (&child.target, &parent.target);
    if !narrower_list(&t.0.region_codes, &t.1.region_codes) {
        widened.push(F::RegionCodes);
    }
    if !narrower_list(&t.0.branch_codes, &t.1.branch_codes) {
        widened.push(F::BranchCodes);
    }
    if !t.0.age.within(&t.1.age) {
        widened.push(F::Age);
    }
    if !narrower_list(&t.0.occupations, &t.1.occupations) {
        widened.push(F::Occupations);
    }
    // A sub-product may drop optional papers but never a required one.
    let required = |p: &ProductParams| -> Vec<String> {
        p.documents
            .iter()
            .filter(|d| d.required)
            .map(|d| d.code.clone())
            .collect()
    };
    if !subset(&required(parent), &required(child)) {
        widened.push(F::Documents);
    }
    let (cp, pp) = (child.pricing, parent.pricing);
    if cp.max_discount_bp > pp.max_discount_bp || cp.max_markup_bp > pp.max_markup_bp {
        widened.push(F::Pricing);
    }
    if child.revolving && !parent.revolving {
        widened.push(F::Revolving);
    }
    if !child.duty.at_least_as_strict_as(&parent.duty) {
        widened.push(F::Duty);
    }
    if let Some(cap) = parent.ltv_cap_bp {
        if child.ltv_cap_bp.is_none_or(|c| c > cap) {
            widened.push(F::LtvCap);
        }
    }
    widened
        .into_iter()
        .map(|field| ProductError::WidensParent { field })
        .collect()
}

fn range<T: PartialOrd + Copy>(
    errors: &mut Vec<ProductError>,
    field: ProductField,
    r: &Bounds<T>,
    policy: &Bounds<T>,
) {
    if r.inverted() {
        errors.push(ProductError::RangeInverted { field });
    } else if !r.within(policy) {
        errors.push(ProductError::OutsideBankPolicy { field });
    }
}

fn list<T: PartialEq>(
    errors: &mut Vec<ProductError>,
    field: ProductField,
    items: &[T],
    empty_ok: bool,
) {
    if items.is_empty() && !empty_ok {
        errors.push(ProductError::EmptyList { field });
    }
    let dup = items
        .iter()
        .enumerate()
        .any(|(i, a)| items[..i].contains(a));
    if dup {
        errors.push(ProductError::DuplicateEntry { field });
    }
}

fn strings<'a>(
    errors: &mut Vec<ProductError>,
    field: ProductField,
    items: impl Iterator<Item = &'a String>,
) {
    let items: Vec<&str> = items.map(|s| s.trim()).collect();
    if items.iter().any(|s| s.is_empty()) {
        errors.push(ProductError::BlankEntry { field });
    }
    list(errors, field, &items, true);
}

fn subset<T: PartialEq>(small: &[T], big: &[T]) -> bool {
    small.iter().all(|x| big.contains(x))
}

/// An empty list means "anyone", so only an empty parent list accepts an
/// empty child list.
fn narrower_list(child: &[String], parent: &[String]) -> bool {
    if parent.is_empty() {
        true
    } else {
        !child.is_empty() && subset(child, parent)
    }
}

#[cfg(test)]
mod tests;
