//! Server functions. Each is a few lines: who is calling (session), call the
//! service, map the error. No business rule lives here.

use crate::error::AppError;
use domain::application::Decision;
use domain::view::*;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::session;

// ---------------------------------------------------------------- customers

#[server(prefix = "/api/fn", endpoint = "send_code")]
pub async fn send_code(phone: String) -> Result<SentCode, AppError> {
    let services = session::services()?;
    Ok(services.send_login_code(phone.trim()).await?)
}

#[server(prefix = "/api/fn", endpoint = "customer_login")]
pub async fn customer_login(phone: String, code: String) -> Result<CustomerInfo, AppError> {
    let services = session::services()?;
    let ip = session::client_ip().await;
    let actor = services
        .customer_login_from(phone.trim(), code.trim(), ip)
        .await?;
    session::begin_customer(&services, &actor).await?;
    Ok(CustomerInfo {
        name: actor.name,
        phone_masked: actor.phone_masked,
    })
}

#[server(prefix = "/api/fn", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    session::end().await
}

#[server(prefix = "/api/fn", endpoint = "current_customer")]
pub async fn current_customer() -> Result<Option<CustomerInfo>, AppError> {
    match session::customer().await {
        Ok((_, actor)) => Ok(Some(CustomerInfo {
            name: actor.name,
            phone_masked: actor.phone_masked,
        })),
        Err(err) if err.signed_out_is_fine() => Ok(None),
        Err(err) => Err(err),
    }
}

#[server(prefix = "/api/fn", endpoint = "products")]
pub async fn products() -> Result<Vec<ProductView>, AppError> {
    let services = session::services()?;
    // A signed-in customer sees only what they may apply for.
    match session::customer().await {
        Ok((_, c)) => Ok(services.offered_products(&c).await?),
        Err(e) if e.signed_out_is_fine() => Ok(services.list_products(None).await?),
        Err(e) => Err(e),
    }
}

#[server(prefix = "/api/fn", endpoint = "product")]
pub async fn product(id: String) -> Result<ProductView, AppError> {
    Ok(session::services()?.product(&id).await?)
}

#[server(prefix = "/api/fn", endpoint = "submit_application")]
pub async fn submit_application(
    product_id: String,
    amount: String,
    term_months: u32,
    purpose: String,
    consent: Option<String>,
    idempotency_key: String,
) -> Result<String, AppError> {
    let (services, customer) = session::customer().await?;
    let amount =
        domain::money::Fen::parse_yuan(&amount).map_err(|e| AppError::invalid(e.code()))?;
    let idempotency_key = if idempotency_key.trim().is_empty() {
        // A form posted before the page hydrated has no key; each such post is new.
        uuid::Uuid::now_v7().to_string()
    } else {
        idempotency_key
    };
    let id = services
        .submit_application(
            &customer,
            service::lending::NewApplication {
                product_id,
                amount,
                term_months,
                purpose,
                consent: consent.is_some_and(|v| !v.is_empty() && v != "false"),
                idempotency_key,
            },
        )
        .await?;
    Ok(id)
}

/// Everything the customer's "my loans" page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyOverview {
    pub customer: CustomerInfo,
    pub applications: Vec<ApplicationSummary>,
    pub loans: Vec<LoanSummary>,
    pub lines: Vec<CreditLineView>,
    /// Pre-approved credit offers (预授信额度) still open to accept.
    pub offers: Vec<CreditOfferView>,
}

#[server(prefix = "/api/fn", endpoint = "my_overview")]
pub async fn load_my_overview() -> Result<MyOverview, AppError> {
    let (services, customer) = session::customer().await?;
    Ok(MyOverview {
        applications: services.my_applications(&customer).await?,
        loans: services.my_loans(&customer).await?,
        lines: services.my_lines(&customer).await?,
        offers: services
            .my_offers(&customer)
            .await?
            .into_iter()
            .filter(|o| o.status == "offered")
            .collect(),
        customer: CustomerInfo {
            name: customer.name,
            phone_masked: customer.phone_masked,
        },
    })
}

#[server(prefix = "/api/fn", endpoint = "my_application")]
pub async fn my_application(id: String) -> Result<CustomerApplicationView, AppError> {
    let (services, customer) = session::customer().await?;
    Ok(services.my_application(&customer, &id).await?)
}

#[server(prefix = "/api/fn", endpoint = "my_loan")]
pub async fn my_loan(id: String) -> Result<LoanDetail, AppError> {
    let (services, customer) = session::customer().await?;
    Ok(services.my_loan(&customer, &id).await?)
}

