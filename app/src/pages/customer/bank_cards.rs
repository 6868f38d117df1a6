//! 我的银行卡: the customer's bound accounts, where loans are paid out, and
//! binding one (checked by the payment channel against the customer's own
//! name, ID number and phone before it can be paid into).

use crate::components::FormError;
use crate::error::AppError;
use crate::i18n::t;
use domain::view::{AccountStatus, BankAccountView};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::session;

#[server(prefix = "/api/fn", endpoint = "my_bank_accounts")]
pub async fn my_bank_accounts() -> Result<Vec<BankAccountView>, AppError> {
    let (services, c) = session::customer().await?;
    Ok(services.applications().my_accounts(&c).await?)
}

#[server(prefix = "/api/fn", endpoint = "bind_my_bank_account")]
pub async fn bind_my_bank_account(account_no: String, bank_name: String) -> Result<(), AppError> {
    let (services, c) = session::customer().await?;
    // Capped before anything reads them.
    if account_no.len() > 64 || bank_name.len() > 200 {
        return Err(AppError::invalid(
            domain::error_code::ErrorCode::AccountNumberInvalid,
        ));
    }
    services
        .applications()
        .bind_my_account(&c, &account_no, &bank_name)
        .await?;
    Ok(())
}

/// The cards and the form to bind one, for a signed-in customer.
#[component]
pub fn BankCards() -> impl IntoView {
    let t = t();
    let refresh = RwSignal::new(0u32);
    // Loaded in the browser once the page is up, and after each binding:
    // a Suspense under the page's own would break its hydration.
    let cards = RwSignal::new(None::<Result<Vec<BankAccountView>, AppError>>);
    let load = Action::new(move |_: &()| my_bank_accounts());
    Effect::new(move |_| {
        refresh.track();
        load.dispatch(());
    });
    Effect::new(move |_| {
        if let Some(r) = load.value().get() {
            cards.set(Some(r));
        }
    });
    let account = RwSignal::new(String::new());
    let bank = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let done = RwSignal::new(false);
    let bind = Action::new(move |_: &()| {
        let (a, b) = (account.get_untracked(), bank.get_untracked());
        async move { bind_my_bank_account(a, b).await }
    });
    Effect::new(move |_| {
        if let Some(r) = bind.value().get() {
            match r {
                Ok(()) => {
                    error.set(None);
                    done.set(true);
                    account.set(String::new());
                    refresh.update(|n| *n += 1);
                }
                Err(e) => {
                    done.set(false);
                    error.set(Some(e));
                    // A failed check is kept: show it in the list too.
                    refresh.update(|n| *n += 1);
                }
            }
        }
    });
    view! {
        <section class="card stack" data-testid="bank-cards">
            <div class="card-title">{t.cards_title}</div>
            {move || cards.get().map(|r| match r {
                    Ok(list) if list.is_empty() => view! { <p class="muted">{t.cards_none}</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="plain-list">
                            {list.into_iter().map(|a| {
                                let (class, label) = match a.status {
                                    AccountStatus::Verified => ("badge badge-approved", t.cards_verified),
                                    AccountStatus::Failed => ("badge badge-rejected", t.cards_failed),
                                };
                                view! {
                                    <li class="bank-card">
                                        <span class="mono">{a.account_masked}</span>
                                        <span class="muted">{a.bank_name}</span>
                                        <span class=class>{label}</span>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <div class="alert alert-error" role="alert">{e.message(t)}</div> }.into_any(),
                })}
            <p class="muted small">{t.cards_hint}</p>
            <div class="field">
                <label for="card-no">{t.cards_number}</label>
                <input id="card-no" class="input mono" inputmode="numeric" autocomplete="cc-number"
                    maxlength="40" prop:value=account
                    on:input=move |ev| account.set(event_target_value(&ev)) />
            </div>
            <div class="field">
                <label for="card-bank">{t.cards_bank}</label>
                <input id="card-bank" class="input" maxlength="40" prop:value=bank
                    on:input=move |ev| bank.set(event_target_value(&ev)) />
            </div>
            <FormError error=error />
            {move || done.get().then(|| view! { <div class="alert alert-success" role="status">{t.cards_bound}</div> })}
            <button class="btn btn-primary btn-block" data-testid="bind-card"
                disabled=move || bind.pending().get()
                on:click=move |_| {
                    if !bind.pending().get_untracked() {
                        error.set(None);
                        done.set(false);
                        bind.dispatch(());
                    }
                }>
                {move || if bind.pending().get() { t.processing } else { t.cards_bind }}
            </button>
        </section>
    }
}
