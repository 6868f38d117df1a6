//! 提前还款: the choice (pay off, or part with a shorter term or a lower
//! instalment), the quote of the day from the service, and the
//! confirmation; on the customer's phone (collected through the payment
//! channel) and at the counter (the desk posts what it took). Every figure
//! is the service's; the sum confirmed is the sum quoted, and the service
//! refuses it if the day's quote has changed meanwhile. The choice and the
//! amount survive a reload.

use crate::components::{random_key, storage, FormError};
use crate::error::{AppError, ErrorCode};
use crate::format::money;
use crate::i18n::{fill, t};
use domain::id::LoanId;
use domain::money::Fen;
use domain::schedule::RepaymentMethod;
use domain::servicing::eod::{PrepaymentKind, PrepaymentQuote};
use domain::view::{PrepaymentView, SettlementCertificateView};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::session;

#[cfg(feature = "ssr")]
fn request_of(
    kind: PrepaymentKind,
    principal: &str,
) -> Result<domain::servicing::eod::PrepaymentRequest, AppError> {
    let principal = match kind {
        PrepaymentKind::Payoff => Fen::ZERO,
        _ => Fen::parse_yuan(principal.trim()).map_err(|e| AppError::invalid(e.code()))?,
    };
    Ok(kind.request(principal))
}

/// Today's quote: for the borrower's own loan, or (`counter`) for staff
/// who read its ledger.
#[server(prefix = "/api/fn", endpoint = "prepayment_quote")]
pub async fn quote_prepayment(
    loan_id: LoanId,
    kind: PrepaymentKind,
    principal: String,
    counter: bool,
) -> Result<PrepaymentQuote, AppError> {
    let request = request_of(kind, &principal)?;
    if counter {
        let (services, staff) = session::staff().await?;
        Ok(services
            .servicing()
            .prepayment_quote(&staff, &loan_id, request)
            .await?)
    } else {
        let (services, customer) = session::customer().await?;
        Ok(services
            .servicing()
            .my_prepayment_quote(&customer, &loan_id, request)
            .await?)
    }
}

/// Makes the prepayment quoted at `total_fen`: collected from the borrower,
/// or (`counter`) posted by the desk that took the money. Returns whether
/// the loan is now paid off.
#[server(prefix = "/api/fn", endpoint = "prepay_loan")]
pub async fn prepay_loan(
    loan_id: LoanId,
    kind: PrepaymentKind,
    principal: String,
    total_fen: i64,
    idempotency_key: String,
    counter: bool,
) -> Result<bool, AppError> {
    let request = request_of(kind, &principal)?;
    let total = Fen(total_fen);
    let done = if counter {
        let (services, staff) = session::staff().await?;
        services
            .servicing()
            .prepay_at_counter(&staff, &loan_id, request, total, &idempotency_key)
            .await?
    } else {
        let (services, customer) = session::customer().await?;
        services
            .servicing()
            .prepay(&customer, &loan_id, request, total, &idempotency_key)
            .await?
    };
    Ok(done.settled)
}

/// What survives a reload.
#[derive(Serialize, Deserialize)]
struct Draft {
    kind: PrepaymentKind,
    principal: String,
}