/// The customer's credit lines (授信额度).
#[server(prefix = "/api/fn", endpoint = "my_lines")]
pub async fn my_lines() -> Result<Vec<CreditLineView>, AppError> {
    let (services, customer) = session::customer().await?;
    Ok(services.my_lines(&customer).await?)
}

/// 还款: pays `amount` (yuan) on one of the customer's loans; returns the
/// payment reference. `idempotency_key` makes a double click pay once.
#[server(prefix = "/api/fn", endpoint = "repay_loan")]
pub async fn repay_loan(
    loan_id: String,
    amount: String,
    idempotency_key: String,
) -> Result<String, AppError> {
    let (services, customer) = session::customer().await?;
    let amount =
        domain::money::Fen::parse_yuan(&amount).map_err(|e| AppError::invalid(e.code()))?;
    let r = services
        .repay(&customer, &loan_id, amount, &idempotency_key)
        .await?;
    Ok(r.reference)
}

/// 用信: draws `amount` (yuan) over `term_months` on a line; returns the loan id.
#[server(prefix = "/api/fn", endpoint = "draw_down")]
pub async fn draw_down(
    line_id: String,
    amount: String,
    term_months: u32,
    idempotency_key: String,
) -> Result<String, AppError> {
    let (services, customer) = session::customer().await?;
    let amount =
        domain::money::Fen::parse_yuan(&amount).map_err(|e| AppError::invalid(e.code()))?;
    Ok(services
        .draw_down(&customer, &line_id, amount, term_months, &idempotency_key)
        .await?)
}

// ---------------------------------------------------------------- staff

#[server(prefix = "/api/fn", endpoint = "staff_login")]
pub async fn staff_login(username: String, password: String) -> Result<StaffInfo, AppError> {
    if username.len() > 64 || password.len() > 1024 {
        return Err(AppError::invalid("invalid_credentials"));
    }
    let services = session::services()?;
    let ip = session::client_ip().await;
    let actor = services
        .staff_login_from(username.trim(), &password, None, ip)
        .await?;
    session::begin_staff(&services, &actor).await?;
    Ok(services.staff_info(&actor))
}

/// The second step of signing in to an account with an authenticator app:
/// the password again with the app's code.
#[server(prefix = "/api/fn", endpoint = "staff_login_with_code")]
pub async fn staff_login_with_code(
    username: String,
    password: String,
    code: String,
) -> Result<StaffInfo, AppError> {
    if username.len() > 64 || password.len() > 1024 || code.len() > 16 {
        return Err(AppError::invalid("invalid_credentials"));
    }
    let services = session::services()?;
    let ip = session::client_ip().await;
    let actor = services
        .staff_login_from(username.trim(), &password, Some(code.trim()), ip)
        .await?;
    session::begin_staff(&services, &actor).await?;
    Ok(services.staff_info(&actor))
}

#[server(prefix = "/api/fn", endpoint = "current_staff")]
pub async fn current_staff() -> Result<Option<StaffInfo>, AppError> {
    match session::staff_signed_in().await {
        Ok((services, actor)) => Ok(Some(services.staff_info(&actor))),
        Err(err) if err.signed_out_is_fine() => Ok(None),
        Err(err) => Err(err),
    }
}

/// Replaces the signed-in staff member's password (a one-time one
/// included); the session goes on.
#[server(prefix = "/api/fn", endpoint = "change_password")]
pub async fn change_password(current: String, new: String) -> Result<(), AppError> {
    if current.len() > 1024 || new.len() > 1024 {
        return Err(AppError::invalid("password_too_long"));
    }
    let (services, staff) = session::staff_signed_in().await?;
    Ok(services.change_password(&staff, &current, &new).await?)
}

/// Whether this server runs the demo bank (its sign-in page then shows the
/// demo accounts); never true in production.
#[server(prefix = "/api/fn", endpoint = "demo_mode")]
pub async fn demo_mode() -> Result<bool, AppError> {
    Ok(session::services()?.config.demo)
}

#[server(prefix = "/api/fn", endpoint = "tasks")]
pub async fn tasks() -> Result<Vec<InboxTask>, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services.inbox(&staff).await?)
}

#[server(prefix = "/api/fn", endpoint = "staff_application")]
pub async fn staff_application(id: String) -> Result<StaffApplicationView, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services.application_for_staff(&staff, &id).await?)
}

