//! 合同模板 (`/staff/contract-templates`): the bank's contract template
//! versions, per product or bank-wide, under maker-checker. A product
//! manager writes a draft beside the list of placeholders, submits it, and
//! a second product manager or an administrator publishes it; the service
//! refuses the author (its error is shown), as it checks every body and
//! says where a mistake is (line, column, name).

use crate::components::FormError;
use crate::error::AppError;
use crate::format::datetime;
use crate::i18n::{fill, t, use_locale, Locale};
use domain::contract::{default_body, ContractKind, Placeholder};
use domain::view::{TemplateDraft, TemplateStatus, TemplateView};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::error::ErrorCode;
#[cfg(feature = "ssr")]
use crate::session;

/// A product a template may be for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateProduct {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
}

/// The page: every version of the bank, its products, and who is looking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplatesData {
    pub templates: Vec<TemplateView>,
    pub products: Vec<TemplateProduct>,
    pub me: String,
}

#[server(prefix = "/api/fn", endpoint = "contract_templates")]
pub async fn contract_templates() -> Result<TemplatesData, AppError> {
    let (services, staff) = session::staff().await?;
    let templates = services
        .contracts()
        .list_contract_templates(&staff, None)
        .await?;
    let products = services
        .products()
        .supermarket(&staff)
        .await?
        .into_iter()
        .map(|p| TemplateProduct {
            id: p.id.to_string(),
            name_zh: p.name_zh,
            name_en: p.name_en,
        })
        .collect();
    Ok(TemplatesData {
        templates,
        products,
        me: staff.user_id,
    })
}

#[server(prefix = "/api/fn", endpoint = "save_contract_template", input = server_fn::codec::Json)]
pub async fn save_template(draft: TemplateDraft) -> Result<TemplateView, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services
        .contracts()
        .save_contract_template(&staff, draft)
        .await?)
}

#[server(prefix = "/api/fn", endpoint = "submit_contract_template")]
pub async fn submit_template(id: String, row_version: i64) -> Result<(), AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services
        .contracts()
        .submit_contract_template(&staff, &id, row_version)
        .await?)
}

/// Publishing by the author is refused by the service (`SelfApproval`,
/// audited); the page says it in the words of templates.
#[server(prefix = "/api/fn", endpoint = "publish_contract_template")]
pub async fn publish_template(id: String, row_version: i64) -> Result<(), AppError> {
    let (services, staff) = session::staff().await?;
    match services
        .contracts()
        .publish_contract_template(&staff, &id, row_version)
        .await
    {
        Err(service::ServiceError::SelfApproval) => Err(AppError::forbidden_until(
            ErrorCode::ContractTemplateSelfPublish,
        )),
        other => Ok(other?),
    }
}

#[server(prefix = "/api/fn", endpoint = "retire_contract_template")]
pub async fn retire_template(id: String, row_version: i64) -> Result<(), AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services
        .contracts()
        .retire_contract_template(&staff, &id, row_version)
        .await?)
}

/// What the editor holds: a new draft, the author's draft, or a version
/// to read.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Editor {
    id: Option<String>,
    /// "" for the bank-wide template.
    product_id: String,
    kind: ContractKind,
    body: String,
    row_version: Option<i64>,
    version: i64,
    read_only: bool,
}

impl Editor {
    fn new() -> Editor {
        Editor {
            id: None,
            product_id: String::new(),
            kind: ContractKind::Loan,
            body: default_body(ContractKind::Loan).to_string(),
            row_version: None,
            version: 0,
            read_only: false,
        }
    }

    fn of(v: &TemplateView, read_only: bool) -> Editor {
        Editor {
            id: Some(v.id.clone()),
            product_id: v.product_id.clone().unwrap_or_default(),
            kind: v.kind,
            body: v.body.clone(),
            row_version: Some(v.row_version),
            version: v.version,
            read_only,
        }
    }
}

/// A step on one version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Submit,
    Publish,
    Retire,
}

fn status_badge(s: TemplateStatus) -> &'static str {
    match s {
        TemplateStatus::Draft => "badge badge-rs-draft",
        TemplateStatus::Submitted => "badge badge-rs-submitted",
        TemplateStatus::Published => "badge badge-rs-live",
        TemplateStatus::Retired => "badge badge-withdrawn",
    }
}

fn placeholder_label(p: Placeholder, locale: Locale) -> &'static str {
    match locale {
        Locale::Zh => p.label_zh(),
        Locale::En => p.label_en(),
    }
}

