//! A loan and its repayment schedule, on the phone.

use crate::api::my_loan;
use crate::components::awaited;
use crate::components::customer_frame::{CustomerFrame, Tab};
use crate::components::schedule::MobileSchedule;
use crate::format::{money, rate};
use crate::i18n::{fill, t, use_locale};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn SchedulePage() -> impl IntoView {
    let t = t();
    let locale = use_locale();
    let params = use_params_map();
    let data = Resource::new(move || params.get().get("id").unwrap_or_default(), my_loan);
    view! {
        <CustomerFrame title=t.schedule_title tab=Tab::Loans back="/me">
            {awaited(data, super::LOGIN, move |d| {
                            let s = d.summary;
                            view! {
                                <section class="card stack">
                                    <h1 class="page-title">{locale.pick(&s.product_name_zh, &s.product_name_en).to_string()}</h1>
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
                                <section class="card">
                                    <h2 class="section-title">{t.schedule_title}</h2>
                                    <MobileSchedule schedule=d.schedule />
                                </section>
                            }.into_any()
                        })}
        </CustomerFrame>
    }
}
