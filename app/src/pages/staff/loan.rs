//! A loan for staff: servicing state (DPD, classification, receivables), the
//! schedule with what is paid, the payments and the ledger (分户账).

use crate::components::awaited;
use crate::components::prepay::{CertificatePrint, PrepaidNotice, PrepayCard, PrepaymentHistory};
use crate::components::schedule::ScheduleTable;
use crate::error::AppError;
use crate::format::{datetime, money, rate};
use crate::i18n::{fill, t, use_locale};
use domain::org::Role;
use domain::servicing::eod::{LoanStatus, PrepaymentKind};
use domain::view::{LoanDetail, SettlementCertificateView, StaffInfo};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[cfg(feature = "ssr")]
use crate::session;

#[server(prefix = "/api/fn", endpoint = "staff_loan")]
pub async fn staff_loan(id: String) -> Result<LoanDetail, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services.loans().loan_for_staff(&staff, &id).await?)
}

#[server(prefix = "/api/fn", endpoint = "staff_settlement_certificate")]
pub async fn staff_settlement_certificate(
    id: String,
) -> Result<SettlementCertificateView, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services
        .servicing()
        .settlement_certificate(&staff, &id)
        .await?)
}

/// 柜面还款: the desk posts what the borrower paid at the counter.
#[server(prefix = "/api/fn", endpoint = "counter_repay")]
pub async fn counter_repay(id: String, amount: String, key: String) -> Result<String, AppError> {
    let amount =
        domain::money::Fen::parse_yuan(amount.trim()).map_err(|e| AppError::invalid(e.code()))?;
    let (services, staff) = session::staff().await?;
    let done = services
        .servicing()
        .repay_at_counter(&staff, &id, amount, &key)
        .await?;
    Ok(done.reference)
}

/// The desk's counter repayment: the amount the borrower paid (what is due
/// put in for a loan with a schedule; typed for a revolving one), posted
/// once however often it is clicked.
#[component]
fn CounterRepayCard(
    loan_id: String,
    due: domain::money::Fen,
    revolving: bool,
    /// Set once a payment is posted; the page shows the notice, which
    /// outlives the card the reload draws anew (or removes, nothing due).
    posted: RwSignal<bool>,
    on_done: impl Fn() + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let t = t();
    let amount = RwSignal::new(if revolving || due <= domain::money::Fen::ZERO {
        String::new()
    } else {
        due.to_yuan_string()
    });
    let key = RwSignal::new(String::new());
    Effect::new(move |_| key.set(crate::components::random_key()));
    let error = RwSignal::new(None::<AppError>);
    let id = StoredValue::new(loan_id);
    let pay = Action::new(move |_: &()| {
        let args = (id.get_value(), amount.get_untracked(), key.get_untracked());
        async move { counter_repay(args.0, args.1, args.2).await }
    });
    Effect::new(move |_| match pay.value().get() {
        Some(Ok(_)) => {
            error.set(None);
            posted.set(true);
            key.set(crate::components::random_key());
            on_done();
        }
        Some(Err(e)) => {
            if e.code != crate::error::ErrorCode::Network {
                key.set(crate::components::random_key());
            }
            error.set(Some(e));
        }
        None => {}
    });
    view! {
        <section class="ws-panel stack" data-testid="counter-repay">
            <div class="ws-panel-header">
                <h2 class="section-title">{t.counter_repay_title}</h2>
                <span class="muted">{fill(t.counter_repay_owed, &[("amount", money(due))])}</span>
            </div>
            <form class="row" on:submit=move |ev| {
                ev.prevent_default();
                if !pay.pending().get_untracked() {
                    error.set(None);
                    posted.set(false);
                    pay.dispatch(());
                }
            }>
                <label class="field">
                    <span>{t.repay_amount}</span>
                    <input class="input" inputmode="decimal" data-testid="counter-repay-amount" required bind:value=amount />
                </label>
                <button class="btn btn-primary" type="submit" data-testid="counter-repay-submit" disabled=move || pay.pending().get()>
                    {move || if pay.pending().get() { t.processing } else { t.counter_repay_submit }}
                </button>
            </form>
            <crate::components::FormError error=error />
        </section>
    }
}

/// 结清证明 of a loan, for the counter to print for the borrower.
#[component]
pub fn StaffSettlementPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.get().get("id").unwrap_or_default();
    let data = Resource::new(id, staff_settlement_certificate);
    view! {
        <CertificatePrint
            data=data
            back=Signal::derive(move || format!("/staff/loans/{}", id()))
            login=super::LOGIN
        />
    }
}

