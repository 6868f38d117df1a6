//! The live repayment calculator. It runs the domain schedule code in the
//! browser (WebAssembly), so figures match what the bank will book.

use crate::format::money;
use crate::i18n::{fill, t};
use domain::money::Fen;
use domain::rate::AnnualRate;
use domain::schedule::{build_schedule, totals, RepaymentMethod};
use leptos::prelude::*;

/// First payment, total interest and total repaid for an amount typed in yuan.
#[component]
pub fn Calculator(
    #[prop(into)] amount: Signal<String>,
    #[prop(into)] term: Signal<u32>,
    rate: AnnualRate,
    #[prop(into)] method: Signal<RepaymentMethod>,
) -> impl IntoView {
    let t = t();
    let figures = Memo::new(move |_| {
        let principal = Fen::parse_yuan(&amount.get())
            .ok()
            .filter(|f| f.get() > 0)?;
        // The calculator uses today's date only to lay out due dates; amounts do not depend on it.
        let start = domain::date::Date::new(2025, 1, 15).ok()?;
        let schedule = build_schedule(method.get(), principal, rate, term.get(), start).ok()?;
        let first = schedule.first()?.payment;
        let sum = totals(&schedule);
        Some((first, sum.interest, sum.payment))
    });
    let label = move || {
        if method.get() == RepaymentMethod::EqualInstalment {
            t.calc_monthly
        } else {
            t.calc_first
        }
    };
    view! {
        <section class="m-calc" aria-live="polite">
            {move || match figures.get() {
                Some((first, interest, total)) => view! {
                    <div class="fig-label">{label}</div>
                    <div class="m-calc-figure money" data-testid="calc-monthly">{money(first)}<small>" "{t.yuan}</small></div>
                    <div class="row">
                        <span class="muted">{t.calc_interest}" "<span class="money">{money(interest)}</span></span>
                        <span class="muted">{t.calc_total}" "<span class="money">{money(total)}</span></span>
                    </div>
                }.into_any(),
                None => view! { <div class="muted">{t.calc_invalid}</div> }.into_any(),
            }}
            <p class="field-hint">{t.calc_note}</p>
        </section>
    }
}

/// The term picker: the product's usual terms, labelled in months.
#[component]
pub fn TermSelect(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    terms: Vec<u32>,
    term: RwSignal<u32>,
) -> impl IntoView {
    let t = t();
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <select id=id name="term_months" class="input"
                on:change=move |ev| term.set(event_target_value(&ev).parse().unwrap_or(12))>
                {terms.into_iter().map(|m| view! {
                    <option value=m.to_string() selected=move || term.get() == m>
                        {fill(t.months_n, &[("n", m.to_string())])}
                    </option>
                }).collect_view()}
            </select>
        </div>
    }
}
