//! 产品超市 (product supermarket) and the product factory: every staff member
//! reads each product's terms, target customers, documents, duty mode and
//! approval flow; product managers draft new products (top-level or
//! sub-products) and new versions of any product, publish the drafts of
//! their colleagues (maker-checker, decided on the server), and withdraw a
//! product (停用).

use super::products_api::{
    publish_product_version, retire_product_version, save_product_draft, supermarket,
    SubProductForm,
};
use crate::components::{awaited, reload, FormError};
use crate::error::AppError;
use crate::format::{money, rate};
use crate::i18n::{fill, t, use_locale, Texts};
use domain::duty::{DutyMode, DutyPolicy};
use domain::flow::{ApprovalMode, Condition, FlowTemplate, InvestigationMode, NodeKind, Outcome};
use domain::product::version::VersionStatus;
use domain::product::{DocumentRequirement, GuaranteeType, ProductParams};
use domain::rate::AnnualRate;
use domain::schedule::RepaymentMethod;
use domain::view::{FlowTemplateView, ProductVersionView, SupermarketProduct};
use leptos::prelude::*;

fn bp(v: u32) -> String {
    AnnualRate::from_bp(v)
        .map(rate)
        .unwrap_or_else(|_| format!("{v} bp"))
}

/// "单人" / "背对背双人" / "贷审会 3 人（2 人同意）".
fn node_label(t: &'static Texts, kind: NodeKind) -> String {
    let base = kind.node_type();
    let mode = match kind {
        NodeKind::Investigation {
            mode: InvestigationMode::BackToBack,
        }
        | NodeKind::Approval {
            mode: ApprovalMode::BackToBack,
        } => Some(t.pm_back_to_back.to_string()),
        NodeKind::Approval {
            mode: ApprovalMode::Committee { members, quorum },
        } => Some(fill(
            t.pm_committee,
            &[("n", members.to_string()), ("q", quorum.to_string())],
        )),
        _ => None,
    };
    let end = match kind {
        NodeKind::End { state } => Some(match state {
            domain::flow::EndState::Rejected => t.pm_end_rejected,
            _ => t.pm_end_approved,
        }),
        _ => None,
    };
    match (mode, end) {
        (_, Some(e)) => e.to_string(),
        (Some(m), None) => format!("{}（{m}）", t.node_kind(base)),
        (None, None) => t.node_kind(base).to_string(),
    }
}

fn condition_text(t: &'static Texts, c: &Condition) -> String {
    match c {
        Condition::Always => String::new(),
        Condition::AmountAbove { fen } => fill(t.pm_cond_above, &[("v", money(*fen))]),
        Condition::AmountAtMost { fen } => fill(t.pm_cond_at_most, &[("v", money(*fen))]),
        Condition::ScoreAtLeast { score } => {
            fill(t.pm_cond_score_at_least, &[("v", score.to_string())])
        }
        Condition::ScoreBelow { score } => fill(t.pm_cond_score_below, &[("v", score.to_string())]),
        Condition::GuaranteeIn { types } => fill(
            t.pm_cond_guarantee,
            &[(
                "v",
                types
                    .iter()
                    .map(|g| g.label_zh())
                    .collect::<Vec<_>>()
                    .join("、"),
            )],
        ),
        Condition::All { all } => all
            .iter()
            .map(|c| condition_text(t, c))
            .collect::<Vec<_>>()
            .join("，"),
    }
}

fn outcome_text(t: &'static Texts, o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => t.pm_on_pass,
        Outcome::Reject => t.pm_on_reject,
        Outcome::Escalate => t.pm_on_escalate,
    }
}

