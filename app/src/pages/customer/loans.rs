//! "My loans": the customer's loans and applications.

use crate::api::load_my_overview;
use crate::components::customer_frame::{CustomerFrame, Tab};
use crate::components::{awaited, StatusBadge};
use crate::format::{datetime, money};
use crate::i18n::{fill, t, use_locale};
use leptos::prelude::*;

#[component]
pub fn MyLoansPage() -> impl IntoView {
    let t = t();
    let locale = use_locale();
    let data = Resource::new(|| (), |_| load_my_overview());
    view! {
        <CustomerFrame title=t.my_loans_title tab=Tab::Loans>
            {awaited(data, super::LOGIN, move |o| view! {
                            <h1 class="page-title">{t.my_loans_title}</h1>
                            {if o.loans.is_empty() {
                                view! { <div class="empty">{t.no_loans}</div> }.into_any()
                            } else {
                                o.loans.into_iter().map(|l| {
                                    let href = format!("/me/loans/{}", l.id);
                                    view! {
                                        <a class="card m-loan" href=href data-testid="loan-card">
                                            <div class="row">
                                                <strong>{locale.pick(&l.product_name_zh, &l.product_name_en).to_string()}</strong>
                                                <span class=format!("badge badge-{}", l.status)>{t.loan_status(&l.status)}</span>
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