/// The prepayment form of one loan. `counter`: the desk's form on the
/// loan's page (the money is taken at the counter), else the borrower's.
#[component]
pub fn PrepayCard(
    loan_id: LoanId,
    method: RepaymentMethod,
    counter: bool,
    /// The payment provider is the development one: say that no money moves.
    dev_note: bool,
    /// Set once a prepayment is posted; the page shows the notice outside
    /// the loan's view, so it stays while the loan reloads.
    done: RwSignal<bool>,
    on_done: impl Fn(bool) + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let t = t();
    let kinds = PrepaymentKind::offered_for(method).to_vec();
    let first = kinds.first().copied().unwrap_or(PrepaymentKind::Payoff);
    let kind = RwSignal::new(first);
    let principal = RwSignal::new(String::new());
    let quote = RwSignal::new(None::<PrepaymentQuote>);
    let error = RwSignal::new(None::<AppError>);
    let key = RwSignal::new(String::new());
    let draft_key = format!("prepay:{}", loan_id.as_str());

    // The draft back after a reload, then kept on every change.
    {
        let draft_key = draft_key.clone();
        let kinds = kinds.clone();
        Effect::new(move |loaded: Option<()>| {
            let (k, p) = (kind.get(), principal.get());
            if loaded.is_none() {
                key.set(random_key());
                if let Some(d) =
                    storage::get(&draft_key).and_then(|s| serde_json::from_str::<Draft>(&s).ok())
                {
                    if kinds.contains(&d.kind) {
                        kind.set(d.kind);
                        principal.set(d.principal);
                    }
                }
                return;
            }
            if let Ok(json) = serde_json::to_string(&Draft {
                kind: k,
                principal: p,
            }) {
                storage::set(&draft_key, &json);
            }
        });
    }
    // A changed choice needs a new quote.
    Effect::new(move |_| {
        kind.track();
        principal.track();
        quote.set(None);
    });

    let id_for_quote = loan_id.clone();
    let ask = Action::new(move |_: &()| {
        let args = (
            id_for_quote.clone(),
            kind.get_untracked(),
            principal.get_untracked(),
        );
        async move { quote_prepayment(args.0, args.1, args.2, counter).await }
    });
    Effect::new(move |_| {
        if let Some(result) = ask.value().get() {
            match result {
                Ok(q) => {
                    error.set(None);
                    quote.set(Some(q));
                }
                Err(e) => {
                    quote.set(None);
                    error.set(Some(e));
                }
            }
        }
    });
    let id_for_pay = loan_id.clone();
    let pay = Action::new(move |total: &Fen| {
        let args = (
            id_for_pay.clone(),
            kind.get_untracked(),
            principal.get_untracked(),
            total.get(),
            key.get_untracked(),
        );
        async move { prepay_loan(args.0, args.1, args.2, args.3, args.4, counter).await }
    });
    Effect::new(move |_| {
        if let Some(result) = pay.value().get() {
            match result {
                Ok(settled) => {
                    storage::remove(&draft_key);
                    key.set(random_key());
                    quote.set(None);
                    principal.set(String::new());
                    done.set(true);
                    on_done(settled);
                }
                Err(e) => {
                    // After a network error the order may have gone through:
                    // the retry keeps its key and finds it.
                    if e.code != ErrorCode::Network {
                        key.set(random_key());
                    }
                    if e.code == ErrorCode::PrepaymentQuoteChanged {
                        quote.set(None);
                    }
                    error.set(Some(e));
                }
            }
        }
    });

    let on_quote = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if ask.pending().get_untracked() {
            return;
        }
        error.set(None);
        done.set(false);
        ask.dispatch(());
    };
    let confirm = move |_| {
        if pay.pending().get_untracked() {
            return;
        }
        if let Some(q) = quote.get_untracked() {
            error.set(None);
            pay.dispatch(q.total);
        }
    };
    let partial = move || kind.get() != PrepaymentKind::Payoff;
    let class = if counter {
        "ws-panel prepay"
    } else {
        "card stack prepay"
    };
    view! {
        <section class=class data-testid="prepay-card">
            <h2 class="section-title">{if counter { t.prepay_counter_title } else { t.prepay_title }}</h2>
            <p class="hint">{t.prepay_hint}</p>
            <form class="form stack" on:submit=on_quote>
                <fieldset class="prepay-kinds">
                    <legend class="sr-only">{t.prepay_title}</legend>
                    {kinds.iter().map(|&k| view! {
                        <label class="prepay-kind">
                            <input
                                type="radio"
                                name="prepay-kind"
                                value=k.as_str()
                                data-testid=format!("prepay-kind-{}", k.as_str())
                                prop:checked=move || kind.get() == k
                                on:change=move |_| kind.set(k)
                            />
                            <span>{t.prepayment_kind(k)}</span>
                        </label>
                    }).collect_view()}
                </fieldset>
                {move || partial().then(|| view! {
                    <div class="field">
                        <label for="prepay-principal">{t.prepay_principal}</label>
                        <div class="input-affix">
                            <input id="prepay-principal" name="principal" class="input" inputmode="decimal" required bind:value=principal />
                            <span class="affix">{t.yuan}</span>
                        </div>
                    </div>
                })}
                <FormError error=error />
                <button class="btn btn-secondary btn-block" type="submit" data-testid="prepay-quote" disabled=move || ask.pending().get()>
                    {move || if ask.pending().get() { t.prepay_quoting } else { t.prepay_quote }}
                </button>
            </form>
            {move || quote.get().map(|q| {
                let total = money(q.total);
                let label = if counter { t.prepay_counter_confirm } else { t.prepay_confirm };
                let periods = fill(t.prepay_from_to, &[
                    ("before", q.before.len().to_string()),
                    ("after", q.after.len().to_string()),
                ]);
                // A payoff leaves no instalment: nothing to compare.
                let payment = q.before.first().filter(|_| !q.payoff).map(|b| fill(t.prepay_from_to, &[
                    ("before", money(b.payment)),
                    ("after", q.after.first().map(|a| money(a.payment)).unwrap_or_else(|| "0.00".into())),
                ]));
                view! {
                    <div class="prepay-quote stack" data-testid="prepay-quote-result">
                        <div class="fig">
                            <div class="fig-value money" data-testid="prepay-total">{total.clone()}</div>
                            <div class="fig-label">{t.prepay_total}" ("{t.yuan}")"</div>
                        </div>
                        <dl class="kv">
                            <dt>{t.prepay_on}</dt>
                            <dd>{q.on.to_string()}</dd>
                            <dt>{t.prepay_principal_part}</dt>
                            <dd class="money">{money(q.principal)}</dd>
                            <dt>{t.prepay_interest}</dt>
                            <dd class="money">{money(q.interest)}</dd>
                            <dt>{t.prepay_periods}</dt>
                            <dd data-testid="prepay-periods">{periods}</dd>
                            {payment.map(|p| view! { <dt>{t.prepay_payment}</dt><dd class="money">{p}</dd> })}
                            <dt>{t.prepay_saved}</dt>
                            <dd class="money prepay-saved">{money(q.interest_saved)}</dd>
                        </dl>
                        {q.payoff.then(|| view! { <p class="hint">{t.prepay_payoff_note}</p> })}
                        <button class="btn btn-primary btn-block" type="button" data-testid="prepay-confirm" on:click=confirm disabled=move || pay.pending().get()>
                            {move || if pay.pending().get() { t.prepay_paying.to_string() } else { fill(label, &[("total", total.clone())]) }}
                        </button>
                        {(dev_note && !counter).then(|| view! { <p class="hint">{t.repay_dev_note}</p> })}
                    </div>
                }
            })}
        </section>
    }
}

