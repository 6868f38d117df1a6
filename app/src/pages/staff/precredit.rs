//! Whole-village pre-credit (整村授信): start a batch run over every
//! household under the user's organisation, watch its progress, pause,
//! resume or cancel it, read its results and turn the approved ones into
//! offers the customers see on their phones. The runs themselves are
//! background jobs on the server.

use crate::components::decision::reason_words;
use crate::components::{awaited, reload, FormError};
use crate::error::{AppError, ErrorCode};
use crate::format::{datetime, money};
use crate::i18n::{fill, t, use_locale};
use domain::view::{
    OfferBatchSummary, PrecreditJobStatus, PrecreditJobView, PrecreditResultView, ProductView,
    VillageOption, WhitelistImportReport,
};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};
use server_fn::codec::Json;

#[cfg(feature = "ssr")]
use crate::session;
#[cfg(feature = "ssr")]
use domain::view::{NewPrecreditJob, OfferTerms, PrecreditResultFilter, PrecreditScope};

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
        jobs: services.precredit().precredit_jobs(&staff, 50).await?,
        products: services
            .products()
            .list_products(staff.bank_id.as_deref())
            .await?,
        scope_name: staff.org_name.clone(),
        villages: services.precredit().precredit_villages(&staff).await?,
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
        .precredit()
        .create_precredit_job(
            &staff,
            &NewPrecreditJob {
                scope,
                product_code,
                use_bureau,
            },
        )
        .await?;
    services.precredit().spawn_precredit_job(&job.id);
    Ok(job.id)
}

/// `pause`, `resume` or `cancel` a job (a running job stops at its next chunk).
#[server(prefix = "/api/fn", endpoint = "precredit_control")]
pub async fn precredit_control(id: String, step: String) -> Result<(), AppError> {
    let (services, staff) = session::staff().await?;
    match step.as_str() {
        "pause" => {
            services
                .precredit()
                .pause_precredit_job(&staff, &id)
                .await?;
        }
        "resume" => {
            services
                .precredit()
                .resume_precredit_job(&staff, &id)
                .await?;
            services.precredit().spawn_precredit_job(&id);
        }
        "cancel" => {
            services
                .precredit()
                .cancel_precredit_job(&staff, &id)
                .await?;
        }
        _ => return Err(AppError::invalid(ErrorCode::InvalidStep)),
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
        job: services.precredit().precredit_job(&staff, &id).await?,
        results: services
            .precredit()
            .precredit_results(&staff, &id, &filter)
            .await?,
    })
}

/// Turns every approved result of a job into an offer the customer sees
/// (the pre-approved limit, a revolving line of 12 months, 30 days to accept).
#[server(prefix = "/api/fn", endpoint = "offer_precredit")]
pub async fn offer_precredit(id: String) -> Result<OfferBatchSummary, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services
        .precredit()
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
        .map_err(|_| AppError::invalid(ErrorCode::WhitelistUnreadable))?;
    let report = services
        .precredit()
        .import_whitelist(&staff, &file_name, &bytes, &product_code, use_bureau)
        .await?;
    if report.imported > 0 {
        services.precredit().spawn_precredit_job(&report.job_id);
    }
    Ok(report)
}

fn status_badge(s: PrecreditJobStatus) -> String {
    let tone = match s {
        PrecreditJobStatus::Completed => "approved",
        PrecreditJobStatus::Failed | PrecreditJobStatus::Cancelled => "rejected",
        PrecreditJobStatus::Paused => "investigated",
        _ => "submitted",
    };
    format!("badge badge-{tone}")
}

/// Percent done, to one decimal, as text.
fn progress(j: &PrecreditJobView) -> String {
    if j.total <= 0 {
        return "—".into();
    }
    let per_mille = j.done * 1000 / j.total;
    format!(
        "{} / {} ({}.{}%)",
        j.done,
        j.total,
        per_mille / 10,
        per_mille % 10
    )
}