/// The investigation form as the officer typed it; amounts in yuan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvestigationForm {
    pub visited_on: String,
    pub household_income: String,
    pub household_assets: String,
    pub household_debts: String,
    pub findings: String,
    pub recommendation: Decision,
    pub recommended_amount: String,
}

#[server(prefix = "/api/fn", endpoint = "record_investigation")]
pub async fn record_investigation(
    id: String,
    version: i64,
    form: InvestigationForm,
) -> Result<(), AppError> {
    use domain::money::Fen;
    let (services, staff) = session::staff().await?;
    let money = |s: &str| Fen::parse_yuan(s).map_err(|e| AppError::invalid(e.code()));
    let input = service::workbench::InvestigationInput {
        visited_on: domain::date::Date::parse(form.visited_on.trim())
            .map_err(|e| AppError::invalid(e.code()))?,
        household_income: money(&form.household_income)?,
        household_assets: money(&form.household_assets)?,
        household_debts: money(&form.household_debts)?,
        findings: form.findings,
        recommendation: form.recommendation,
        recommended_amount: money(&form.recommended_amount)?,
    };
    services
        .record_investigation(&staff, &id, version, input)
        .await?;
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "decide")]
pub async fn decide(
    id: String,
    version: i64,
    decision: Decision,
    comment: String,
) -> Result<Option<String>, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services
        .decide(&staff, &id, version, decision, comment)
        .await?)
}

#[server(prefix = "/api/fn", endpoint = "portrait")]
pub async fn load_portrait(id: String) -> Result<Portrait, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services.portrait(&staff, &id).await?)
}

/// Records a customer's signed 征信查询授权 (the form's number and the day
/// it was signed).
#[server(prefix = "/api/fn", endpoint = "record_authorisation")]
pub async fn record_authorisation(
    customer_id: String,
    evidence: String,
    granted_on: String,
) -> Result<(), AppError> {
    let (services, staff) = session::staff().await?;
    // Left empty: signed today, in front of the officer.
    let granted_on = match granted_on.trim() {
        "" => services.today(),
        d => domain::date::Date::parse(d)
            .map_err(|_| AppError::invalid("authorisation_date_invalid"))?,
    };
    Ok(services
        .record_bureau_authorisation(&staff, &customer_id, &evidence, granted_on)
        .await?)
}

#[server(prefix = "/api/fn", endpoint = "staff_loan")]
pub async fn staff_loan(id: String) -> Result<LoanDetail, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services.loan_for_staff(&staff, &id).await?)
}

/// The dashboard figures and the ECharts options (JSON) built on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardPage {
    pub data: Dashboard,
    pub status_chart: String,
    pub daily_chart: String,
}

#[server(prefix = "/api/fn", endpoint = "dashboard")]
pub async fn load_dashboard(locale: crate::i18n::Locale) -> Result<DashboardPage, AppError> {
    let (services, staff) = session::staff().await?;
    let data = services.dashboard(&staff, 30).await?;
    let (status_chart, daily_chart) = crate::charts::dashboard_options(&data, locale.texts());
    Ok(DashboardPage {
        data,
        status_chart,
        daily_chart,
    })
}

/// One page of the audit log and the state of the hash chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub chain: ChainStatus,
}

#[server(prefix = "/api/fn", endpoint = "audit")]
pub async fn audit(before_seq: Option<i64>) -> Result<AuditPage, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(AuditPage {
        entries: services.audit_entries(&staff, before_seq, 50, None).await?,
        chain: services.verify_audit_chain(&staff).await?,
    })
}

#[server(prefix = "/api/fn", endpoint = "sms_outbox")]
pub async fn sms_outbox() -> Result<Vec<SmsMessage>, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services.sms_outbox(&staff, 100).await?)
}

// ---------------------------------------------------------------- risk rules

use domain::rules::schema::FeatureDef;
use server_fn::codec::Json;

/// The rule-set versions in the user's scope, newest first per product and stage.
#[server(prefix = "/api/fn", endpoint = "rule_sets")]
pub async fn rule_sets() -> Result<Vec<RuleSetSummary>, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services.list_rule_sets(&staff, None).await?)
}

/// One version with its definition, what this user may do with it, and the
/// features its expressions may read (for the editor's hints).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSetPage {
    pub detail: RuleSetDetail,
    pub features: Vec<FeatureDef>,
    /// Past applications to try the version on (test bench), newest first.
    pub samples: Vec<RuleSetSample>,
}

