//! A loan on the phone: what is due now and the repay button, then the
//! schedule with what is paid. Every figure comes from the service.

use crate::components::customer_frame::{CustomerFrame, Tab};
use crate::components::prepay::{PrepaidNotice, PrepayCard, PrepaymentHistory};
use crate::components::schedule::MobileSchedule;
use crate::components::{awaited, random_key, FormError};
use crate::error::{AppError, ErrorCode};
use crate::format::{money, rate};
use crate::i18n::{fill, t, use_locale};
use domain::servicing::eod::{LoanStatus, PrepaymentKind};
use domain::view::{LoanDetail, LoanSummary, SettlementCertificateView};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[cfg(feature = "ssr")]
use crate::session;

#[server(prefix = "/api/fn", endpoint = "my_loan")]
pub async fn my_loan(id: String) -> Result<LoanDetail, AppError> {
    let (services, customer) = session::customer().await?;
    Ok(services.loans().my_loan(&customer, &id).await?)
}

/// 还款: pays `amount` (yuan) on one of the customer's loans; returns the
/// payment reference. `idempotency_key` makes a double click pay once.
#[server(prefix = "/api/fn", endpoint = "repay_loan")]
pub async fn repay_loan(
    loan_id: domain::id::LoanId,
    amount: String,
    idempotency_key: String,
) -> Result<String, AppError> {
    let (services, customer) = session::customer().await?;
    let amount =
        domain::money::Fen::parse_yuan(&amount).map_err(|e| AppError::invalid(e.code()))?;
    let r = services
        .servicing()
        .repay(&customer, &loan_id, amount, &idempotency_key)
        .await?;
    Ok(r.reference)
}

#[component]
pub fn SchedulePage() -> impl IntoView {
    let t = t();
    let locale = use_locale();
    let params = use_params_map();
    let data = Resource::new(move || params.get().get("id").unwrap_or_default(), my_loan);
    // Outside the loan's view, so the notice stays while the loan reloads.
    let paid = RwSignal::new(false);
    let prepaid = RwSignal::new(false);
    view! {
        <CustomerFrame title=t.schedule_title tab=Tab::Loans back="/me">
            {move || paid.get().then(|| view! { <div class="alert alert-success" role="status" data-testid="repaid">{t.repay_done}</div> })}
            <PrepaidNotice done=prepaid />
            {awaited(data, super::LOGIN, move |d| {
                            let states: Vec<_> = d.schedule.iter().map(|l| l.state).collect();
                            let instalments = d.instalments();
                            let s = d.summary;
                            let overdue = (s.dpd > 0).then(|| view! {
                                <div class="alert alert-error" role="alert" data-testid="overdue-banner">
                                    {fill(t.overdue_banner, &[("days", s.dpd.to_string())])}
                                </div>
                            });
                            view! {
                                {overdue}
                                <section class="card stack">
                                    <div class="row">
                                        <h1 class="page-title">{locale.pick(&s.product_name_zh, &s.product_name_en).to_string()}</h1>
                                        <span class=format!("badge badge-{}", s.status.as_str())>{t.loan_status(s.status)}</span>
                                    </div>
                                    <div class="m-product-figures">
                                        <div class="fig">
                                            <div class="fig-value money">{money(s.outstanding)}</div>
                                            <div class="fig-label">{t.outstanding}" ("{t.yuan}")"</div>
                                        </div>
                                        {s.next_due.map(|(date, amount)| view! {
                                            <div class="fig">
                                                <div class="fig-value money" data-testid="next-due">{money(amount)}</div>
                                                <div class="fig-label">{t.next_due}" "{date.to_string()}</div>
                                            </div>
                                        })}
                                    </div>
                                    <dl class="kv">
                                        <dt>{t.principal}</dt>
                                        <dd class="money">{money(s.principal)}" "{t.yuan}</dd>
                                        <dt>{t.per_year}</dt>
                                        <dd>{rate(s.rate)}</dd>
                                        <dt>{t.loan_term}</dt>
                                        <dd>{fill(t.months_n, &[("n", s.term_months.to_string())])}" · "{t.method(s.method)}</dd>
                                        <dt>{t.maturity}</dt>
                                        <dd>{s.maturity_date.to_string()}</dd>
                                        <dt>{t.total_interest}</dt>
                                        <dd class="money">{money(d.totals.interest)}</dd>
                                        <dt>{t.total_payment}</dt>
                                        <dd class="money">{money(d.totals.payment)}</dd>
                                    </dl>
                                </section>
                                <RepayCard summary=s.clone() dev_note=d.dev_payments paid=paid on_paid=move || data.refetch() />
                                {(s.status.is_open() && !s.revolving && !PrepaymentKind::offered_for(s.method).is_empty()).then(|| view! {
                                    <PrepayCard loan_id=s.id.clone() method=s.method counter=false dev_note=d.dev_payments done=prepaid on_done=move |_| data.refetch() />
                                })}
                                {(s.status == LoanStatus::Settled).then(|| view! {
                                    <a class="card ct-card" href=format!("/me/loans/{}/settlement", s.id.as_str()) data-testid="certificate-link">
                                        <div class="row"><strong>{t.certificate_title}</strong><span class="badge badge-settled">{t.loan_status(s.status)}</span></div>
                                        <div class="ct-card-cta">{t.certificate_view}" ›"</div>
                                    </a>
                                })}
                                <PrepaymentHistory items=d.prepayments.clone() />
                                {(!instalments.is_empty()).then(|| view! {
                                    <section class="card">
                                        <h2 class="section-title">{t.schedule_title}</h2>
                                        <MobileSchedule schedule=instalments states=states />
                                    </section>
                                })}
                            }.into_any()
                        })}
        </CustomerFrame>
    }
}

