//! "My loans": the customer's loans and applications.

use crate::components::calculator::TermSelect;
use crate::components::customer_frame::{CustomerFrame, Tab};
use crate::components::{awaited, random_key, FormError, StatusBadge};
use crate::error::AppError;
use crate::format::{datetime, money, rate};
use crate::i18n::{fill, t, use_locale};
use domain::servicing::credit_line::{LineKind, LineStatus};
use domain::view::{
    ApplicationSummary, CreditLineView, CreditOfferView, CustomerInfo, LoanSummary,
};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::session;

/// Everything the customer's "my loans" page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyOverview {
    pub customer: CustomerInfo,
    pub applications: Vec<ApplicationSummary>,
    pub loans: Vec<LoanSummary>,
    pub lines: Vec<CreditLineView>,
    /// Pre-approved credit offers (预授信额度) still open to accept.
    pub offers: Vec<CreditOfferView>,
    /// Notices (消息) not yet read.
    pub unread_notices: u32,
}

#[server(prefix = "/api/fn", endpoint = "my_overview")]
pub async fn load_my_overview() -> Result<MyOverview, AppError> {
    let (services, customer) = session::customer().await?;
    Ok(MyOverview {
        applications: services.applications().my_applications(&customer).await?,
        loans: services.loans().my_loans(&customer).await?,
        lines: services.servicing().my_lines(&customer).await?,
        offers: services
            .precredit()
            .my_offers(&customer)
            .await?
            .into_iter()
            .filter(|o| o.status == "offered")
            .collect(),
        unread_notices: services.notices().unread_notices(&customer).await?,
        customer: CustomerInfo {
            name: customer.name,
            phone_masked: customer.phone_masked,
        },
    })
}

/// The customer's credit lines (授信额度).
#[server(prefix = "/api/fn", endpoint = "my_lines")]
pub async fn my_lines() -> Result<Vec<CreditLineView>, AppError> {
    let (services, customer) = session::customer().await?;
    Ok(services.servicing().my_lines(&customer).await?)
}

/// 用信: draws `amount` (yuan) over `term_months` on a line; returns the loan id.
#[server(prefix = "/api/fn", endpoint = "draw_down")]
pub async fn draw_down(
    line_id: domain::id::LineId,
    amount: String,
    term_months: u32,
    idempotency_key: String,
) -> Result<String, AppError> {
    let (services, customer) = session::customer().await?;
    let amount =
        domain::money::Fen::parse_yuan(&amount).map_err(|e| AppError::invalid(e.code()))?;
    Ok(services
        .servicing()
        .draw_down(&customer, &line_id, amount, term_months, &idempotency_key)
        .await?)
}

/// 接受或放弃预授信额度: accepting opens the credit line.
#[server(prefix = "/api/fn", endpoint = "answer_offer")]
pub async fn answer_offer(id: String, version: i64, accept: bool) -> Result<(), AppError> {
    let (services, customer) = session::customer().await?;
    if accept {
        services
            .precredit()
            .accept_offer(&customer, &id, version)
            .await?;
    } else {
        services
            .precredit()
            .decline_offer(&customer, &id, version)
            .await?;
    }
    Ok(())
}