#[component]
fn Controls(job: PrecreditJobView, error: RwSignal<Option<AppError>>) -> impl IntoView {
    let t = t();
    let id = job.id.clone();
    let act = Action::new(move |step: &&'static str| {
        let (id, step) = (id.clone(), step.to_string());
        async move {
            let r = precredit_control(id, step).await;
            if r.is_ok() {
                reload();
            }
            r
        }
    });
    Effect::new(move |_| {
        if let Some(Err(e)) = act.value().get() {
            error.set(Some(e));
        }
    });
    let busy = move || act.pending().get();
    view! {
        {job.can_pause.then(|| view! {
            <button class="btn btn-sm btn-secondary" disabled=busy on:click=move |_| { act.dispatch("pause"); }>{t.pc_pause}</button>
        })}
        {job.can_resume.then(|| view! {
            <button class="btn btn-sm btn-secondary" disabled=busy on:click=move |_| { act.dispatch("resume"); }>{t.pc_resume}</button>
        })}
        {job.can_cancel.then(|| view! {
            <button class="btn btn-sm btn-link" disabled=busy on:click=move |_| { act.dispatch("cancel"); }>{t.pc_cancel}</button>
        })}
    }
}

/// The chosen file's name and bytes, read in the browser.
#[cfg(not(feature = "ssr"))]
async fn read_file(input: &web_sys::HtmlInputElement) -> Result<(String, Vec<u8>), AppError> {
    let file = input
        .files()
        .and_then(|f| f.get(0))
        .ok_or_else(|| AppError::new(ErrorCode::WhitelistNoFile))?;
    if file.size() > WHITELIST_MAX_BYTES as f64 {
        return Err(AppError::new(ErrorCode::WhitelistUploadTooLarge));
    }
    let buf = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
        .await
        .map_err(|_| AppError::new(ErrorCode::WhitelistUnreadable))?;
    Ok((file.name(), js_sys::Uint8Array::new(&buf).to_vec()))
}

#[cfg(feature = "ssr")]
async fn read_file(_: &web_sys::HtmlInputElement) -> Result<(String, Vec<u8>), AppError> {
    Err(AppError::new(ErrorCode::WhitelistNoFile))
}

