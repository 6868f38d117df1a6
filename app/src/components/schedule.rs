//! A repayment schedule that fits a 360-pixel phone and a desktop table.

use crate::format::money;
use crate::i18n::{fill, t};
use domain::schedule::Instalment;
use domain::view::{InstalmentState, ScheduleLine};
use leptos::prelude::*;

/// Compact list for phones: period, due date and payment, with the split beneath.
#[component]
pub fn MobileSchedule(
    schedule: Vec<Instalment>,
    /// Where each instalment stands (a loan's schedule; empty for a quote).
    #[prop(optional)]
    states: Vec<InstalmentState>,
) -> impl IntoView {
    let t = t();
    view! {
        <ol class="m-schedule">
            {schedule
                .into_iter()
                .enumerate()
                .map(|(k, i)| {
                    let state = states.get(k).copied();
                    view! {
                        <li class=state.map(|s| format!("inst-{}", s.as_str()))>
                            <span>
                                {fill(t.period_n, &[("n", i.n.to_string())])}
                                {state.map(|s| view! { " "<span class=format!("badge badge-inst-{}", s.as_str())>{t.instalment_state(s)}</span> })}
                            </span>
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
pub fn ScheduleTable(
    schedule: Vec<Instalment>,
    /// A loan's schedule lines, with what is paid; empty for a quote.
    #[prop(optional)]
    lines: Vec<ScheduleLine>,
) -> impl IntoView {
    let with_paid = !lines.is_empty();
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
                    {with_paid.then(|| view! { <th class="num">{t.col_paid}</th><th>{t.col_status}</th> })}
                </tr>
            </thead>
            <tbody>
                {schedule
                    .into_iter()
                    .enumerate()
                    .map(|(k, i)| {
                        let line = lines.get(k).copied();
                        view! {
                            <tr class=line.map(|l| format!("inst-{}", l.state.as_str()))>
                                <td>{i.n}</td>
                                <td>{i.due_date.to_string()}</td>
                                <td class="num money">{money(i.payment)}</td>
                                <td class="num money">{money(i.principal)}</td>
                                <td class="num money">{money(i.interest)}</td>
                                <td class="num money">{money(i.balance)}</td>
                                {line.map(|l| view! {
                                    <td class="num money">{money(l.paid_principal + l.paid_interest)}</td>
                                    <td><span class=format!("badge badge-inst-{}", l.state.as_str())>{t.instalment_state(l.state)}</span></td>
                                })}
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