/// The notice of a prepayment just posted.
#[component]
pub fn PrepaidNotice(done: RwSignal<bool>) -> impl IntoView {
    let t = t();
    move || {
        done.get().then(|| {
            view! { <div class="alert alert-success" role="status" data-testid="prepaid">{t.prepay_done}</div> }
        })
    }
}

/// The prepayments made on a loan, newest first; nothing when there is none.
#[component]
pub fn PrepaymentHistory(items: Vec<PrepaymentView>) -> impl IntoView {
    let t = t();
    (!items.is_empty()).then(|| {
        view! {
            <section class="card stack" data-testid="prepay-history">
                <h2 class="section-title">{t.prepay_history}</h2>
                <ul class="prepay-history">
                    {items.into_iter().map(|p| view! {
                        <li>
                            <div class="row">
                                <strong>{t.prepayment_kind(p.kind)}</strong>
                                <span class="money">{money(p.total)}" "{t.yuan}</span>
                            </div>
                            <div class="muted">
                                {p.business_date.to_string()}" · "
                                {if p.at_counter { t.prepay_at_counter } else { t.prepay_on_phone }}" · "
                                {fill(t.prepay_history_line, &[
                                    ("principal", money(p.principal)),
                                    ("interest", money(p.interest)),
                                    ("before", p.periods_before.to_string()),
                                    ("after", p.periods_after.to_string()),
                                ])}
                            </div>
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        }
    })
}

/// 结清证明 alone on white, for the browser's print (and "save as PDF"):
/// the sealed wording, the seal's fingerprint and the document's SHA-256.
#[component]
pub fn CertificatePrint(
    data: Resource<Result<SettlementCertificateView, AppError>>,
    #[prop(into)] back: Signal<String>,
    login: &'static str,
) -> impl IntoView {
    let t = t();
    let print = move |_| {
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    };
    view! {
        <leptos_meta::Title text=t.certificate_title />
        <div class="ct-print-page">
            <div class="ct-print-actions">
                <a class="btn btn-secondary" href=move || back.get()>{t.certificate_back}</a>
                <button type="button" class="btn btn-primary" on:click=print>{t.ct_print_now}</button>
                <p class="field-hint">{t.ct_print_hint}</p>
            </div>
            {crate::components::awaited(data, login, move |c| {
                // The wording starts with its own title: shown as the heading.
                let (title, body) = c.text.split_once('\n').unwrap_or(("", c.text.as_str()));
                let (title, body) = (title.to_string(), body.trim_start().to_string());
                view! {
                <article class="ct-print" data-testid="certificate">
                    <h1>{title}</h1>
                    <div class="ct-print-text">{body}</div>
                    <dl class="kv ct-print-signed">
                        <dt>{t.certificate_seal}</dt>
                        <dd class="ct-fingerprint" data-testid="certificate-seal">{crate::pages::customer::contract::fingerprint(&c.seal)}</dd>
                        <dt>{t.certificate_sha256}</dt>
                        <dd class="mono ct-hash">{c.sha256.clone()}</dd>
                        <dt>{t.certificate_issued}</dt>
                        <dd>{crate::format::datetime(c.issued_at)}</dd>
                    </dl>
                </article>
                }
            })}
        </div>
    }
}
