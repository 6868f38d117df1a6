//! 核销 on the staff loan page of an overdue or written-off loan: whether it
//! may be written off (only doubtful or loss), the form to propose it with
//! the reason and the evidence, and the proposals with their decisions,
//! approved or refused by someone other than the proposer. Every rule is
//! the service's; the server functions only cap what the browser sends.

use crate::components::{after_action, load_on_refresh, FormError};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::error::ErrorCode;
use crate::format::{datetime, money};
use crate::i18n::{fill, t};
use domain::view::{WriteOffPanel as Panel, WriteOffStatus, WriteOffView};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::session;

/// The longest reason, evidence or comment the server reads (bytes; the
/// service keeps at most 500 characters).
#[cfg(feature = "ssr")]
const MAX_TEXT_BYTES: usize = 2_000;

#[server(prefix = "/api/fn", endpoint = "write_off_panel")]
pub async fn write_off_panel(loan_id: String) -> Result<Panel, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services
        .servicing()
        .write_off_panel(&staff, &loan_id)
        .await?)
}

#[server(prefix = "/api/fn", endpoint = "propose_write_off")]
pub async fn propose_write_off(
    loan_id: String,
    reason: String,
    evidence: String,
) -> Result<String, AppError> {
    let (services, staff) = session::staff().await?;
    if reason.len() > MAX_TEXT_BYTES || evidence.len() > MAX_TEXT_BYTES {
        return Err(AppError::invalid(ErrorCode::WriteOffReasonRequired));
    }
    Ok(services
        .servicing()
        .propose_write_off(&staff, &loan_id, &reason, &evidence)
        .await?)
}

#[server(prefix = "/api/fn", endpoint = "decide_write_off")]
pub async fn decide_write_off(
    write_off_id: String,
    approve: bool,
    comment: String,
) -> Result<(), AppError> {
    let (services, staff) = session::staff().await?;
    if comment.len() > MAX_TEXT_BYTES {
        return Err(AppError::invalid(ErrorCode::WriteOffReasonRequired));
    }
    Ok(services
        .servicing()
        .decide_write_off(&staff, &write_off_id, approve, &comment)
        .await?)
}