#[server(prefix = "/api/fn", endpoint = "rule_set")]
pub async fn rule_set(id: String) -> Result<RuleSetPage, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(RuleSetPage {
        detail: services.rule_set(&staff, &id).await?,
        features: services.rule_set_features(),
        samples: services.rule_set_samples(&staff, &id, 30).await?,
    })
}

/// What saving (or only checking) a definition did: saved, or refused with
/// the first problem and its place for the editor to mark.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RuleSetSaved {
    Checked,
    Saved(RuleSetSummary),
    Problem(RuleSetProblem),
}

/// Compiles the definition against the feature schema; saves it unless
/// `check_only` or it has a problem.
#[server(prefix = "/api/fn", endpoint = "save_rule_set", input = Json)]
pub async fn save_rule_set(form: RuleSetDraft, check_only: bool) -> Result<RuleSetSaved, AppError> {
    let (services, staff) = session::staff().await?;
    if let Some(p) = services.check_rule_set(&staff, &form.definition)? {
        return Ok(RuleSetSaved::Problem(p));
    }
    if check_only {
        return Ok(RuleSetSaved::Checked);
    }
    let summary = services.save_rule_set_draft(&staff, form).await?;
    Ok(RuleSetSaved::Saved(summary))
}

/// A maker-checker step on a version: `submit`, `approve`, `return` or `publish`.
#[server(prefix = "/api/fn", endpoint = "rule_set_step")]
pub async fn rule_set_step(
    id: String,
    row_version: i64,
    step: String,
    comment: String,
) -> Result<(), AppError> {
    let (services, staff) = session::staff().await?;
    match step.as_str() {
        "submit" => services.submit_rule_set(&staff, &id, row_version).await?,
        "approve" => {
            services
                .approve_rule_set(&staff, &id, row_version, &comment)
                .await?
        }
        "return" => {
            services
                .return_rule_set(&staff, &id, row_version, &comment)
                .await?
        }
        "publish" => services.publish_rule_set(&staff, &id, row_version).await?,
        _ => return Err(AppError::invalid("invalid_step")),
    }
    Ok(())
}

/// Replays the version on the last `last_n` applications of its product.
#[server(prefix = "/api/fn", endpoint = "simulate_rule_set")]
pub async fn simulate_rule_set(id: String, last_n: u32) -> Result<SimulationReport, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services.simulate_rule_set(&staff, &id, last_n).await?)
}

/// The test bench: the version on one past application, with its trace.
#[server(prefix = "/api/fn", endpoint = "try_rule_set")]
pub async fn try_rule_set(id: String, application_id: String) -> Result<RuleSetTrial, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services.try_rule_set(&staff, &id, &application_id).await?)
}

/// 接受或放弃预授信额度: accepting opens the credit line.
#[server(prefix = "/api/fn", endpoint = "answer_offer")]
pub async fn answer_offer(id: String, version: i64, accept: bool) -> Result<(), AppError> {
    let (services, customer) = session::customer().await?;
    if accept {
        services.accept_offer(&customer, &id, version).await?;
    } else {
        services.decline_offer(&customer, &id, version).await?;
    }
    Ok(())
}

// ---------------------------------------------------------------- pre-credit

/// The pre-credit jobs the user may see, and what a new one can be run for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrecreditJobsPage {
    pub jobs: Vec<PrecreditJobView>,
    pub products: Vec<ProductView>,
    /// The user's organisation: a new job covers every village under it,
    /// or one of `villages`.
    pub scope_name: String,
    pub villages: Vec<VillageOption>,
}

#[server(prefix = "/api/fn", endpoint = "precredit_jobs")]
pub async fn precredit_jobs() -> Result<PrecreditJobsPage, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(PrecreditJobsPage {
        jobs: services.precredit_jobs(&staff, 50).await?,
        products: services.list_products(staff.bank_id.as_deref()).await?,
        scope_name: staff.org_name.clone(),
        villages: services.precredit_villages(&staff).await?,
    })
}

/// 整村授信: decides every household of one village (`village_id`), or of
/// every village under the user's organisation (empty), with
/// `product_code`'s live rule set, in the background.
#[server(prefix = "/api/fn", endpoint = "start_precredit")]
pub async fn start_precredit(
    village_id: String,
    product_code: String,
    use_bureau: bool,
) -> Result<String, AppError> {
    let (services, staff) = session::staff().await?;
    let scope = if village_id.is_empty() {
        PrecreditScope::Organisation(staff.org_id.clone())
    } else {
        PrecreditScope::Village(village_id)
    };
    let job = services
        .create_precredit_job(
            &staff,
            &NewPrecreditJob {
                scope,
                product_code,
                use_bureau,
            },
        )
        .await?;
    services.spawn_precredit_job(&job.id);
    Ok(job.id)
}