/// 白名单导入: an .xlsx of people to pre-approve; the report lists every bad row.
#[component]
fn WhitelistImport(products: Vec<ProductView>) -> impl IntoView {
    let t = t();
    let locale = use_locale();
    let input = NodeRef::<leptos::html::Input>::new();
    let product = RwSignal::new(products.first().map(|p| p.code.clone()).unwrap_or_default());
    let error = RwSignal::new(None::<AppError>);
    let report = RwSignal::new(None::<WhitelistImportReport>);
    // The chosen file's name (the native control's text is the browser's language).
    let chosen = RwSignal::new(String::new());
    let upload = Action::new_local(move |_: &()| {
        let code = product.get_untracked();
        let el = input.get_untracked();
        async move {
            use base64::Engine;
            let el = el.ok_or_else(|| AppError::new(ErrorCode::WhitelistNoFile))?;
            let (name, bytes) = read_file(&el).await?;
            let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
            import_whitelist(name, b64, code, true).await
        }
    });
    Effect::new(move |_| match upload.value().get() {
        Some(Ok(r)) => {
            error.set(None);
            report.set(Some(r));
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    view! {
        <section class="stack pc-new" data-testid="whitelist">
            <h2 class="section-title">{t.wl_title}</h2>
            <p class="muted">{t.wl_sub}</p>
            <div class="row">
                <label class="muted" for="wl-product">{t.pc_product}</label>
                <select id="wl-product" class="input input-short pc-product"
                    on:change=move |ev| product.set(event_target_value(&ev))>
                    {products.iter().map(|p| view! {
                        <option value=p.code.clone()>{locale.pick(&p.name_zh, &p.name_en).to_string()}</option>
                    }).collect_view()}
                </select>
                <label class="btn btn-secondary">
                    {t.wl_file}
                    <input type="file" class="sr-only" accept=".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                        node_ref=input data-testid="wl-file"
                        on:change=move |ev| chosen.set(event_target_value(&ev).rsplit(['/', '\\']).next().unwrap_or_default().to_string()) />
                </label>
                <span class="muted" data-testid="wl-chosen">{move || chosen.get()}</span>
                <button class="btn btn-primary" data-testid="wl-upload" disabled=move || upload.pending().get()
                    on:click=move |_| { upload.dispatch(()); }>
                    {move || if upload.pending().get() { t.wl_reading } else { t.wl_upload }}
                </button>
            </div>
            <FormError error=error />
            {move || report.get().map(|r| view! {
                <div class="alert alert-success" role="status" data-testid="wl-report">
                    {fill(t.wl_report, &[("rows", r.rows_read.to_string()), ("imported", r.imported.to_string()),
                        ("new", r.new_customers.to_string()), ("bad", r.bad_rows.to_string())])}
                    " "<a href=format!("/staff/precredit/{}", r.job_id)>{t.pc_open}</a>
                </div>
                {(!r.problems.is_empty()).then(|| view! {
                    <table class="table table-compact" data-testid="wl-problems">
                        <thead><tr><th class="num">{t.wl_col_row}</th><th>{t.wl_col_column}</th><th>{t.wl_col_value}</th><th>{t.wl_col_reason}</th></tr></thead>
                        <tbody>
                            {r.problems.iter().map(|p| view! {
                                <tr data-testid="wl-problem">
                                    <td class="num">{p.row}</td>
                                    <td>{p.column.clone().unwrap_or_default()}</td>
                                    <td class="mono">{p.value.clone()}</td>
                                    <td>{t.whitelist_problem(p.code)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                })}
            })}
        </section>
    }
}

#[component]
pub fn PrecreditJobsPage() -> impl IntoView {
    let t = t();
    let data = Resource::new(|| (), |_| precredit_jobs());
    let error = RwSignal::new(None::<AppError>);
    view! {
        <div class="ws-panel" data-testid="precredit-page">
            <div class="ws-panel-header">
                <h1 class="page-title">{t.pc_title}</h1>
                <span class="muted">{t.pc_sub}</span>
            </div>
            <FormError error=error />
            {awaited(data, super::LOGIN, move |page| {
                let product = RwSignal::new(page.products.first().map(|p| p.code.clone()).unwrap_or_default());
                let bureau = RwSignal::new(true);
                let village = RwSignal::new(String::new());
                let start = Action::new(move |_: &()| {
                    let (v, code, b) = (village.get_untracked(), product.get_untracked(), bureau.get_untracked());
                    async move {
                        let r = start_precredit(v, code, b).await;
                        if r.is_ok() {
                            reload();
                        }
                        r
                    }
                });
                Effect::new(move |_| {
                    if let Some(Err(e)) = start.value().get() {
                        error.set(Some(e));
                    }
                });
                let locale = use_locale();
                view! {
                    <section class="stack pc-new">
                        <h2 class="section-title">{t.pc_new}</h2>
                        <p class="muted">{t.pc_scope_hint}</p>
                        <div class="row">
                            <label class="muted" for="pc-village">{t.pc_col_scope}</label>
                            <select id="pc-village" class="input pc-scope" data-testid="pc-village"
                                on:change=move |ev| village.set(event_target_value(&ev))>
                                <option value="">{fill(t.pc_whole_area, &[("scope", page.scope_name.clone())])}</option>
                                {page.villages.iter().map(|v| view! {
                                    <option value=v.id.clone()>{format!("{}{}", v.township, v.name)}" · "{fill(t.pc_households, &[("n", v.households.to_string())])}</option>
                                }).collect_view()}
                            </select>
                            <label class="muted" for="pc-product">{t.pc_product}</label>
                            <select id="pc-product" class="input input-short pc-product" data-testid="pc-product"
                                on:change=move |ev| product.set(event_target_value(&ev))>
                                {page.products.iter().map(|p| view! {
                                    <option value=p.code.clone()>{locale.pick(&p.name_zh, &p.name_en).to_string()}</option>
                                }).collect_view()}
                            </select>
                            <label class="checkbox">
                                <input type="checkbox" prop:checked=move || bureau.get()
                                    on:change=move |ev| bureau.set(event_target_checked(&ev)) />
                                {t.pc_use_bureau}
                            </label>
                            <button class="btn btn-primary" data-testid="pc-start" disabled=move || start.pending().get()
                                on:click=move |_| { start.dispatch(()); }>{t.pc_start}</button>
                        </div>
                    </section>
                    <WhitelistImport products=page.products.clone() />
                    {if page.jobs.is_empty() {
                        view! { <div class="empty">{t.pc_none}</div> }.into_any()
                    } else {
                        view! {
                            <div class="row"><button class="btn btn-sm btn-secondary" on:click=move |_| reload()>{t.pc_refresh}</button></div>
                            <table class="table" data-testid="pc-jobs">
                                <thead><tr>
                                    <th>{t.pc_col_scope}</th><th>{t.pc_product}</th><th>{t.col_status}</th>
                                    <th class="num">{t.pc_col_progress}</th><th class="num">{t.pc_col_results}</th>
                                    <th>{t.pc_col_created}</th><th>{t.col_action}</th>
                                </tr></thead>
                                <tbody>
                                    {page.jobs.into_iter().map(|j| {
                                        let href = format!("/staff/precredit/{}", j.id);
                                        view! {
                                            <tr data-testid="pc-job" data-status=j.status.as_str()>
                                                <td>{j.source_file.clone().unwrap_or_else(|| j.scope_name.clone())}</td>
                                                <td class="mono">{j.product_code.clone()}</td>
                                                <td>
                                                    <span class=status_badge(j.status)>{t.precredit_status(j.status)}</span>
                                                    {j.requested.clone().map(|r| view! { <div class="hint">{fill(t.pc_requested, &[("what", if r == "pause" { t.pc_pause.to_string() } else { t.pc_cancel.to_string() })])}</div> })}
                                                </td>
                                                <td class="num">{progress(&j)}</td>
                                                <td class="num">{format!("{} / {} / {} / {}", j.approved, j.referred, j.rejected, j.skipped)}</td>
                                                <td>{j.created_by_name.clone()}<div class="muted">{datetime(j.created_at)}</div></td>
                                                <td>
                                                    <div class="row">
                                                        <a class="btn btn-sm btn-secondary" href=href>{t.pc_open}</a>
                                                        <Controls job=j.clone() error=error />
                                                    </div>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }}
                }.into_any()
            })}
        </div>
    }
}

#[component]
pub fn PrecreditJobPage() -> impl IntoView {
    let t = t();
    let locale = use_locale();
    let params = use_params_map();
    let outcome = RwSignal::new(String::new());
    let data = Resource::new(
        move || (params.get().get("id").unwrap_or_default(), outcome.get()),
        |(id, o)| precredit_job(id, o),
    );
    let error = RwSignal::new(None::<AppError>);
    let offered = RwSignal::new(None::<String>);
    view! {
        <div data-testid="precredit-job-page">
            <div class="ws-toolbar">
                <a class="btn btn-sm btn-link" href="/staff/precredit">{t.pc_back}</a>
            </div>
            <FormError error=error />
            {move || offered.get().map(|n| view! { <div class="alert alert-success" role="status" data-testid="pc-offered">{n}</div> })}
            {awaited(data, super::LOGIN, move |page| {
                let j = page.job;
                let id = j.id.clone();
                let offer = Action::new(move |_: &()| {
                    let id = id.clone();
                    async move { offer_precredit(id).await }
                });
                Effect::new(move |_| match offer.value().get() {
                    Some(Ok(s)) => {
                        error.set(None);
                        offered.set(Some(fill(t.pc_offered, &[("n", s.offered.to_string()), ("skipped", s.skipped.to_string())])));
                    }
                    Some(Err(e)) => error.set(Some(e)),
                    None => {}
                });
                let filters = [("", t.pc_filter_all), ("approve", t.verdict_approve), ("refer", t.verdict_refer), ("reject", t.verdict_reject), ("skipped", t.pc_outcome_skipped)];
                view! {
                    <div class="ws-toolbar">
                        <h1 class="page-title">{t.pc_title}" · "{j.scope_name.clone()}</h1>
                        <span class=status_badge(j.status)>{t.precredit_status(j.status)}</span>
                    </div>
                    <div class="ws-stats">
                        <div class="stat">
                            <div class="stat-value">{if j.total > 0 { format!("{}%", j.done * 100 / j.total) } else { "—".to_string() }}</div>
                            <div class="stat-label">{t.pc_col_progress}" · "{j.done}" / "{j.total}</div>
                        </div>
                        <div class="stat"><div class="stat-value">{j.approved}</div><div class="stat-label">{t.verdict_approve}</div></div>
                        <div class="stat"><div class="stat-value">{j.referred}</div><div class="stat-label">{t.verdict_refer}</div></div>
                        <div class="stat"><div class="stat-value">{j.rejected}</div><div class="stat-label">{t.verdict_reject}</div></div>
                        <div class="stat"><div class="stat-value">{j.skipped}</div><div class="stat-label">{t.pc_outcome_skipped}</div></div>
                    </div>
                    <section class="ws-panel">
                        <div class="row">
                            {filters.into_iter().map(|(v, l)| view! {
                                <button class=move || if outcome.get() == v { "btn btn-sm btn-primary" } else { "btn btn-sm btn-secondary" }
                                    on:click=move |_| outcome.set(v.to_string())>{l}</button>
                            }).collect_view()}
                            {(j.status == PrecreditJobStatus::Completed && j.approved > 0 && j.can_offer).then(|| view! {
                                <button class="btn btn-primary" data-testid="pc-offer-all" disabled=move || offer.pending().get()
                                    on:click=move |_| { offer.dispatch(()); }>{t.pc_offer_all}</button>
                            })}
                            {(j.status == PrecreditJobStatus::Completed && j.approved > 0 && j.offer_needs_checker).then(|| view! {
                                <span class="alert alert-info" role="note" data-testid="pc-offer-checker">{t.pc_offer_needs_checker}</span>
                            })}
                            <span class="muted">{t.pc_results_note}</span>
                        </div>
                        <table class="table table-compact" data-testid="pc-results">
                            <thead><tr>
                                <th>{t.col_customer}</th><th>{t.col_id_number}</th><th>{t.pc_col_village}</th><th>{t.col_status}</th>
                                <th class="num">{t.pc_col_limit}</th><th>{t.decision_rate}</th><th>{t.decision_score}</th>
                                <th>{t.decision_reasons}</th><th>{t.pc_col_offer}</th>
                            </tr></thead>
                            <tbody>
                                {page.results.into_iter().map(|r| view! {
                                    <tr data-testid="pc-result">
                                        <td>{r.customer_name.clone().unwrap_or_default()}</td>
                                        <td class="muted">{r.id_number_masked.clone().unwrap_or_default()}</td>
                                        <td>{r.village_name.clone().unwrap_or_default()}</td>
                                        <td>{t.precredit_outcome(&r.outcome)}</td>
                                        <td class="num money">{r.limit.map(money)}</td>
                                        <td>{r.rate_bp.map(crate::format::rate_bp)}</td>
                                        <td>{r.score}{r.grade.clone().map(|g| format!(" · {g}"))}</td>
                                        <td class="muted">{reason_words(locale, &r.reason_codes)}</td>
                                        <td>{r.offer_status.as_deref().map(|s| t.offer_status(s))}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </section>
                }.into_any()
            })}
        </div>
    }
}
