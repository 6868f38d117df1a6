//! The server functions of the product supermarket and factory
//! ([`super::products`]): the catalogue with its versions; drafting a new
//! product (top-level or a sub-product) or the next version of one from the
//! form; publishing a version; withdrawing one. Kept beside the page in
//! their own file (the page is long).

use crate::error::AppError;
use domain::view::{FlowTemplateView, SupermarketProduct};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use server_fn::codec::Json;

#[cfg(feature = "ssr")]
use crate::error::ErrorCode;
#[cfg(feature = "ssr")]
use crate::session;
#[cfg(feature = "ssr")]
use domain::view::{NewProductDraft, NewProductVersion};

/// 产品超市: every product of the staff member's bank with its versions.
#[server(prefix = "/api/fn", endpoint = "supermarket")]
pub async fn supermarket(
) -> Result<(Vec<SupermarketProduct>, Vec<FlowTemplateView>, bool), AppError> {
    let (services, staff) = session::staff().await?;
    let products = services.products().supermarket(&staff).await?;
    let flows = services.products().flow_templates(&staff).await?;
    let manager =
        staff.has(domain::org::Role::ProductManager) || staff.has(domain::org::Role::Admin);
    Ok((products, flows, manager))
}

/// The product form as posted; amounts in yuan as typed. One form serves a
/// new top-level product (no `parent_id`, no `product_id`), a new
/// sub-product (`parent_id`) and the next version of a product
/// (`product_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SubProductForm {
    pub parent_id: String,
    /// The product a new version is drafted for; empty for a new product.
    #[serde(default)]
    pub product_id: String,
    /// Why the new version (shown with it).
    #[serde(default)]
    pub note: String,
    pub code: String,
    pub name_zh: String,
    pub summary_zh: String,
    pub min_amount: String,
    pub max_amount: String,
    pub min_term: String,
    pub max_term: String,
    /// "separated" or "single_officer"
    pub duty: String,
    /// 包办制 up to this amount (yuan), 三台六岗 above.
    pub single_up_to: String,
    pub flow_code: String,
    /// Annual rate range and pricing, in percent as typed ("4.35").
    #[serde(default)]
    pub min_rate: String,
    #[serde(default)]
    pub max_rate: String,
    #[serde(default)]
    pub base_rate: String,
    #[serde(default)]
    pub max_discount: String,
    #[serde(default)]
    pub max_markup: String,
    /// Area codes (行政区划代码), separated by commas or spaces; empty = any.
    #[serde(default)]
    pub regions: String,
    /// `RepaymentMethod::as_str` codes.
    #[serde(default)]
    pub repayment_methods: Vec<String>,
    /// `GuaranteeType::as_str` codes.
    #[serde(default)]
    pub guarantee_types: Vec<String>,
    #[serde(default)]
    pub documents: Vec<domain::product::DocumentRequirement>,
    /// Applicants' age range in whole years.
    #[serde(default)]
    pub min_age: String,
    #[serde(default)]
    pub max_age: String,
    /// A revolving line (循环额度); a sub-product may only turn it off.
    #[serde(default)]
    pub revolving: bool,
    /// The loan-to-value cap in percent ("70"); empty: by kind of collateral.
    #[serde(default)]
    pub ltv_cap: String,
}

impl SubProductForm {
    /// The form filled in with the parent's live parameters: the manager
    /// changes only what differs (the service keeps the rest inherited).
    pub fn from_parent(parent_id: &str, p: &domain::product::ProductParams) -> SubProductForm {
        use domain::rate::bp_percent_string as pct;
        let yuan = |f: domain::money::Fen| {
            let s = f.to_yuan_string();
            s.strip_suffix(".00").map(str::to_string).unwrap_or(s)
        };
        SubProductForm {
            parent_id: parent_id.to_string(),
            min_amount: yuan(p.amount.min),
            max_amount: yuan(p.amount.max),
            min_term: p.term_months.min.to_string(),
            max_term: p.term_months.max.to_string(),
            min_rate: pct(p.rate_bp.min),
            max_rate: pct(p.rate_bp.max),
            base_rate: pct(p.pricing.base_rate_bp),
            max_discount: pct(p.pricing.max_discount_bp),
            max_markup: pct(p.pricing.max_markup_bp),
            regions: p.target.region_codes.join(", "),
            repayment_methods: p
                .repayment_methods
                .iter()
                .map(|m| m.as_str().to_string())
                .collect(),
            guarantee_types: p
                .guarantee_types
                .iter()
                .map(|g| g.as_str().to_string())
                .collect(),
            documents: p.documents.clone(),
            min_age: p.target.age.min.to_string(),
            max_age: p.target.age.max.to_string(),
            revolving: p.revolving,
            ltv_cap: p.ltv_cap_bp.map(pct).unwrap_or_default(),
            ..SubProductForm::default()
        }
    }