/// What is due now and the repayment form. The idempotency key is made once
/// per payment order, so a double click or a retry after a lost answer pays
/// once.
#[component]
fn RepayCard(
    summary: LoanSummary,
    dev_note: bool,
    paid: RwSignal<bool>,
    on_paid: impl Fn() + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let t = t();
    let due = summary.due_now;
    let total = due.total().unwrap_or_default();
    let open = summary.status.is_open();
    // 随借随还: nothing falls due before the maturity; what is owed may be
    // repaid in any part on any day, so no amount is put in for the customer.
    let revolving = summary.revolving;
    let amount = RwSignal::new(if total > domain::money::Fen::ZERO && !revolving {
        total.to_yuan_string()
    } else {
        String::new()
    });
    let key = RwSignal::new(String::new());
    Effect::new(move |_| key.set(random_key()));
    let error = RwSignal::new(None::<AppError>);
    let loan_id = summary.id.clone();
    let pay = Action::new(move |_: &()| {
        let args = (loan_id.clone(), amount.get_untracked(), key.get_untracked());
        async move { repay_loan(args.0, args.1, args.2).await }
    });
    Effect::new(move |_| {
        if let Some(result) = pay.value().get() {
            match result {
                Ok(_) => {
                    paid.set(true);
                    key.set(random_key());
                    on_paid();
                }
                Err(e) => {
                    // A refused or failed order is final: the next try is a new
                    // order. After a network error the first may have gone
                    // through, so the retry keeps its key and finds it.
                    if e.code != ErrorCode::Network {
                        key.set(random_key());
                    }
                    error.set(Some(e));
                }
            }
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pay.pending().get_untracked() {
            return;
        }
        error.set(None);
        paid.set(false);
        pay.dispatch(());
    };
    let breakdown = fill(
        t.due_breakdown,
        &[
            ("principal", money(due.principal)),
            ("interest", money(due.interest)),
            ("penalty", money(due.penalty)),
        ],
    );
    view! {
        <section class="card stack" data-testid="repay-card">
            <h2 class="section-title">{if revolving { t.repayable_revolving } else { t.due_now }}</h2>
            {(revolving && open).then(|| view! {
                <p class="hint" data-testid="revolving-hint">{fill(t.revolving_repay_hint, &[("date", summary.maturity_date.to_string())])}</p>
            })}
            {if open && total > domain::money::Fen::ZERO {
                view! {
                    <div class="fig">
                        <div class="fig-value money" data-testid="due-now">{money(total)}</div>
                        <div class="fig-label">{breakdown}</div>
                    </div>
                    <form class="form stack" on:submit=on_submit>
                        <div class="field">
                            <label for="repay-amount">{t.repay_amount}</label>
                            <div class="input-affix">
                                <input id="repay-amount" name="amount" class="input" inputmode="decimal" required bind:value=amount />
                                <span class="affix">{t.yuan}</span>
                            </div>
                        </div>
                        <FormError error=error />
                        <button class="btn btn-primary btn-block" type="submit" disabled=move || pay.pending().get()>
                            {move || if pay.pending().get() { t.repay_paying } else { t.repay_submit }}
                        </button>
                        {dev_note.then(|| view! { <p class="hint">{t.repay_dev_note}</p> })}
                    </form>
                }.into_any()
            } else {
                view! { <p class="muted">{t.nothing_due}</p> }.into_any()
            }}
        </section>
    }
}

#[server(prefix = "/api/fn", endpoint = "my_settlement_certificate")]
pub async fn my_settlement_certificate(id: String) -> Result<SettlementCertificateView, AppError> {
    let (services, customer) = session::customer().await?;
    Ok(services
        .servicing()
        .my_settlement_certificate(&customer, &id)
        .await?)
}

/// 结清证明 on white, for the browser's print (and "save as PDF").
#[component]
pub fn SettlementPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.get().get("id").unwrap_or_default();
    let data = Resource::new(id, my_settlement_certificate);
    view! {
        <crate::components::prepay::CertificatePrint
            data=data
            back=Signal::derive(move || format!("/me/loans/{}", id()))
            login=super::LOGIN
        />
    }
}