/// A credit line with its available amount and the drawdown form (用信).
#[component]
fn LineCard(line: CreditLineView) -> impl IntoView {
    let t = t();
    let locale = use_locale();
    let terms: Vec<u32> = [3, 6, 12, 24, 36]
        .into_iter()
        .filter(|m| (line.min_term_months..=line.max_term_months).contains(m))
        .collect();
    let term = RwSignal::new(
        terms
            .iter()
            .copied()
            .find(|m| *m == 12)
            .or(terms.first().copied())
            .unwrap_or(line.min_term_months),
    );
    let amount = RwSignal::new(String::new());
    let key = RwSignal::new(String::new());
    Effect::new(move |_| key.set(random_key()));
    let error = RwSignal::new(None::<AppError>);
    let line_id = line.id.clone();
    let draw = Action::new(move |_: &()| {
        let args = (
            line_id.clone(),
            amount.get_untracked(),
            term.get_untracked(),
            key.get_untracked(),
        );
        async move { draw_down(args.0, args.1, args.2, args.3).await }
    });
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(result) = draw.value().get() {
            match result {
                Ok(id) => navigate(&format!("/me/loans/{id}"), Default::default()),
                Err(e) => error.set(Some(e)),
            }
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if draw.pending().get_untracked() {
            return;
        }
        error.set(None);
        draw.dispatch(());
    };
    let kind = match line.kind {
        LineKind::Revolving => t.line_revolving,
        LineKind::OneOff => t.line_one_off,
    };
    let can_draw = line.status == LineStatus::Active && line.available > domain::money::Fen::ZERO;
    let input_id = format!("draw-{}", line.id);
    let term_id = format!("term-{}", line.id);
    view! {
        <section class="card stack" data-testid="line-card">
            <div class="row">
                <strong>{locale.pick(&line.product_name_zh, &line.product_name_en).to_string()}</strong>
                <span class=format!("badge badge-line-{}", line.status.as_str())>{t.line_status(line.status)}</span>
            </div>
            <div class="m-product-figures">
                <div class="fig">
                    <div class="fig-value money" data-testid="line-available">{money(line.available)}</div>
                    <div class="fig-label">{t.line_available}" ("{t.yuan}")"</div>
                </div>
                <div class="fig">
                    <div class="fig-value money">{money(line.limit)}</div>
                    <div class="fig-label">{t.line_limit}" · "{kind}</div>
                </div>
            </div>
            <p class="muted">{rate(line.rate)}" · "{t.method(line.method)}" · "{t.line_expires}" "{line.expires_on.to_string()}</p>
            {can_draw.then(|| view! {
                <form class="form stack" on:submit=on_submit>
                    <h3 class="section-title">{t.drawdown_title}</h3>
                    <div class="field">
                        <label for=input_id.clone()>{t.drawdown_amount}</label>
                        <div class="input-affix">
                            <input id=input_id class="input" inputmode="decimal" required bind:value=amount
                                placeholder=fill(t.amount_range, &[("min", "0.01".to_string()), ("max", money(line.available))]) />
                            <span class="affix">{t.yuan}</span>
                        </div>
                    </div>
                    <TermSelect id=term_id label=t.drawdown_term terms=terms.clone() term=term />
                    <FormError error=error />
                    <button class="btn btn-primary btn-block" type="submit" disabled=move || draw.pending().get()>
                        {t.drawdown_submit}
                    </button>
                </form>
            })}
        </section>
    }
}

/// A pre-approved line (预授信额度) the bank offers: accepting opens it.
#[component]
fn OfferCard(offer: CreditOfferView) -> impl IntoView {
    let t = t();
    let locale = use_locale();
    let error = RwSignal::new(None::<AppError>);
    let (id, version) = (offer.id.clone(), offer.version);
    let answer = Action::new(move |accept: &bool| {
        let (id, accept) = (id.clone(), *accept);
        async move {
            let r = answer_offer(id, version, accept).await;
            if r.is_ok() {
                if let Some(w) = web_sys::window() {
                    let _ = w.location().reload();
                }
            }
            r
        }
    });
    Effect::new(move |_| {
        if let Some(Err(e)) = answer.value().get() {
            error.set(Some(e));
        }
    });
    let busy = move || answer.pending().get();
    view! {
        <section class="card stack m-offer" data-testid="offer-card">
            <div class="row">
                <strong>{t.offer_title}</strong>
                <span class="badge badge-submitted">{t.offer_status(&offer.status)}</span>
            </div>
            <div class="muted">{locale.pick(&offer.product_name_zh, &offer.product_name_en).to_string()}</div>
            <div class="m-product-figures">
                <div class="fig">
                    <div class="fig-value money" data-testid="offer-limit">{money(offer.limit)}</div>
                    <div class="fig-label">{t.offer_limit}</div>
                </div>
                <div class="fig">
                    <div class="fig-value">{rate(offer.rate)}</div>
                    <div class="fig-label">{t.offer_rate}</div>
                </div>
            </div>
            <p class="hint">
                {fill(t.offer_line_months, &[("n", offer.line_months.to_string())])}" · "
                {fill(t.offer_expires, &[("date", offer.offer_expires_on.to_string())])}" · "
                {fill(t.offer_officer, &[("name", offer.officer_name.clone())])}
            </p>
            <FormError error=error />
            <div class="row">
                <button class="btn btn-primary" data-testid="offer-accept" disabled=busy
                    on:click=move |_| { answer.dispatch(true); }>{t.offer_accept}</button>
                <button class="btn btn-secondary" data-testid="offer-decline" disabled=busy
                    on:click=move |_| { answer.dispatch(false); }>{t.offer_decline}</button>
            </div>
        </section>
    }
}