/// `pause`, `resume` or `cancel` a job (a running job stops at its next chunk).
#[server(prefix = "/api/fn", endpoint = "precredit_control")]
pub async fn precredit_control(id: String, step: String) -> Result<(), AppError> {
    let (services, staff) = session::staff().await?;
    match step.as_str() {
        "pause" => {
            services.pause_precredit_job(&staff, &id).await?;
        }
        "resume" => {
            services.resume_precredit_job(&staff, &id).await?;
            services.spawn_precredit_job(&id);
        }
        "cancel" => {
            services.cancel_precredit_job(&staff, &id).await?;
        }
        _ => return Err(AppError::invalid("invalid_step")),
    }
    Ok(())
}

/// One job and a page of its results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrecreditJobPage {
    pub job: PrecreditJobView,
    pub results: Vec<PrecreditResultView>,
}

#[server(prefix = "/api/fn", endpoint = "precredit_job")]
pub async fn precredit_job(id: String, outcome: String) -> Result<PrecreditJobPage, AppError> {
    let (services, staff) = session::staff().await?;
    let filter = PrecreditResultFilter {
        outcome: (!outcome.is_empty()).then_some(outcome),
        limit: 200,
        ..Default::default()
    };
    Ok(PrecreditJobPage {
        job: services.precredit_job(&staff, &id).await?,
        results: services.precredit_results(&staff, &id, &filter).await?,
    })
}

/// Turns every approved result of a job into an offer the customer sees
/// (the pre-approved limit, a revolving line of 12 months, 30 days to accept).
#[server(prefix = "/api/fn", endpoint = "offer_precredit")]
pub async fn offer_precredit(id: String) -> Result<OfferBatchSummary, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services
        .offer_precredit_results(&staff, &id, &OfferTerms::default())
        .await?)
}

/// The largest whitelist file the browser sends (the request carries it as
/// base64, under the server's 2 MB body limit).
pub const WHITELIST_MAX_BYTES: usize = 1_400_000;

/// 白名单导入: an Excel file (.xlsx) of people to pre-approve for a product
/// of the user's bank. The good rows become a pre-credit job, started at
/// once; each bad row comes back with its row number and reason.
#[server(prefix = "/api/fn", endpoint = "import_whitelist", input = Json)]
pub async fn import_whitelist(
    file_name: String,
    content_base64: String,
    product_code: String,
    use_bureau: bool,
) -> Result<WhitelistImportReport, AppError> {
    use base64::Engine;
    let (services, staff) = session::staff().await?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(content_base64.as_bytes())
        .map_err(|_| AppError::invalid("whitelist_unreadable"))?;
    let report = services
        .import_whitelist(&staff, &file_name, &bytes, &product_code, use_bureau)
        .await?;
    if report.imported > 0 {
        services.spawn_precredit_job(&report.job_id);
    }
    Ok(report)
}

/// 产品超市: every product of the staff member's bank with its versions.
#[server(prefix = "/api/fn", endpoint = "supermarket")]
pub async fn supermarket(
) -> Result<(Vec<SupermarketProduct>, Vec<FlowTemplateView>, bool), AppError> {
    let (services, staff) = session::staff().await?;
    let products = services.supermarket(&staff).await?;
    let flows = services.flow_templates(&staff).await?;
    let manager =
        staff.has(domain::org::Role::ProductManager) || staff.has(domain::org::Role::Admin);
    Ok((products, flows, manager))
}

/// The sub-product form as posted; amounts in yuan as typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SubProductForm {
    pub parent_id: String,
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
            ..SubProductForm::default()
        }
    }
}