    /// The form for the next version of `product_id`, filled in with its
    /// live version `p` and the flow it runs: the manager changes what
    /// differs. Its duty mode is shown as it is (kept when it is neither of
    /// the form's two simple modes).
    pub fn next_version(product_id: &str, p: &domain::product::ProductParams, flow: &str) -> Self {
        use domain::duty::DutyMode;
        let mut f = SubProductForm::from_parent("", p);
        f.product_id = product_id.to_string();
        f.flow_code = flow.to_string();
        match p.duty.bands.as_slice() {
            [] => f.duty = "separated".into(),
            [band] if band.mode == DutyMode::SingleOfficer => {
                f.duty = "single_officer".into();
                let s = band.up_to.to_yuan_string();
                f.single_up_to = s.strip_suffix(".00").map(str::to_string).unwrap_or(s);
            }
            _ => f.duty = String::new(),
        }
        f
    }

    /// The form for a new top-level product: the bank's standard papers,
    /// applicants 18 to 65, equal instalments on credit, duties separated;
    /// the manager gives the amounts, terms and rates.
    pub fn new_product(flow: &str) -> Self {
        let doc = |code: &str, label: &str| domain::product::DocumentRequirement {
            code: code.into(),
            label_zh: label.into(),
            required: true,
        };
        SubProductForm {
            documents: vec![
                doc("id_card", "居民身份证"),
                doc("household_register", "户口簿"),
            ],
            min_age: "18".into(),
            max_age: "65".into(),
            repayment_methods: vec!["equal_instalment".into()],
            guarantee_types: vec!["credit".into()],
            duty: "separated".into(),
            flow_code: flow.to_string(),
            ..SubProductForm::default()
        }
    }
}

