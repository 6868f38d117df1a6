//! A repayment schedule that fits a 360-pixel phone and a desktop table.

use crate::format::money;
use crate::i18n::{fill, t};
use domain::schedule::Instalment;
use leptos::prelude::*;

/// Compact list for phones: period, due date and payment, with the split beneath.
#[component]
pub fn MobileSchedule(schedule: Vec<Instalment>) -> impl IntoView {
    let t = t();
    view! {
        <ol class="m-schedule">
            {schedule
                .into_iter()
                .map(|i| {
                    view! {
                        <li>
                            <span>{fill(t.period_n, &[("n", i.n.to_string())])}</span>
                            <span>{i.due_date.to_string()}</span>
                            <span class="money">{money(i.payment)}</span>
                            <small>
                                {t.col_principal}" "<span class="money">{money(i.principal)}</span>
                                " · "{t.col_interest}" "<span class="money">{money(i.interest)}</span>
                                " · "{t.col_balance}" "<span class="money">{money(i.balance)}</span>
                            </small>
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
}

/// Full table for the staff workbench.
#[component]
pub fn ScheduleTable(schedule: Vec<Instalment>) -> impl IntoView {
    let t = t();
    view! {
        <table class="table">
            <thead>
                <tr>
                    <th>{t.col_period}</th>
                    <th>{t.col_due_date}</th>
                    <th class="num">{t.col_payment}</th>
                    <th class="num">{t.col_principal}</th>
                    <th class="num">{t.col_interest}</th>
                    <th class="num">{t.col_balance}</th>
                </tr>
            </thead>
            <tbody>
                {schedule
                    .into_iter()
                    .map(|i| {
                        view! {
                            <tr>
                                <td>{i.n}</td>
                                <td>{i.due_date.to_string()}</td>
                                <td class="num money">{money(i.payment)}</td>
                                <td class="num money">{money(i.principal)}</td>
                                <td class="num money">{money(i.interest)}</td>
                                <td class="num money">{money(i.balance)}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