#[server(prefix = "/api/fn", endpoint = "create_sub_product", input = Json)]
pub async fn create_sub_product(form: SubProductForm) -> Result<String, AppError> {
    use domain::duty::DutyPolicy;
    use domain::money::Fen;
    use domain::product::{Bounds, DocumentRequirement, GuaranteeType, Pricing, ProductOverride};
    use domain::schedule::RepaymentMethod;
    let (services, staff) = session::staff().await?;
    /// A form value: blank is "keep the parent's", anything else must parse
    /// (the error is the parser's code).
    fn optional<T>(
        v: &str,
        parse: impl Fn(&str) -> Result<T, &'static str>,
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
            _ => Err(AppError::invalid("product_range_incomplete")),
        }
    }
    let yuan = |v: &str| optional(v, |s| Fen::parse_yuan(s).map_err(|e| e.code()));
    let whole = |v: &str, code: &'static str| optional(v, |s| s.parse::<u32>().map_err(|_| code));
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
        whole(&form.min_term, "term_out_of_range")?,
        whole(&form.max_term, "term_out_of_range")?,
    )?;
    let age = range(
        whole(&form.min_age, "product_age_invalid")?,
        whole(&form.max_age, "product_age_invalid")?,
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
        _ => return Err(AppError::invalid("pricing_incomplete")),
    };
    let regions = domain::product::parse_region_codes(&form.regions)
        .map_err(|bad| AppError::invalid("product_region_invalid").with("v", bad))?;
    // An empty choice is refused by the service ("choose at least one").
    let repayment_methods = form
        .repayment_methods
        .iter()
        .map(|m| RepaymentMethod::parse(m).ok_or_else(|| AppError::invalid("invalid_step")))
        .collect::<Result<Vec<_>, _>>()?;
    let guarantee_types = form
        .guarantee_types
        .iter()
        .map(|g| GuaranteeType::parse(g).ok_or_else(|| AppError::invalid("invalid_step")))
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
            let up_to =
                yuan(&form.single_up_to)?.ok_or_else(|| AppError::invalid("duty_limit_missing"))?;
            Some(DutyPolicy::single_officer_up_to(up_to))
        }
        _ => None,
    };
    let n = NewSubProduct {
        parent_id: form.parent_id,
        code: form.code,
        name_zh: form.name_zh,
        name_en: String::new(),
        summary_zh: form.summary_zh,
        overrides: ProductOverride {
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
            ..ProductOverride::default()
        },
        flow_code: form.flow_code,
    };
    Ok(services.create_sub_product(&staff, n).await?)
}

/// Saves a designed flow template; returns its version.
#[server(prefix = "/api/fn", endpoint = "save_flow_template", input = Json)]
pub async fn save_flow_template(template: NewFlowTemplate) -> Result<u32, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services.save_flow_template(&staff, template).await?)
}

#[server(prefix = "/api/fn", endpoint = "publish_product_version")]
pub async fn publish_product_version(version_id: String, row_version: i64) -> Result<(), AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services
        .publish_product_version(&staff, &version_id, row_version)
        .await?)
}

// ------------------------------------------------------------- work queue

/// 回避申报: the caller declares a tie to a customer of their bank; returns
/// how many of their open tasks went back to the branch head.
#[server(prefix = "/api/fn", endpoint = "declare_relation")]
pub async fn declare_relation(id_number: String, relation: String) -> Result<u64, AppError> {
    let (services, staff) = session::staff().await?;
    let relation = domain::duty::Relation::parse(&relation)
        .ok_or_else(|| AppError::invalid("relation_choose"))?;
    Ok(services
        .declare_relation(&staff, &id_number, relation)
        .await?)
}

#[server(prefix = "/api/fn", endpoint = "staff_relations")]
pub async fn staff_relations() -> Result<Vec<StaffRelationView>, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services.staff_relations(&staff).await?)
}

/// Finishes the caller's task on a node with no form of its own.
#[server(prefix = "/api/fn", endpoint = "complete_task")]
pub async fn complete_task(
    task_id: String,
    version: i64,
    opinion: Decision,
    comment: String,
) -> Result<(), AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services
        .complete_task(&staff, &task_id, version, opinion, comment)
        .await?)
}

/// The branch head's list: overdue and unassigned tasks in their scope.
#[server(prefix = "/api/fn", endpoint = "escalations")]
pub async fn escalations() -> Result<Vec<InboxTask>, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services.escalations(&staff).await?)
}

#[server(prefix = "/api/fn", endpoint = "reassign_options")]
pub async fn reassign_options(task_id: String) -> Result<Vec<ReassignOption>, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services.reassign_options(&staff, &task_id).await?)
}

#[server(prefix = "/api/fn", endpoint = "reassign_task")]
pub async fn reassign_task(
    task_id: String,
    version: i64,
    to_staff_id: String,
    reason: String,
) -> Result<(), AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services
        .reassign_task(&staff, &task_id, version, &to_staff_id, reason)
        .await?)
}