#[component]
pub fn StaffLoanPage() -> impl IntoView {
    let t = t();
    // The counter's form is the disbursement desk's (放款/会计岗).
    let desk = use_context::<StaffInfo>().is_some_and(|s| s.has(Role::Disburser));
    let locale = use_locale();
    let params = use_params_map();
    let data = Resource::new(
        move || params.get().get("id").unwrap_or_default(),
        staff_loan,
    );
    let prepaid = RwSignal::new(false);
    let counter_paid = RwSignal::new(false);
    view! {
        <PrepaidNotice done=prepaid />
        {move || counter_paid.get().then(|| view! {
            <p class="alert alert-success" role="status" data-testid="counter-repaid">{t.counter_repay_done}</p>
        })}
        {awaited(data, super::LOGIN, move |d| {
                        let instalments = d.instalments();
                        let lines = d.schedule.clone();
                        let s = d.summary;
                        let due = s.due_now.total().unwrap_or_default();
                        view! {
                            <div class="ws-toolbar">
                                <h1 class="page-title">{t.loan_title}" · "{locale.pick(&s.product_name_zh, &s.product_name_en).to_string()}</h1>
                                <span class=format!("badge badge-{}", s.status.as_str())>{t.loan_status(s.status)}</span>
                                <span class=format!("badge badge-cls-{}", s.classification.as_str())>{t.classification}" · "{t.classification(s.classification)}</span>
                            </div>
                            <div class="ws-stats">
                                <div class="stat"><div class="stat-value money">{money(s.principal)}</div><div class="stat-label">{t.principal}</div></div>
                                <div class="stat"><div class="stat-value money">{money(s.outstanding)}</div><div class="stat-label">{t.outstanding}</div></div>
                                <div class="stat"><div class="stat-value money">{money(s.interest_receivable)}</div><div class="stat-label">{t.interest_receivable}</div></div>
                                <div class="stat"><div class="stat-value money">{money(s.due_now.penalty)}</div><div class="stat-label">{t.penalty_receivable}</div></div>
                                <div class="stat"><div class="stat-value money" data-testid="staff-due-now">{money(due)}</div><div class="stat-label">{if s.revolving { t.repayable_revolving } else { t.due_now }}</div></div>
                                <div class="stat"><div class="stat-value" data-testid="dpd">{s.dpd}</div><div class="stat-label">{t.dpd}</div></div>
                            </div>
                            <p class="muted">
                                {rate(s.rate)}" · "{fill(t.months_n, &[("n", s.term_months.to_string())])}" · "{t.method(s.method)}
                                " · "{t.start_date}" "{s.start_date.to_string()}" · "{t.maturity}" "{s.maturity_date.to_string()}
                                " · "{t.last_processed}" "{s.last_processed.to_string()}
                            </p>
                            {(desk && s.status.is_open() && due > domain::money::Fen::ZERO).then(|| view! {
                                <CounterRepayCard loan_id=s.id.to_string() due=due revolving=s.revolving posted=counter_paid on_done=move || data.refetch() />
                            })}
                            {(desk && s.status.is_open() && !s.revolving && !PrepaymentKind::offered_for(s.method).is_empty()).then(|| view! {
                                <PrepayCard loan_id=s.id.clone() method=s.method counter=true dev_note=false done=prepaid on_done=move |_| data.refetch() />
                            })}
                            {(s.status == LoanStatus::Settled).then(|| view! {
                                <p>
                                    <a class="btn btn-secondary" href=format!("/staff/loans/{}/settlement", s.id.as_str()) data-testid="certificate-link">{t.certificate_view}</a>
                                </p>
                            })}
                            <PrepaymentHistory items=d.prepayments.clone() />
                            {matches!(s.status, LoanStatus::Overdue | LoanStatus::WrittenOff).then(|| view! {
                                <super::write_off_panel::WriteOffCard loan_id=s.id.to_string() on_done=move |_| data.refetch() />
                            })}
                            {(!instalments.is_empty()).then(|| view! {
                                <section class="ws-panel">
                                    <div class="ws-panel-header">
                                        <h2 class="section-title">{t.schedule_title}</h2>
                                        <span class="muted">{t.total_interest}" "<span class="money">{money(d.totals.interest)}</span></span>
                                    </div>
                                    <ScheduleTable schedule=instalments lines=lines />
                                </section>
                            })}
                            {(!d.payments.is_empty()).then(|| view! {
                                <section class="ws-panel">
                                    <div class="ws-panel-header"><h2 class="section-title">{t.payments_title}</h2></div>
                                    <table class="table">
                                        <thead><tr><th>{t.col_time}</th><th>{t.col_reference}</th><th class="num">{t.col_amount}</th><th>{t.col_status}</th></tr></thead>
                                        <tbody>
                                            {d.payments.iter().map(|p| view! {
                                                <tr>
                                                    <td>{datetime(p.created_at)}</td>
                                                    <td class="mono">{p.reference.clone()}</td>
                                                    <td class="num money">{money(p.amount)}</td>
                                                    <td>{t.payment_status(p.status)}{p.failure.clone().map(|f| format!(" · {f}"))}</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </section>
                            })}
                            <section class="ws-panel" data-testid="ledger">
                                <div class="ws-panel-header">
                                    <h2 class="section-title">{t.ledger_title}</h2>
                                    {(d.ledger_total > d.ledger.len() as u64).then(|| view! {
                                        <span class="muted" data-testid="ledger-shown">{fill(t.ledger_shown, &[
                                            ("shown", d.ledger.len().to_string()),
                                            ("total", d.ledger_total.to_string()),
                                        ])}</span>
                                    })}
                                </div>
                                {if d.ledger.is_empty() {
                                    view! { <div class="empty">{t.no_postings}</div> }.into_any()
                                } else {
                                    view! {
                                        <table class="table">
                                            <thead><tr>
                                                <th>{t.col_business_date}</th><th>{t.col_posting_kind}</th><th>{t.col_account}</th>
                                                <th class="num">{t.col_debit}</th><th class="num">{t.col_credit}</th>
                                            </tr></thead>
                                            <tbody>
                                                {d.ledger.iter().rev().map(|p| {
                                                    let n = p.lines.len();
                                                    p.lines.iter().enumerate().map(|(i, l)| view! {
                                                        <tr class=if i + 1 == n { "posting-end" } else { "" }>
                                                            <td>{(i == 0).then(|| p.business_date.to_string())}</td>
                                                            <td title=p.reference.clone()>{(i == 0).then(|| t.posting_kind(p.kind))}</td>
                                                            <td>{t.account(l.account)}</td>
                                                            <td class="num money">{(l.debit.get() > 0).then(|| money(l.debit))}</td>
                                                            <td class="num money">{(l.credit.get() > 0).then(|| money(l.credit))}</td>
                                                        </tr>
                                                    }).collect_view()
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                    }.into_any()
                                }}
                            </section>
                        }.into_any()
                    })}
    }
}