/// The flow as a list of steps, each with where it goes next.
#[component]
pub(crate) fn FlowDiagram(flow: FlowTemplate) -> impl IntoView {
    let t = t();
    // Steps are numbered; a target step is named with its number, so two
    // approval steps are told apart.
    let steps_only: Vec<&domain::flow::Node> = flow
        .nodes
        .iter()
        .filter(|n| !matches!(n.kind, NodeKind::End { .. }))
        .collect();
    let name_of = |id: &str| match steps_only.iter().position(|n| n.id == id) {
        Some(i) => format!("{}. {}", i + 1, node_label(t, steps_only[i].kind)),
        None => flow
            .nodes
            .iter()
            .find(|n| n.id == id)
            .map(|n| node_label(t, n.kind))
            .unwrap_or_else(|| id.to_string()),
    };
    let steps = flow
        .nodes
        .iter()
        .filter(|n| !matches!(n.kind, NodeKind::End { .. }))
        .map(|n| {
            let exits = flow
                .edges
                .iter()
                .filter(|e| e.from == n.id)
                .map(|e| {
                    let cond = condition_text(t, &e.when);
                    let cond = if cond.is_empty() { String::new() } else { format!("（{cond}）") };
                    view! { <li>{outcome_text(t, e.on)}{cond}" → "{name_of(&e.to)}</li> }
                })
                .collect_view();
            let sla = n.sla_hours.map(|h| fill(t.pm_sla, &[("h", h.to_string())]));
            view! {
                <li class="flow-step" data-testid="flow-step">
                    <div class="flow-step-head"><strong>{node_label(t, n.kind)}</strong>
                        {n.kind.post().map(|p| view! { <span class="muted">" · "{t.post(p)}</span> })}
                        {sla.map(|s| view! { <span class="tag">{s}</span> })}
                    </div>
                    <ul class="flow-exits">{exits}</ul>
                </li>
            }
        })
        .collect_view();
    view! { <ol class="flow-steps" data-testid="flow-diagram">{steps}</ol> }
}

fn duty_text(t: &'static Texts, d: &DutyPolicy) -> String {
    if d.bands.is_empty() {
        return t.pm_duty_separated_all.to_string();
    }
    let mut parts: Vec<String> = d
        .bands
        .iter()
        .map(|b| {
            let mode = match b.mode {
                DutyMode::Separated => t.pm_duty_separated,
                DutyMode::SingleOfficer => t.pm_duty_single,
            };
            fill(
                t.pm_duty_up_to,
                &[("v", money(b.up_to)), ("mode", mode.to_string())],
            )
        })
        .collect();
    parts.push(t.pm_duty_above.to_string());
    parts.join("；")
}

#[component]
fn Terms(params: ProductParams) -> impl IntoView {
    let t = t();
    let list = |v: &[String]| {
        if v.is_empty() {
            t.pm_no_limit.to_string()
        } else {
            v.join("、")
        }
    };
    let target = &params.target;
    view! {
        <dl class="kv">
            <dt>{t.amount_label}</dt>
            <dd>{money(params.amount.min)}" – "{money(params.amount.max)}" "{t.yuan}</dd>
            <dt>{t.term_label}</dt>
            <dd>{fill(t.pm_months_range, &[("min", params.term_months.min.to_string()), ("max", params.term_months.max.to_string())])}</dd>
            <dt>{t.pm_rate_range}</dt>
            <dd>{bp(params.rate_bp.min)}" – "{bp(params.rate_bp.max)}" · "{t.pm_base_rate}" "{bp(params.pricing.base_rate_bp)}</dd>
            <dt>{t.pm_methods}</dt>
            <dd>{params.repayment_methods.iter().map(|m| t.method(*m)).collect::<Vec<_>>().join("、")}</dd>
            <dt>{t.pm_guarantees}</dt>
            <dd>{params.guarantee_types.iter().map(|g| g.label_zh()).collect::<Vec<_>>().join("、")}</dd>
            <dt>{t.pm_target}</dt>
            <dd data-testid="pm-target">
                {fill(t.pm_target_text, &[
                    ("regions", list(&target.region_codes)),
                    ("branches", list(&target.branch_codes)),
                    ("min", target.age.min.to_string()),
                    ("max", target.age.max.to_string()),
                ])}
            </dd>
            <dt>{t.pm_documents}</dt>
            <dd>{params.documents.iter().map(|d| if d.required { d.label_zh.clone() } else { format!("{}（{}）", d.label_zh, t.pm_optional) }).collect::<Vec<_>>().join("、")}</dd>
            <dt>{t.pm_fields}</dt>
            <dd>{params.investigation_fields.iter().map(|f| f.label_zh.clone()).collect::<Vec<_>>().join("、")}</dd>
            <dt>{t.pm_duty}</dt>
            <dd data-testid="pm-duty">{duty_text(t, &params.duty)}</dd>
            <dt>{t.pm_revolving}</dt>
            <dd>{if params.revolving { t.yes } else { t.no }}</dd>
            <dt>{t.pf_ltv_cap}</dt>
            <dd data-testid="pm-ltv-cap">{params.ltv_cap_bp.map(|c| format!("{}%", domain::rate::bp_percent_string(c))).unwrap_or_else(|| t.pm_ltv_by_kind.to_string())}</dd>
        </dl>
    }
}