/// Saves the form as a draft: a new product, or the next version of
/// `form.product_id`. Returns the product's id.
#[server(prefix = "/api/fn", endpoint = "save_product_draft", input = Json)]
pub async fn save_product_draft(form: SubProductForm) -> Result<String, AppError> {
    use domain::duty::DutyPolicy;
    use domain::money::Fen;
    use domain::product::{Bounds, DocumentRequirement, GuaranteeType, Pricing, ProductOverride};
    use domain::schedule::RepaymentMethod;
    let (services, staff) = session::staff().await?;
    /// A form value: blank is "keep the parent's", anything else must parse
    /// (the error is the parser's code).
    fn optional<T>(
        v: &str,
        parse: impl Fn(&str) -> Result<T, ErrorCode>,
    ) -> Result<Option<T>, AppError> {
        let v = v.trim();
        if v.is_empty() {
            return Ok(None);
        }
        parse(v).map(Some).map_err(AppError::invalid)
    }
    /// Both bounds or neither.
    fn range<T: PartialOrd + Copy>(
        min: Option<T>,
        max: Option<T>,
    ) -> Result<Option<Bounds<T>>, AppError> {
        match (min, max) {
            (Some(min), Some(max)) => Ok(Some(Bounds::new(min, max))),
            (None, None) => Ok(None),
            _ => Err(AppError::invalid(ErrorCode::ProductRangeIncomplete)),
        }
    }
    let yuan = |v: &str| optional(v, |s| Fen::parse_yuan(s).map_err(|e| e.code()));
    let whole = |v: &str, code: ErrorCode| optional(v, |s| s.parse::<u32>().map_err(|_| code));
    let rate = |v: &str| {
        optional(v, |s| {
            domain::rate::AnnualRate::parse_percent(s)
                .map(|r| r.bp())
                .map_err(|e| e.code())
        })
    };
    let points = |v: &str| {
        optional(v, |s| {
            domain::rate::percent_points_bp(s).map_err(|e| e.code())
        })
    };
    let amount = range(yuan(&form.min_amount)?, yuan(&form.max_amount)?)?;
    let term_months = range(
        whole(&form.min_term, ErrorCode::TermOutOfRange)?,
        whole(&form.max_term, ErrorCode::TermOutOfRange)?,
    )?;
    let age = range(
        whole(&form.min_age, ErrorCode::ProductAgeInvalid)?,
        whole(&form.max_age, ErrorCode::ProductAgeInvalid)?,
    )?;
    let rate_bp = range(rate(&form.min_rate)?, rate(&form.max_rate)?)?;
    let pricing = match (
        rate(&form.base_rate)?,
        points(&form.max_discount)?,
        points(&form.max_markup)?,
    ) {
        (Some(base_rate_bp), Some(max_discount_bp), Some(max_markup_bp)) => Some(Pricing {
            base_rate_bp,
            max_discount_bp,
            max_markup_bp,
        }),
        (None, None, None) => None,
        _ => return Err(AppError::invalid(ErrorCode::PricingIncomplete)),
    };
    // Empty: no cap of the product's own (the kind of collateral's).
    let ltv_cap_bp = Some(points(&form.ltv_cap)?);
    let regions = domain::product::parse_region_codes(&form.regions)
        .map_err(|bad| AppError::invalid(ErrorCode::ProductRegionInvalid).with("v", bad))?;
    // An empty choice is refused by the service ("choose at least one").
    let repayment_methods = form
        .repayment_methods
        .iter()
        .map(|m| RepaymentMethod::parse(m).ok_or_else(|| AppError::invalid(ErrorCode::InvalidStep)))
        .collect::<Result<Vec<_>, _>>()?;
    let guarantee_types = form
        .guarantee_types
        .iter()
        .map(|g| GuaranteeType::parse(g).ok_or_else(|| AppError::invalid(ErrorCode::InvalidStep)))
        .collect::<Result<Vec<_>, _>>()?;
    // A blank or repeated name is refused by the service.
    let documents: Vec<DocumentRequirement> = form
        .documents
        .into_iter()
        .map(|d| DocumentRequirement {
            label_zh: d.label_zh.trim().chars().take(40).collect(),
            ..d
        })
        .collect();
    let duty = match form.duty.as_str() {
        "separated" => Some(DutyPolicy::separated()),
        "single_officer" => {
            let up_to = yuan(&form.single_up_to)?
                .ok_or_else(|| AppError::invalid(ErrorCode::DutyLimitMissing))?;
            Some(DutyPolicy::single_officer_up_to(up_to))
        }
        _ => None,
    };
    let overrides = ProductOverride {
        amount,
        term_months,
        rate_bp,
        pricing,
        repayment_methods: Some(repayment_methods),
        guarantee_types: Some(guarantee_types),
        region_codes: Some(regions),
        documents: Some(documents),
        age,
        revolving: Some(form.revolving),
        duty,
        ltv_cap_bp,
        ..ProductOverride::default()
    };
    if !form.product_id.is_empty() {
        let v = NewProductVersion {
            product_id: form.product_id.clone().into(),
            overrides,
            flow_code: form.flow_code,
            note: form.note,
        };
        services.products().draft_product_version(&staff, v).await?;
        return Ok(form.product_id);
    }
    let parent = form.parent_id.trim();
    let n = NewProductDraft {
        parent_id: (!parent.is_empty()).then(|| parent.to_string().into()),
        code: form.code,
        name_zh: form.name_zh,
        name_en: String::new(),
        summary_zh: form.summary_zh,
        overrides,
        flow_code: form.flow_code,
    };
    Ok(services.products().create_product(&staff, n).await?)
}

#[server(prefix = "/api/fn", endpoint = "publish_product_version")]
pub async fn publish_product_version(
    version_id: domain::id::ProductVersionId,
    row_version: i64,
) -> Result<(), AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services
        .products()
        .publish_product_version(&staff, &version_id, row_version)
        .await?)
}

/// Withdraws (停用) a product's live version, with its reason.
#[server(prefix = "/api/fn", endpoint = "retire_product_version")]
pub async fn retire_product_version(
    version_id: domain::id::ProductVersionId,
    row_version: i64,
    reason: String,
) -> Result<(), AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services
        .products()
        .retire_product_version(&staff, &version_id, row_version, &reason)
        .await?)
}