#[component]
pub fn MyLoansPage() -> impl IntoView {
    let t = t();
    let locale = use_locale();
    let data = Resource::new(|| (), |_| load_my_overview());
    view! {
        <CustomerFrame title=t.my_loans_title tab=Tab::Loans>
            {awaited(data, super::LOGIN, move |o| view! {
                            <h1 class="page-title">{t.my_loans_title}</h1>
                            {(o.unread_notices > 0).then(|| view! {
                                <a class="alert alert-info m-notices-new" href="/me/notices" data-testid="notices-new">
                                    {fill(t.notices_new, &[("n", o.unread_notices.to_string())])}
                                </a>
                            })}
                            {o.offers.clone().into_iter().map(|x| view! { <OfferCard offer=x /> }).collect_view()}
                            {(!o.lines.is_empty()).then(|| view! {
                                <h2 class="section-title">{t.my_lines}</h2>
                                {o.lines.clone().into_iter().map(|l| view! { <LineCard line=l /> }).collect_view()}
                            })}
                            {if o.loans.is_empty() {
                                view! { <div class="empty">{t.no_loans}</div> }.into_any()
                            } else {
                                o.loans.into_iter().map(|l| {
                                    let href = format!("/me/loans/{}", l.id);
                                    view! {
                                        <a class="card m-loan" href=href data-testid="loan-card">
                                            <div class="row">
                                                <strong>{locale.pick(&l.product_name_zh, &l.product_name_en).to_string()}</strong>
                                                <span class=format!("badge badge-{}", l.status.as_str())>{t.loan_status(l.status)}</span>
                                            </div>
                                            <div class="m-product-figures">
                                                <div class="fig">
                                                    <div class="fig-value money">{money(l.outstanding)}</div>
                                                    <div class="fig-label">{t.outstanding}</div>
                                                </div>
                                                {l.next_due.map(|(date, amount)| view! {
                                                    <div class="fig">
                                                        <div class="fig-value money">{money(amount)}</div>
                                                        <div class="fig-label">{t.next_due}" "{date.to_string()}</div>
                                                    </div>
                                                })}
                                            </div>
                                        </a>
                                    }
                                }).collect_view().into_any()
                            }}
                            <super::contract::MyContractList />
                            <h2 class="section-title">{t.my_applications_title}</h2>
                            {if o.applications.is_empty() {
                                view! { <div class="empty"><a href="/">{t.no_applications}</a></div> }.into_any()
                            } else {
                                o.applications.into_iter().map(|a| {
                                    let href = format!("/me/applications/{}", a.id);
                                    view! {
                                        <a class="card" href=href data-testid="application-card">
                                            <div class="row">
                                                <strong>{locale.pick(&a.product_name_zh, &a.product_name_en).to_string()}</strong>
                                                <StatusBadge status=a.status />
                                            </div>
                                            <div class="muted">
                                                <span class="money">{money(a.amount)}</span>" "{t.yuan}" · "
                                                {fill(t.months_n, &[("n", a.term_months.to_string())])}" · "
                                                {datetime(a.submitted_at)}
                                            </div>
                                        </a>
                                    }
                                }).collect_view().into_any()
                            }}
                        }.into_any())}
        </CustomerFrame>
    }
}
