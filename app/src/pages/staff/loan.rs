//! A loan and its full schedule, for staff.

use crate::api::staff_loan;
use crate::components::awaited;
use crate::components::schedule::ScheduleTable;
use crate::format::{money, rate};
use crate::i18n::{fill, t, use_locale};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn StaffLoanPage() -> impl IntoView {
    let t = t();
    let locale = use_locale();
    let params = use_params_map();
    let data = Resource::new(
        move || params.get().get("id").unwrap_or_default(),
        staff_loan,
    );
    view! {
        {awaited(data, super::LOGIN, move |d| {
                        let s = d.summary;
                        view! {
                            <div class="ws-toolbar">
                                <h1 class="page-title">{t.loan_title}" · "{locale.pick(&s.product_name_zh, &s.product_name_en).to_string()}</h1>
                                <span class=format!("badge badge-{}", s.status)>{t.loan_status(&s.status)}</span>
                            </div>
                            <div class="ws-stats">
                                <div class="stat"><div class="stat-value money">{money(s.principal)}</div><div class="stat-label">{t.principal}</div></div>
                                <div class="stat"><div class="stat-value money">{money(s.outstanding)}</div><div class="stat-label">{t.outstanding}</div></div>
                                <div class="stat"><div class="stat-value">{rate(s.rate)}</div><div class="stat-label">{t.rate}</div></div>
                                <div class="stat"><div class="stat-value">{fill(t.months_n, &[("n", s.term_months.to_string())])}</div><div class="stat-label">{t.method(s.method)}</div></div>
                                <div class="stat"><div class="stat-value money">{money(d.totals.interest)}</div><div class="stat-label">{t.total_interest}</div></div>
                            </div>
                            <section class="ws-panel">
                                <div class="ws-panel-header">
                                    <h2 class="section-title">{t.schedule_title}</h2>
                                    <span class="muted">{t.start_date}" "{s.start_date.to_string()}" · "{t.maturity}" "{s.maturity_date.to_string()}</span>
                                </div>
                                <ScheduleTable schedule=d.schedule />
                            </section>
                        }.into_any()
                    })}
    }
}
