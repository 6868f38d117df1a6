//! A product's details with the live repayment calculator.

use crate::components::awaited;
use crate::components::calculator::{Calculator, TermSelect};
use crate::components::customer_frame::{CustomerFrame, Tab};
use crate::error::AppError;
use crate::format::{money, rate};
use crate::i18n::{fill, t, use_locale};
use domain::money::Fen;
use domain::view::ProductView;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[cfg(feature = "ssr")]
use crate::session;

#[server(prefix = "/api/fn", endpoint = "product")]
pub async fn product(id: String) -> Result<ProductView, AppError> {
    Ok(session::services()?.products().product(&id).await?)
}

/// Terms offered in the form: the usual bank terms inside the product's range.
pub fn term_options(min: u32, max: u32) -> Vec<u32> {
    let mut terms: Vec<u32> = [
        1, 3, 6, 9, 12, 18, 24, 36, 48, 60, 72, 84, 96, 120, 180, 240, 300, 360,
    ]
    .into_iter()
    .filter(|m| (min..=max).contains(m))
    .chain([min, max])
    .collect();
    terms.sort_unstable();
    terms.dedup();
    terms
}

/// A sensible starting amount: a tenth of the maximum, at least the minimum.
pub fn default_amount(min: Fen, max: Fen) -> String {
    let tenth = Fen(max.get() / 10 / 100_000 * 100_000);
    Fen(tenth.get().max(min.get()))
        .to_yuan_string()
        .trim_end_matches(".00")
        .to_string()
}

#[component]
pub fn ProductPage() -> impl IntoView {
    let t = t();
    let locale = use_locale();
    let params = use_params_map();
    let data = Resource::new(move || params.get().get("id").unwrap_or_default(), product);
    view! {
        <CustomerFrame title=t.view_detail tab=Tab::Home back="/">
            {awaited(data, super::LOGIN, move |p| {
                            let amount = RwSignal::new(default_amount(p.min_amount, p.max_amount));
                            let terms = term_options(p.min_term_months, p.max_term_months);
                            let term = RwSignal::new(terms.iter().copied().find(|m| *m >= 12).unwrap_or(p.max_term_months));
                            let apply = format!("/apply/{}", p.id);
                            view! {
                                <article class="card stack">
                                    <h1 class="page-title">{locale.pick(&p.name_zh, &p.name_en).to_string()}</h1>
                                    <p class="muted">{locale.pick(&p.summary_zh, &p.summary_en).to_string()}</p>
                                    <dl class="kv">
                                        <dt>{t.product_amount_range}</dt>
                                        <dd class="money">{money(p.min_amount)}" – "{money(p.max_amount)}" "{t.yuan}</dd>
                                        <dt>{t.term_range}</dt>
                                        <dd>{p.min_term_months}" – "{fill(t.months_n, &[("n", p.max_term_months.to_string())])}</dd>
                                        <dt>{t.product_rate}</dt>
                                        <dd>{rate(p.rate)}</dd>
                                        <dt>{t.product_method}</dt>
                                        <dd>{t.method(p.method)}</dd>
                                        <dt>{t.product_guarantee}</dt>
                                        <dd>{t.guarantee(p.guarantee_type)}</dd>
                                    </dl>
                                </article>
                                <section class="card stack">
                                    <h2 class="section-title">{t.calc_title}</h2>
                                    <div class="field">
                                        <label for="calc-amount">{t.calc_amount}</label>
                                        <div class="input-affix">
                                            <input id="calc-amount" class="input" inputmode="decimal" bind:value=amount />
                                            <span class="affix">{t.yuan}</span>
                                        </div>
                                    </div>
                                    <TermSelect id="calc-term" label=t.calc_term terms=terms term=term />
                                    <Calculator amount=amount term=term rate=p.rate method=p.method />
                                </section>
                                <a class="btn btn-primary btn-block" href=apply>{t.apply_now}</a>
                            }.into_any()
                        })}
        </CustomerFrame>
    }
}
