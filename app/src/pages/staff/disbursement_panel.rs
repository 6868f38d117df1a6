//! The disbursement desk's panel on an approved application (放款): the
//! loan contract's state, the customer's account (registered at the
//! counter and checked with its holder), the payouts made, and the button
//! that pays out, once.

use crate::components::{after_action, load_on_refresh, random_key, FormError};
use crate::error::AppError;
use crate::format::{datetime, money};
use crate::i18n::{fill, t};
use domain::id::ApplicationId;
use domain::view::{AccountStatus, DisbursementView, PayoutStatus};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::session;

/// The panel's data, and whether the payout channel is the development one.
#[server(prefix = "/api/fn", endpoint = "disbursement")]
pub async fn disbursement(id: ApplicationId) -> Result<(DisbursementView, bool), AppError> {
    let (services, staff) = session::staff().await?;
    let view = services.applications().disbursement(&staff, &id).await?;
    let dev = services.development_providers().contains(&"payments");
    Ok((view, dev))
}

/// Registers the borrower's account at the counter (checked with its holder).
#[server(prefix = "/api/fn", endpoint = "bind_account")]
pub async fn bind_account(
    id: ApplicationId,
    account_no: String,
    bank_name: String,
) -> Result<(), AppError> {
    let (services, staff) = session::staff().await?;
    // Capped before anything reads them.
    if account_no.len() > 64 || bank_name.len() > 200 {
        return Err(AppError::invalid(
            domain::error_code::ErrorCode::AccountNumberInvalid,
        ));
    }
    services
        .applications()
        .bind_account_for(&staff, &id, &account_no, &bank_name)
        .await?;
    Ok(())
}

/// Pays the loan out; `key` makes a repeated click find the first order.
#[server(prefix = "/api/fn", endpoint = "disburse")]
pub async fn disburse(id: ApplicationId, key: String) -> Result<String, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services.applications().disburse(&staff, &id, &key).await?)
}

#[component]
pub fn DisbursementPanel(
    id: ApplicationId,
    refresh: RwSignal<u32>,
    notice: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let id = StoredValue::new(id);
    let data = load_on_refresh(refresh, move || disbursement(id.get_value()));
    move || {
        data.get().map(|r| match r {
            Ok((view, dev)) => {
                view! { <Panel view=view dev=dev refresh=refresh notice=notice /> }.into_any()
            }
            Err(e) => view! { <div class="alert alert-error" role="alert">{e.message(t())}</div> }
                .into_any(),
        })
    }
}