#[component]
fn VersionCard(
    v: ProductVersionView,
    manager: bool,
    error: RwSignal<Option<AppError>>,
) -> impl IntoView {
    let t = t();
    let status = match v.status {
        VersionStatus::Draft => t.pm_status_draft,
        VersionStatus::Published => t.pm_status_published,
        VersionStatus::Retired => t.pm_status_retired,
    };
    let tone = match v.status {
        VersionStatus::Draft => "badge badge-investigated",
        VersionStatus::Published => "badge badge-approved",
        VersionStatus::Retired => "badge badge-withdrawn",
    };
    let publish = (manager && v.status == VersionStatus::Draft).then(|| {
        let (id, row) = (v.id.clone(), v.row_version);
        let act = Action::new(move |_: &()| {
            let id = id.clone();
            async move {
                let r = publish_product_version(id, row).await;
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
        view! {
            <button class="btn btn-primary btn-sm" data-testid="publish-version"
                disabled=move || act.pending().get()
                on:click=move |_| { act.dispatch(()); }>{t.pm_publish}</button>
        }
    });
    let retire = (manager && v.status == VersionStatus::Published)
        .then(|| view! { <RetireForm id=v.id.clone() row=v.row_version /> });
    let note = (!v.note.is_empty())
        .then(|| view! { <p class="muted" data-testid="version-note">{v.note.clone()}</p> });
    let reason = v.retire_reason.clone().map(|r| {
        view! { <p class="muted" data-testid="retire-reason">{fill(t.pm_retired_because, &[("reason", r)])}</p> }
    });
    view! {
        <div class="pm-version" data-testid="product-version" data-status=v.status.as_str()>
            <div class="row">
                <strong>{fill(t.pm_version_n, &[("n", v.version.to_string())])}</strong>
                <span class=tone>{status}</span>
                <span class="muted">{v.author_name.clone().map(|a| fill(t.pm_author, &[("name", a)])).unwrap_or_else(|| t.pm_system.to_string())}</span>
                {v.publisher_name.clone().map(|p| view! { <span class="muted">{fill(t.pm_publisher, &[("name", p)])}</span> })}
                {publish}
                {retire}
            </div>
            {note}
            {reason}
            <div class="split">
                <Terms params=v.params.clone() />
                <div>
                    <h4 class="section-title">{t.flow_title}</h4>
                    <FlowDiagram flow=v.flow.clone() />
                </div>
            </div>
        </div>
    }
}

/// 停用: withdraws a live version with its reason, after a second click.
#[component]
fn RetireForm(id: domain::id::ProductVersionId, row: i64) -> impl IntoView {
    let t = t();
    let open = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let act = Action::new(move |r: &String| {
        let (id, r) = (id.clone(), r.clone());
        async move {
            let out = retire_product_version(id, row, r).await;
            if out.is_ok() {
                reload();
            }
            out
        }
    });
    Effect::new(move |_| {
        if let Some(Err(e)) = act.value().get() {
            error.set(Some(e));
        }
    });
    view! {
        <div class=move || if open.get() { "pm-retire open" } else { "pm-retire" }>
            <Show when=move || open.get() fallback=move || view! {
                <button type="button" class="btn btn-link btn-sm" data-testid="retire-version"
                    on:click=move |_| open.set(true)>{t.pm_retire}</button>
            }>
                <form class="form" data-testid="retire-form"
                    on:submit=move |ev| { ev.prevent_default(); error.set(None); act.dispatch(reason.get_untracked()); }>
                    <p class="muted">{t.pm_retire_hint}</p>
                    <label class="field">
                        <span>{t.pm_retire_reason}</span>
                        <input class="input" data-testid="retire-reason-input" maxlength="200"
                            prop:value=move || reason.get()
                            on:input=move |ev| { error.set(None); reason.set(event_target_value(&ev)); } />
                    </label>
                    <FormError error=error />
                    <div class="row">
                        <button type="submit" class="btn btn-danger btn-sm" data-testid="retire-confirm"
                            disabled=move || act.pending().get()>{t.pm_retire_confirm}</button>
                        <button type="button" class="btn btn-secondary btn-sm"
                            on:click=move |_| open.set(false)>{t.pm_close_form}</button>
                    </div>
                </form>
            </Show>
        </div>
    }
}

#[component]
fn ProductCard(
    p: SupermarketProduct,
    manager: bool,
    error: RwSignal<Option<AppError>>,
    flows: Vec<FlowTemplateView>,
    /// The parent's live parameters, for a sub-product: its new versions
    /// stay inside them.
    parent: Option<ProductParams>,
) -> impl IntoView {
    let t = t();
    let mut shown: Vec<ProductVersionView> = p
        .versions
        .iter()
        .filter(|v| v.status != VersionStatus::Retired)
        .cloned()
        .collect();
    // A withdrawn product shows the version it was withdrawn at.
    let on_sale = shown.iter().any(|v| v.status == VersionStatus::Published);
    if !on_sale {
        if let Some(last) = p
            .versions
            .iter()
            .find(|v| v.status == VersionStatus::Retired)
        {
            shown.push(last.clone());
        }
    }
    let withdrawn = !on_sale && shown.iter().any(|v| v.status == VersionStatus::Retired);
    // A new version starts from the open draft, else the newest version.
    let base = p
        .versions
        .iter()
        .find(|v| v.status == VersionStatus::Draft)
        .or_else(|| p.versions.first())
        .cloned();
    let editing = RwSignal::new(false);
    let name = use_locale().pick(&p.name_zh, &p.name_en).to_string();
    let new_version = (manager && base.is_some()).then(|| {
        view! {
            <button type="button" class="btn btn-secondary btn-sm" data-testid="new-version"
                on:click=move |_| editing.update(|e| *e = !*e)>{t.pm_new_version}</button>
        }
    });
    let product_id = p.id.to_string();
    let form = move || {
        let b = base.clone()?;
        editing.get().then(|| {
            let mut start = SubProductForm::next_version(&product_id, &b.params, &b.flow.code);
            if b.status == VersionStatus::Draft {
                start.note = b.note.clone();
            }
            view! {
                <div class="pm-version-form" data-testid="version-form">
                    <p class="muted">{fill(t.pm_version_of, &[("name", name.clone())])}" "{t.pm_new_version_hint}</p>
                    <ProductForm kind=FormKind::Version prefix="pv" start=start
                        limits=parent.clone() flows=flows.clone() />
                </div>
            }
        })
    };
    view! {
        <section class="ws-panel pm-product" data-testid="product-card" data-code=p.code.clone()>
            <div class="ws-panel-header">
                <h2 class="section-title">{use_locale().pick(&p.name_zh, &p.name_en).to_string()}<span class="muted">" · "{p.code.clone()}</span></h2>
                {p.parent_name_zh.clone().map(|n| view! { <span class="tag">{fill(t.pm_sub_of, &[("name", n)])}</span> })}
                {withdrawn.then(|| view! { <span class="badge badge-withdrawn" data-testid="off-sale">{t.pm_off_sale}</span> })}
                {new_version}
            </div>
            <p class="muted">{p.summary_zh.clone()}</p>
            {form}
            {shown.into_iter().map(|v| view! { <VersionCard v=v manager=manager error=error /> }).collect_view()}
        </section>
    }
}

/// A new document's code: `extra_N`, the first N not yet in the list.
fn new_document_code(docs: &[DocumentRequirement]) -> String {
    (1..)
        .map(|n| format!("extra_{n}"))
        .find(|c| docs.iter().all(|d| &d.code != c))
        .unwrap_or_default()
}

/// Adds or removes `code` from a list of chosen codes.
fn toggle(list: &mut Vec<String>, code: &str, on: bool) {
    list.retain(|c| c != code);
    if on {
        list.push(code.to_string());
    }
}

/// What a product form makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FormKind {
    /// A sub-product of a published top-level product.
    Sub,
    /// A new top-level product.
    New,
    /// The next version of a product.
    Version,
}

/// The product form: one form for a new sub-product, a new top-level
/// product and the next version of a product. `limits` bounds the repayment
/// methods, guarantee types and the revolving line a manager may choose (a
/// sub-product's parent); `None` offers them all. Field ids start with
/// `prefix`, so a version form inside a card never clashes with the form
/// at the top of the page.
#[component]
fn ProductForm(
    kind: FormKind,
    prefix: &'static str,
    start: SubProductForm,
    limits: Option<ProductParams>,
    /// The published top-level products a sub-product may narrow.
    #[prop(optional)]
    parents: Vec<(String, String, ProductParams)>,
    flows: Vec<FlowTemplateView>,
) -> impl IntoView {
    let t = t();
    let form = RwSignal::new(start);
    let limits = RwSignal::new(limits);
    let parents = StoredValue::new(parents);
    let error = RwSignal::new(None::<AppError>);
    let save = Action::new(move |f: &SubProductForm| {
        let f = f.clone();
        async move {
            let r = save_product_draft(f).await;
            if r.is_ok() {
                reload();
            }
            r
        }
    });
    Effect::new(move |_| {
        if let Some(Err(e)) = save.value().get() {
            error.set(Some(e));
        }
    });
    let id = move |name: &str| format!("{prefix}-{name}");
    let field = move |name: &'static str,
                      label: &'static str,
                      get: fn(&SubProductForm) -> String,
                      set: fn(&mut SubProductForm, String)| {
        view! {
            <label class="field">
                <span>{label}</span>
                <input class="input" id=id(name) prop:value=move || form.with(get)
                    on:input=move |ev| form.update(|f| set(f, event_target_value(&ev))) />
            </label>
        }
    };
    let choose_parent = move |pid: String| {
        let found = parents.with_value(|ps| ps.iter().find(|p| p.0 == pid).cloned());
        if let Some((pid, _, params)) = found {
            form.update(|f| {
                let mut next = SubProductForm::from_parent(&pid, &params);
                next.code = f.code.clone();
                next.name_zh = f.name_zh.clone();
                next.summary_zh = f.summary_zh.clone();
                next.duty = f.duty.clone();
                next.single_up_to = f.single_up_to.clone();
                next.flow_code = f.flow_code.clone();
                *f = next;
            });
            limits.set(Some(params));
        }
    };
    // Check boxes for the repayment methods and guarantee types: within the
    // parent's for a sub-product, any for a top-level product.
    let boxes = move |items: Vec<(&'static str, &'static str)>,
                      testid: &'static str,
                      list: fn(&SubProductForm) -> &Vec<String>,
                      list_mut: fn(&mut SubProductForm) -> &mut Vec<String>| {
        items
            .into_iter()
            .map(|(code, label)| {
                view! {
                    <label class="checkbox">
                        <input type="checkbox" data-testid=testid value=code
                            prop:checked=move || form.with(|f| list(f).iter().any(|c| c == code))
                            on:change=move |ev| form.update(|f| toggle(list_mut(f), code, event_target_checked(&ev))) />
                        <span>{label}</span>
                    </label>
                }
            })
            .collect_view()
    };
    let methods = move || {
        let offered = limits.with(|l| {
            l.as_ref()
                .map(|p| p.repayment_methods.clone())
                .unwrap_or_else(|| RepaymentMethod::ALL.to_vec())
        });
        let items = offered
            .into_iter()
            .map(|m| (m.as_str(), t.method(m)))
            .collect();
        boxes(
            items,
            "pm-method",
            |f| &f.repayment_methods,
            |f| &mut f.repayment_methods,
        )
    };
    let guarantees = move || {
        let offered = limits.with(|l| {
            l.as_ref()
                .map(|p| p.guarantee_types.clone())
                .unwrap_or_else(|| GuaranteeType::ALL.to_vec())
        });
        let items = offered
            .into_iter()
            .map(|g| (g.as_str(), t.guarantee(g)))
            .collect();
        boxes(
            items,
            "pm-guarantee",
            |f| &f.guarantee_types,
            |f| &mut f.guarantee_types,
        )
    };
    let may_revolve = move || limits.with(|l| l.as_ref().is_none_or(|p| p.revolving));
    let documents = move || {
        let n = form.with(|f| f.documents.len());
        (0..n)
            .map(|i| {
                let label = move || form.with(|f| f.documents.get(i).map(|d| d.label_zh.clone()).unwrap_or_default());
                let required = move || form.with(|f| f.documents.get(i).is_some_and(|d| d.required));
                view! {
                    <li class="pm-doc" data-testid="pm-document">
                        <input class="input" aria-label=t.pm_doc_label prop:value=label
                            on:input=move |ev| form.update(|f| if let Some(d) = f.documents.get_mut(i) { d.label_zh = event_target_value(&ev); }) />
                        <label class="checkbox">
                            <input type="checkbox" prop:checked=required
                                on:change=move |ev| form.update(|f| if let Some(d) = f.documents.get_mut(i) { d.required = event_target_checked(&ev); }) />
                            <span>{t.pm_doc_required}</span>
                        </label>
                        <button type="button" class="btn btn-link btn-sm"
                            on:click=move |_| form.update(|f| { if i < f.documents.len() { f.documents.remove(i); } })>{t.pm_doc_remove}</button>
                    </li>
                }
            })
            .collect_view()
    };
    let add_document = move |_| {
        form.update(|f| {
            let code = new_document_code(&f.documents);
            f.documents.push(DocumentRequirement {
                code,
                label_zh: String::new(),
                required: true,
            });
        })
    };
    let basics = match kind {
        FormKind::Version => view! {
            <label class="field pm-wide">
                <span>{t.pm_note}</span>
                <input class="input" id=id("note") placeholder=t.pm_note_hint
                    prop:value=move || form.with(|f| f.note.clone())
                    on:input=move |ev| form.update(|f| f.note = event_target_value(&ev)) />
            </label>
        }
        .into_any(),
        FormKind::Sub | FormKind::New => {
            let parent_choice = (kind == FormKind::Sub).then(|| {
                let options = parents.with_value(|ps| {
                    ps.iter()
                        .map(|(pid, name, _)| view! { <option value=pid.clone()>{name.clone()}</option> })
                        .collect_view()
                });
                view! {
                    <label class="field">
                        <span>{t.pm_parent}</span>
                        <select class="input" id=id("parent") on:change=move |ev| choose_parent(event_target_value(&ev))>
                            {options}
                        </select>
                    </label>
                }
            });
            view! {
                {parent_choice}
                {field("code", t.pm_code, |f| f.code.clone(), |f, v| f.code = v)}
                {field("name", t.pm_name, |f| f.name_zh.clone(), |f, v| f.name_zh = v)}
                {field("summary", t.pm_summary, |f| f.summary_zh.clone(), |f, v| f.summary_zh = v)}
            }
            .into_any()
        }
    };
    // "As before": a sub-product's parent, a version's current duties.
    let keep_duty = match kind {
        FormKind::Sub => Some(t.pm_duty_inherit),
        FormKind::Version => Some(t.pm_duty_keep),
        FormKind::New => None,
    };
    view! {
        <form class="form pm-form" data-testid="product-form" data-kind=format!("{kind:?}").to_lowercase()
            on:submit=move |ev| { ev.prevent_default(); error.set(None); save.dispatch(form.get_untracked()); }>
            <h3 class="pm-form-group">{t.pm_form_basics}</h3>
            {basics}
            <h3 class="pm-form-group">{t.pm_form_terms}</h3>
            {field("min-amount", t.pm_min_amount, |f| f.min_amount.clone(), |f, v| f.min_amount = v)}
            {field("max-amount", t.pm_max_amount, |f| f.max_amount.clone(), |f, v| f.max_amount = v)}
            {field("min-term", t.pm_min_term, |f| f.min_term.clone(), |f, v| f.min_term = v)}
            {field("max-term", t.pm_max_term, |f| f.max_term.clone(), |f, v| f.max_term = v)}
            {field("min-rate", t.pm_min_rate, |f| f.min_rate.clone(), |f, v| f.min_rate = v)}
            {field("max-rate", t.pm_max_rate, |f| f.max_rate.clone(), |f, v| f.max_rate = v)}
            {field("base-rate", t.pm_base_rate_pct, |f| f.base_rate.clone(), |f, v| f.base_rate = v)}
            {field("max-discount", t.pm_max_discount, |f| f.max_discount.clone(), |f, v| f.max_discount = v)}
            {field("max-markup", t.pm_max_markup, |f| f.max_markup.clone(), |f, v| f.max_markup = v)}
            {field("ltv-cap", t.pm_ltv_cap, |f| f.ltv_cap.clone(), |f, v| f.ltv_cap = v)}
            <h3 class="pm-form-group">{t.pm_form_customers}</h3>
            <label class="field pm-wide">
                <span>{t.pm_regions}</span>
                <input class="input" id=id("regions") placeholder=t.pm_regions_hint
                    prop:value=move || form.with(|f| f.regions.clone())
                    on:input=move |ev| form.update(|f| f.regions = event_target_value(&ev)) />
            </label>
            {field("min-age", t.pm_min_age, |f| f.min_age.clone(), |f, v| f.min_age = v)}
            {field("max-age", t.pm_max_age, |f| f.max_age.clone(), |f, v| f.max_age = v)}
            <fieldset class="field">
                <legend>{t.pm_guarantees}</legend>
                <div class="pm-choices">{guarantees}</div>
            </fieldset>
            <fieldset class="field">
                <legend>{t.pm_methods}</legend>
                <div class="pm-choices">{methods}</div>
            </fieldset>
            {move || may_revolve().then(|| view! {
                <label class="checkbox pm-revolving">
                    <input type="checkbox" id=id("revolving") prop:checked=move || form.with(|f| f.revolving)
                        on:change=move |ev| form.update(|f| f.revolving = event_target_checked(&ev)) />
                    <span>{t.pm_revolving_line}</span>
                </label>
            })}
            <h3 class="pm-form-group">{t.pm_form_documents}</h3>
            <div class="pm-wide">
                <ul class="pm-docs">{documents}</ul>
                <button type="button" class="btn btn-secondary btn-sm" data-testid="pm-add-document" on:click=add_document>{t.pm_doc_add}</button>
            </div>
            <h3 class="pm-form-group">{t.pm_form_process}</h3>
            <label class="field">
                <span>{t.pm_duty}</span>
                <select class="input" id=id("duty")
                    on:change=move |ev| form.update(|f| f.duty = event_target_value(&ev))>
                    <option value="separated" selected=move || form.with(|f| f.duty == "separated")>{t.pm_duty_separated_all}</option>
                    <option value="single_officer" selected=move || form.with(|f| f.duty == "single_officer")>{t.pm_duty_single_up_to}</option>
                    {keep_duty.map(|label| view! { <option value="" selected=move || form.with(|f| f.duty.is_empty())>{label}</option> })}
                </select>
            </label>
            {move || (form.with(|f| f.duty == "single_officer")).then(|| field("single-up-to", t.pm_single_up_to, |f| f.single_up_to.clone(), |f, v| f.single_up_to = v))}
            <label class="field">
                <span>{t.flow_title}</span>
                <select class="input" id=id("flow")
                    on:change=move |ev| form.update(|f| f.flow_code = event_target_value(&ev))>
                    {flows.iter().map(|fl| {
                        let code = fl.code.clone();
                        let chosen = code.clone();
                        view! { <option value=code selected=move || form.with(|f| f.flow_code == chosen)>{use_locale().pick(&fl.name_zh, &fl.name_en).to_string()}</option> }
                    }).collect_view()}
                </select>
            </label>
            <FormError error=error />
            <div class="row">
                <button type="submit" class="btn btn-primary" data-testid="save-sub-product"
                    disabled=move || save.pending().get()>{t.pm_save_draft}</button>
            </div>
        </form>
    }
}

/// The forms at the top of the supermarket, for product managers: a new
/// sub-product (the default) or a new top-level product.
#[component]
fn NewProductPanel(
    products: Vec<SupermarketProduct>,
    flows: Vec<FlowTemplateView>,
) -> impl IntoView {
    let t = t();
    // Each published top-level product with its live parameters: a
    // sub-product's form starts from them, and may only narrow them.
    let parents: Vec<(String, String, ProductParams)> = products
        .iter()
        .filter(|p| p.parent_id.is_none())
        .filter_map(|p| {
            let live = p.live_version?;
            let v = p
                .versions
                .iter()
                .find(|v| v.version == live && v.status == VersionStatus::Published)?;
            let name = use_locale().pick(&p.name_zh, &p.name_en).to_string();
            Some((p.id.to_string(), name, v.params.clone()))
        })
        .collect();
    let first_flow = flows.first().map(|f| f.code.clone()).unwrap_or_default();
    let top = RwSignal::new(false);
    let sub_start = parents
        .first()
        .map(|(pid, _, p)| {
            let mut f = SubProductForm::from_parent(pid, p);
            f.duty = "separated".into();
            f.flow_code = first_flow.clone();
            f
        })
        .unwrap_or_default();
    let sub_limits = parents.first().map(|p| p.2.clone());
    let (parents, flows) = (StoredValue::new(parents), StoredValue::new(flows));
    let tab = move |on_top: bool, label: &'static str, testid: &'static str| {
        view! {
            <button type="button" data-testid=testid
                class=move || if top.get() == on_top { "btn btn-primary btn-sm" } else { "btn btn-secondary btn-sm" }
                aria-pressed=move || (top.get() == on_top).to_string()
                on:click=move |_| top.set(on_top)>{label}</button>
        }
    };
    view! {
        <section class="ws-panel" data-testid="new-sub-product">
            <div class="ws-panel-header">
                <h2 class="section-title">{move || if top.get() { t.pm_new_product } else { t.pm_new_sub }}</h2>
                <div class="row">
                    {tab(false, t.pm_new_sub, "pm-tab-sub")}
                    {tab(true, t.pm_new_product, "pm-tab-new")}
                </div>
            </div>
            {move || if top.get() {
                view! {
                    <p class="muted">{t.pm_new_product_hint}</p>
                    <ProductForm kind=FormKind::New prefix="pm" start=SubProductForm::new_product(&first_flow)
                        limits=None flows=flows.get_value() />
                }.into_any()
            } else {
                view! {
                    <p class="muted">{t.pm_new_sub_hint}" "{t.pm_prefilled}</p>
                    <ProductForm kind=FormKind::Sub prefix="pm" start=sub_start.clone()
                        limits=sub_limits.clone() parents=parents.get_value() flows=flows.get_value() />
                }.into_any()
            }}
        </section>
    }
}

#[component]
pub fn ProductsPage() -> impl IntoView {
    let t = t();
    let data = Resource::new(|| (), |_| supermarket());
    let error = RwSignal::new(None::<AppError>);
    view! {
        <div class="stack" data-testid="products-page">
            <div class="ws-toolbar">
                <h1 class="page-title">{t.pm_title}</h1>
                <span class="muted">{t.pm_sub}</span>
            </div>
            <FormError error=error />
            {awaited(data, super::LOGIN, move |(products, flows, manager)| {
                let form = manager.then(|| view! {
                    <NewProductPanel products=products.clone() flows=flows.clone() />
                    <super::flow_designer::FlowDesigner flows=flows.clone() />
                });
                // A sub-product's parent's live parameters bound its versions.
                let live = |id: &str| {
                    products.iter().find(|p| p.id.as_str() == id).and_then(|p| {
                        p.versions
                            .iter()
                            .find(|v| v.status == VersionStatus::Published)
                            .map(|v| v.params.clone())
                    })
                };
                let cards = products
                    .iter()
                    .map(|p| {
                        let parent = p.parent_id.as_ref().and_then(|id| live(id.as_str()));
                        view! { <ProductCard p=p.clone() manager=manager error=error flows=flows.clone() parent=parent /> }
                    })
                    .collect_view();
                view! {
                    {form}
                    {cards}
                }
            })}
        </div>
    }
}