#[component]
pub fn WriteOffCard(loan_id: String, #[prop(into)] on_done: Callback<()>) -> impl IntoView {
    let refresh = RwSignal::new(0u32);
    let notice = RwSignal::new(None::<&'static str>);
    let id = StoredValue::new(loan_id);
    let data = load_on_refresh(refresh, move || write_off_panel(id.get_value()));
    // A decision changes the loan itself: the page reloads it.
    let decided = RwSignal::new(0u32);
    Effect::new(move |prev: Option<u32>| {
        let n = decided.get();
        if prev.is_some_and(|p| p != n) {
            on_done.run(());
        }
        n
    });
    move || {
        data.get().map(|r| match r {
            Ok(p) => view! { <Body panel=p loan_id=id.get_value() refresh=refresh notice=notice decided=decided /> }.into_any(),
            Err(e) => view! { <div class="alert alert-error" role="alert">{e.message(t())}</div> }.into_any(),
        })
    }
}

#[component]
fn Body(
    panel: Panel,
    loan_id: String,
    refresh: RwSignal<u32>,
    notice: RwSignal<Option<&'static str>>,
    decided: RwSignal<u32>,
) -> impl IntoView {
    let t = t();
    let total = panel.principal + panel.interest + panel.penalty;
    // Written off: the proposal says so; "closed" would say it twice.
    let written_off = panel
        .items
        .iter()
        .any(|w| w.status == WriteOffStatus::Approved);
    view! {
        <section class="ws-panel" data-testid="write-off">
            <div class="ws-panel-header">
                <h2 class="section-title">{t.wo_title}</h2>
                <span class="muted">{fill(t.wo_classified, &[("class", t.classification(panel.classification).to_string()), ("dpd", panel.dpd.to_string())])}</span>
            </div>
            {move || notice.get().map(|n| view! { <p class="alert alert-success" role="status">{n}</p> })}
            {panel.not_eligible.filter(|_| !written_off).map(|code| view! { <p class="alert alert-info" data-testid="write-off-not-eligible">{t.error(code)}</p> })}
            {(!panel.items.is_empty()).then(|| view! {
                <ul class="clt-list">
                    {panel.items.iter().cloned().map(|w| view! { <Item w=w refresh=refresh notice=notice decided=decided /> }).collect_view()}
                </ul>
            })}
            {panel.can_propose.then(|| view! { <Propose loan_id=loan_id total=money(total) refresh=refresh notice=notice /> })}
        </section>
    }
}

#[component]
fn Item(
    w: WriteOffView,
    refresh: RwSignal<u32>,
    notice: RwSignal<Option<&'static str>>,
    decided: RwSignal<u32>,
) -> impl IntoView {
    let t = t();
    let error = RwSignal::new(None::<AppError>);
    let comment = RwSignal::new(String::new());
    let wid = StoredValue::new(w.id.clone());
    let decide = Action::new(move |approve: &bool| {
        let (approve, comment) = (*approve, comment.get_untracked());
        async move { decide_write_off(wid.get_value(), approve, comment).await }
    });
    after_action(decide, error, refresh, notice, t.wo_decided);
    Effect::new(move |_| {
        if let Some(Ok(())) = decide.value().get() {
            decided.update(|n| *n += 1);
        }
    });
    let badge = match w.status {
        WriteOffStatus::Proposed => "badge badge-submitted",
        WriteOffStatus::Approved => "badge badge-approved",
        WriteOffStatus::Refused => "badge badge-rejected",
    };
    let written = w.principal.map(|p| {
        let total = p
            + w.interest.unwrap_or(domain::money::Fen::ZERO)
            + w.penalty.unwrap_or(domain::money::Fen::ZERO);
        money(total)
    });
    view! {
        <li class="clt-item" data-testid="write-off-row">
            <div class="clt-head">
                <strong>{t.wo_proposal}</strong>
                <span class=badge data-testid="write-off-status">{t.write_off_status(w.status)}</span>
                <span class="muted small">{fill(t.wo_proposed_by, &[("name", w.proposed_by.clone()), ("at", datetime(w.proposed_at))])}</span>
            </div>
            <dl class="kv clt-kv">
                <dt>{t.wo_reason}</dt>
                <dd>{w.reason.clone()}</dd>
                <dt>{t.wo_evidence}</dt>
                <dd>{w.evidence.clone()}</dd>
                {w.decided_by.clone().map(|who| view! {
                    <dt>{t.wo_decided_by}</dt>
                    <dd>{who}{w.decided_at.map(|at| format!(" · {}", datetime(at)))}</dd>
                })}
                {w.comment.clone().filter(|c| !c.is_empty()).map(|c| view! { <dt>{t.wo_comment}</dt><dd>{c}</dd> })}
                {written.map(|m| view! { <dt>{t.wo_written}</dt><dd class="money" data-testid="write-off-amount">{m}</dd> })}
            </dl>
            {w.can_decide.then(|| view! {
                <div class="clt-actions">
                    <input class="input" maxlength="500" placeholder=t.wo_comment data-testid="write-off-comment"
                        prop:value=comment on:input=move |ev| comment.set(event_target_value(&ev)) />
                    <button class="btn btn-danger" data-testid="write-off-approve" disabled=move || decide.pending().get()
                        on:click=move |_| { if !decide.pending().get_untracked() { error.set(None); decide.dispatch(true); } }>{t.wo_approve}</button>
                    <button class="btn btn-secondary" data-testid="write-off-refuse" disabled=move || decide.pending().get()
                        on:click=move |_| { if !decide.pending().get_untracked() { error.set(None); decide.dispatch(false); } }>{t.wo_refuse}</button>
                </div>
            })}
            <FormError error=error />
        </li>
    }
}

#[component]
fn Propose(
    loan_id: String,
    total: String,
    refresh: RwSignal<u32>,
    notice: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let t = t();
    let reason = RwSignal::new(String::new());
    let evidence = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let id = StoredValue::new(loan_id);
    let save = Action::new(move |_: &()| {
        let (id, r, e) = (
            id.get_value(),
            reason.get_untracked(),
            evidence.get_untracked(),
        );
        async move { propose_write_off(id, r, e).await }
    });
    after_action(save, error, refresh, notice, t.wo_proposed);
    view! {
        <details class="disb-bind" data-testid="write-off-propose">
            <summary>{t.wo_propose_title}</summary>
            <div class="form stack">
                <p class="field-hint">{fill(t.wo_propose_hint, &[("total", total)])}</p>
                <div class="field">
                    <label for="wo-reason">{t.wo_reason}</label>
                    <textarea id="wo-reason" class="input" rows="3" maxlength="500" prop:value=reason
                        on:input=move |ev| reason.set(event_target_value(&ev))></textarea>
                </div>
                <div class="field">
                    <label for="wo-evidence">{t.wo_evidence}</label>
                    <input id="wo-evidence" class="input" maxlength="500" prop:value=evidence
                        on:input=move |ev| evidence.set(event_target_value(&ev)) />
                </div>
                <FormError error=error />
                <button class="btn btn-primary" data-testid="write-off-submit" disabled=move || save.pending().get()
                    on:click=move |_| { if !save.pending().get_untracked() { error.set(None); save.dispatch(()); } }>
                    {move || if save.pending().get() { t.processing } else { t.wo_submit }}
                </button>
            </div>
        </details>
    }
}