#[component]
fn Panel(
    view: DisbursementView,
    dev: bool,
    refresh: RwSignal<u32>,
    notice: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let t = t();
    let id = view.application_id.clone();
    let amount = view.amount;
    // One key per page state: a double click, or a retry after a lost
    // answer, finds the first order.
    let key = StoredValue::new(random_key());
    let error = RwSignal::new(None::<AppError>);
    let pay = {
        let id = id.clone();
        Action::new(move |_: &()| {
            let (id, key) = (id.clone(), key.get_value());
            async move { disburse(id, key).await }
        })
    };
    after_action(pay, error, refresh, notice, t.disb_paid);
    let pending = view
        .payouts
        .iter()
        .any(|p| p.status == PayoutStatus::Pending);
    if pending {
        // The answer comes by the provider's notice: look again shortly.
        #[cfg(not(feature = "ssr"))]
        set_timeout(
            move || refresh.update(|n| *n += 1),
            std::time::Duration::from_secs(3),
        );
    }
    let accounts = view.accounts.clone();
    let payouts = view.payouts.clone();
    view! {
        <section class="ws-panel" data-testid="disbursement">
            <div class="ws-panel-header"><h2 class="section-title">{t.disb_title}</h2></div>
            <dl class="kv">
                <dt>{t.disb_contract}</dt>
                <dd data-testid="disb-contract">
                    {if view.contract_signed {
                        view! { <span class="badge badge-approved">{t.disb_contract_signed}</span> }.into_any()
                    } else {
                        view! { <span class="muted">{t.disb_contract_waiting}</span> }.into_any()
                    }}
                </dd>
                <dt>{t.disb_accounts}</dt>
                <dd>
                    {if accounts.is_empty() {
                        view! { <span class="muted">{t.disb_no_account}</span> }.into_any()
                    } else {
                        view! {
                            <ul class="plain-list" data-testid="disb-accounts">
                                {accounts.into_iter().map(|a| {
                                    let (class, label) = match a.status {
                                        AccountStatus::Verified => ("badge badge-approved", t.disb_account_verified),
                                        AccountStatus::Failed => ("badge badge-rejected", t.disb_account_failed),
                                    };
                                    view! {
                                        <li>
                                            <span class="mono">{a.account_masked}</span>" · "{a.bank_name}" "
                                            <span class=class>{label}</span>
                                            {a.failure.map(|r| view! { " "<span class="muted">{t.payout_reason(&r)}</span> })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                </dd>
            </dl>
            {view.can_bind_account.then(|| view! { <BindAccount id=id.clone() refresh=refresh notice=notice /> })}
            {(!payouts.is_empty()).then(|| view! {
                <h3 class="subsection-title">{t.disb_payouts}</h3>
                <div class="table-wrap">
                    <table class="table" data-testid="disb-payouts">
                        <thead><tr>
                            <th>{t.disb_col_time}</th><th class="num">{t.disb_col_amount}</th>
                            <th>{t.disb_col_account}</th><th>{t.disb_col_status}</th><th>{t.disb_col_by}</th>
                        </tr></thead>
                        <tbody>
                            {payouts.into_iter().map(|p| view! {
                                <tr>
                                    <td>{datetime(p.created_at)}</td>
                                    <td class="num money">{money(p.amount)}</td>
                                    <td class="mono">{p.account_masked}</td>
                                    <td>{t.payout_status(p.status)}
                                        {p.failure.map(|r| view! { "："{t.payout_reason(&r)} })}</td>
                                    <td>{p.requested_by}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            })}
            {pending.then(|| view! { <p class="muted" role="status">{t.disb_pending_hint}</p> })}
            {view.blocked_reason.filter(|_| view.loan_id.is_none() && !pending).map(|code| view! {
                <p class="muted" data-testid="disb-blocked">{t.error(code)}</p>
            })}
            <FormError error=error />
            {view.can_disburse.then(|| view! {
                <button class="btn btn-primary" data-testid="disburse"
                    disabled=move || pay.pending().get()
                    on:click=move |_| {
                        if !pay.pending().get_untracked() {
                            error.set(None);
                            pay.dispatch(());
                        }
                    }>
                    {move || if pay.pending().get() {
                        t.disb_paying.to_string()
                    } else {
                        fill(t.disb_pay, &[("amount", money(amount))])
                    }}
                </button>
            })}
            {dev.then(|| view! { <p class="muted small">{t.disb_dev_note}</p> })}
        </section>
    }
}

#[component]
fn BindAccount(
    id: ApplicationId,
    refresh: RwSignal<u32>,
    notice: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let t = t();
    let account = RwSignal::new(String::new());
    let bank = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let bind = Action::new(move |_: &()| {
        let (id, a, b) = (id.clone(), account.get_untracked(), bank.get_untracked());
        async move { bind_account(id, a, b).await }
    });
    after_action(bind, error, refresh, notice, t.disb_bound);
    view! {
        <details class="disb-bind" data-testid="disb-bind">
            <summary>{t.disb_bind_title}</summary>
            <p class="muted small">{t.disb_bind_hint}</p>
            <div class="form stack">
                <div class="field">
                    <label for="disb-account">{t.disb_account_no}</label>
                    <input id="disb-account" class="input mono" inputmode="numeric" autocomplete="off"
                        maxlength="40" prop:value=account
                        on:input=move |ev| account.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label for="disb-bank">{t.disb_bank_name}</label>
                    <input id="disb-bank" class="input" maxlength="40" prop:value=bank
                        on:input=move |ev| bank.set(event_target_value(&ev)) />
                </div>
                <FormError error=error />
                <button class="btn btn-secondary" data-testid="disb-bind-submit"
                    disabled=move || bind.pending().get()
                    on:click=move |_| {
                        if !bind.pending().get_untracked() {
                            error.set(None);
                            bind.dispatch(());
                        }
                    }>
                    {move || if bind.pending().get() { t.processing } else { t.disb_bind }}
                </button>
            </div>
        </details>
    }
}