#[component]
pub fn ContractTemplatesPage() -> impl IntoView {
    let t = t();
    let refresh = RwSignal::new(0u32);
    let data = Resource::new(move || refresh.get(), |_| contract_templates());
    let error = RwSignal::new(None::<AppError>);
    let notice = RwSignal::new(None::<&'static str>);
    let editor = RwSignal::new(None::<Editor>);

    let step = Action::new(move |(s, id, rv): &(Step, String, i64)| {
        let (s, id, rv) = (*s, id.clone(), *rv);
        async move {
            match s {
                Step::Submit => submit_template(id, rv).await,
                Step::Publish => publish_template(id, rv).await,
                Step::Retire => retire_template(id, rv).await,
            }
            .map(|_| s)
        }
    });
    Effect::new(move |_| match step.value().get() {
        Some(Ok(s)) => {
            notice.set(Some(match s {
                Step::Submit => t.tpl_submitted,
                Step::Publish => t.tpl_published,
                Step::Retire => t.tpl_retired,
            }));
            editor.set(None);
            refresh.update(|n| *n += 1);
        }
        Some(Err(e)) => {
            error.set(Some(e));
            refresh.update(|n| *n += 1);
        }
        None => {}
    });
    let run = move |s: Step, v: &TemplateView| {
        error.set(None);
        notice.set(None);
        step.dispatch((s, v.id.clone(), v.row_version));
    };

    view! {
        <div class="stack" data-testid="contract-templates-page">
            <div class="ws-toolbar">
                <h1 class="page-title">{t.tpl_title}</h1>
                <span class="muted">{t.tpl_sub}</span>
                <button class="btn btn-primary btn-sm" data-testid="tpl-new"
                    on:click=move |_| { error.set(None); notice.set(None); editor.set(Some(Editor::new())); }>{t.tpl_new}</button>
            </div>
            {move || notice.get().map(|n| view! { <div class="alert alert-success" role="status">{n}</div> })}
            <FormError error=error />
            <Suspense fallback=crate::components::Loading>
                {move || {
                    #[cfg(not(feature = "ssr"))]
                    data.track();
                    Suspend::new(async move {
                        match data.await {
                            Err(e) => view! { <crate::components::ErrorView error=e login=super::LOGIN /> }.into_any(),
                            Ok(d) => {
                                let products = StoredValue::new(d.products.clone());
                                view! {
                                    {move || editor.get().map(|e| view! {
                                        <TemplateEditor start=e products=products.get_value() editor=editor error=error notice=notice refresh=refresh />
                                    })}
                                    <TemplateList d=d editor=editor run=run busy=Signal::derive(move || step.pending().get()) />
                                }.into_any()
                            }
                        }
                    })
                }}
            </Suspense>
        </div>
    }
}

#[component]
fn TemplateList(
    d: TemplatesData,
    editor: RwSignal<Option<Editor>>,
    run: impl Fn(Step, &TemplateView) + Copy + Send + Sync + 'static,
    busy: Signal<bool>,
) -> impl IntoView {
    let t = t();
    let locale = use_locale();
    if d.templates.is_empty() {
        return view! { <section class="ws-panel"><p class="muted">{t.tpl_none}</p></section> }
            .into_any();
    }
    let scope = |pid: &Option<String>| match pid {
        None => t.tpl_bank_wide.to_string(),
        Some(id) => d
            .products
            .iter()
            .find(|p| &p.id == id)
            .map(|p| locale.pick(&p.name_zh, &p.name_en).to_string())
            .unwrap_or_else(|| id.clone()),
    };
    let rows = d
        .templates
        .iter()
        .map(|v| {
            let mine = v.author_id == d.me;
            let v = StoredValue::new(v.clone());
            let s = v.with_value(|v| v.status);
            let button = move |label: &'static str, class: &'static str, testid: &'static str, step: Step| {
                view! {
                    <button class=class data-testid=testid disabled=move || busy.get()
                        on:click=move |_| v.with_value(|v| run(step, v))>{label}</button>
                }
            };
            view! {
                <tr data-testid="tpl-row" data-status=s.as_str()>
                    <td>{v.with_value(|v| scope(&v.product_id))}</td>
                    <td>{t.contract_kind(v.with_value(|v| v.kind))}</td>
                    <td class="num">{v.with_value(|v| v.version)}</td>
                    <td><span class=status_badge(s)>{t.template_status(s)}</span></td>
                    <td>{if mine { t.tpl_me } else { t.tpl_other }}</td>
                    <td>{datetime(v.with_value(|v| v.updated_at))}</td>
                    <td class="tpl-actions">
                        <button class="btn btn-link btn-sm" data-testid="tpl-view"
                            on:click=move |_| editor.set(Some(v.with_value(|v| Editor::of(v, true))))>{t.tpl_view}</button>
                        {(s == TemplateStatus::Draft && mine).then(|| view! {
                            <button class="btn btn-link btn-sm" data-testid="tpl-edit"
                                on:click=move |_| editor.set(Some(v.with_value(|v| Editor::of(v, false))))>{t.tpl_edit}</button>
                        })}
                        {(s == TemplateStatus::Draft && mine).then(|| button(t.tpl_submit, "btn btn-secondary btn-sm", "tpl-submit", Step::Submit))}
                        {(s == TemplateStatus::Submitted).then(|| button(t.tpl_publish, "btn btn-primary btn-sm", "tpl-publish", Step::Publish))}
                        {(s == TemplateStatus::Published).then(|| button(t.tpl_retire, "btn btn-link btn-sm", "tpl-retire", Step::Retire))}
                        {matches!(s, TemplateStatus::Draft | TemplateStatus::Submitted).then(|| button(t.tpl_discard, "btn btn-link btn-sm", "tpl-discard", Step::Retire))}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="ws-panel">
            <div class="tpl-table-wrap">
                <table class="table" data-testid="tpl-list">
                    <thead><tr>
                        <th>{t.tpl_col_scope}</th><th>{t.tpl_col_kind}</th><th class="num">{t.tpl_col_version}</th>
                        <th>{t.tpl_col_status}</th><th>{t.tpl_col_author}</th><th>{t.tpl_col_updated}</th><th>{t.tpl_col_actions}</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}

/// The draft's text beside the placeholders it may use.
#[component]
fn TemplateEditor(
    start: Editor,
    products: Vec<TemplateProduct>,
    editor: RwSignal<Option<Editor>>,
    error: RwSignal<Option<AppError>>,
    notice: RwSignal<Option<&'static str>>,
    refresh: RwSignal<u32>,
) -> impl IntoView {
    let t = t();
    let locale = use_locale();
    let form = RwSignal::new(start.clone());
    let fixed = start.id.is_some();
    let read_only = start.read_only;
    let save = Action::new(move |e: &Editor| {
        let draft = TemplateDraft {
            id: e.id.clone(),
            product_id: Some(e.product_id.clone()).filter(|p| !p.is_empty()),
            kind: e.kind,
            body: e.body.clone(),
            expected_row_version: e.row_version,
        };
        async move { save_template(draft).await }
    });
    Effect::new(move |_| match save.value().get() {
        Some(Ok(v)) => {
            notice.set(Some(t.tpl_saved));
            editor.set(Some(Editor::of(&v, false)));
            refresh.update(|n| *n += 1);
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let title = if read_only {
        fill(t.tpl_viewer, &[("n", start.version.to_string())])
    } else if fixed {
        fill(t.tpl_editor_edit, &[("n", start.version.to_string())])
    } else {
        t.tpl_editor_new.to_string()
    };
    let choose_kind = move |code: String| {
        if let Some(k) = ContractKind::parse(&code) {
            form.update(|f| {
                // An untouched default follows the kind.
                if f.body == default_body(f.kind) {
                    f.body = default_body(k).to_string();
                }
                f.kind = k;
            });
        }
    };
    let placeholders = move || {
        let kind = form.with(|f| f.kind);
        let required = kind.required_placeholders();
        Placeholder::ALL
            .iter()
            .map(|p| {
                let star = required.contains(p).then_some(" *");
                view! {
                    <li>
                        <code>{format!("{{{{{}}}}}", p.as_str())}</code>{star}
                        <div class="muted">{placeholder_label(*p, locale)}</div>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <section class="ws-panel" data-testid="tpl-editor">
            <div class="ws-panel-header">
                <h2 class="section-title">{title}</h2>
                <button class="btn btn-link btn-sm" on:click=move |_| editor.set(None)>{t.tpl_close}</button>
            </div>
            <div class="tpl-editor">
                <form class="form stack" on:submit=move |ev| {
                    ev.prevent_default();
                    error.set(None);
                    notice.set(None);
                    if !save.pending().get_untracked() {
                        save.dispatch(form.get_untracked());
                    }
                }>
                    <div class="row tpl-scope">
                        <label class="field">
                            <span>{t.tpl_col_scope}</span>
                            <select class="input" id="tpl-product" disabled=fixed || read_only
                                on:change=move |ev| form.update(|f| f.product_id = event_target_value(&ev))>
                                <option value="" selected=start.product_id.is_empty()>{t.tpl_bank_wide}</option>
                                {products.iter().map(|p| view! {
                                    <option value=p.id.clone() selected=p.id == start.product_id>{locale.pick(&p.name_zh, &p.name_en).to_string()}</option>
                                }).collect_view()}
                            </select>
                        </label>
                        <label class="field">
                            <span>{t.tpl_col_kind}</span>
                            <select class="input" id="tpl-kind" disabled=fixed || read_only
                                on:change=move |ev| choose_kind(event_target_value(&ev))>
                                {ContractKind::ALL.iter().map(|k| view! {
                                    <option value=k.as_str() selected=*k == start.kind>{t.contract_kind(*k)}</option>
                                }).collect_view()}
                            </select>
                        </label>
                    </div>
                    <label class="field">
                        <span>{t.tpl_body}</span>
                        <textarea class="input tpl-body" id="tpl-body" data-testid="tpl-body" rows="24" spellcheck="false"
                            readonly=read_only
                            prop:value=move || form.with(|f| f.body.clone())
                            on:input=move |ev| form.update(|f| f.body = event_target_value(&ev))></textarea>
                    </label>
                    {(!read_only).then(|| view! {
                        <div class="row">
                            <button type="submit" class="btn btn-primary" data-testid="tpl-save"
                                disabled=move || save.pending().get()>{t.tpl_save}</button>
                        </div>
                    })}
                </form>
                <aside class="tpl-placeholders">
                    <h3 class="subsection-title">{t.tpl_placeholders}</h3>
                    <p class="field-hint">{t.tpl_placeholders_hint}</p>
                    <ul data-testid="tpl-placeholders">{placeholders}</ul>
                </aside>
            </div>
        </section>
    }
}
