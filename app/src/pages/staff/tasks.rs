//! The task inbox: the flow tasks waiting for this user, soonest due first.

use crate::components::{ErrorView, Loading, StatusBadge};
use crate::error::AppError;
use crate::format::{datetime, money};
use crate::i18n::{fill, t, use_locale};
use domain::view::InboxTask;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::session;

#[server(prefix = "/api/fn", endpoint = "tasks")]
pub async fn tasks() -> Result<Vec<InboxTask>, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services.workflow().inbox(&staff).await?)
}

#[component]
pub fn TasksPage() -> impl IntoView {
    let t = t();
    let locale = use_locale();
    let data = Resource::new(|| (), |_| tasks());
    view! {
        <div class="ws-panel">
            <div class="ws-panel-header">
                <h1 class="page-title">{t.tasks_title}</h1>
                <span class="muted">{t.tasks_sub}</span>
            </div>
            <super::referral::MyReferral />
            <super::visits::MyVisits />
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <ErrorView error=e login=super::LOGIN /> }.into_any(),
                        Ok(items) if items.is_empty() => view! { <div class="empty">{t.no_tasks}</div> }.into_any(),
                        Ok(items) => view! {
                            <div class="table-scroll">
                            <table class="table table-tasks" data-testid="task-table">
                                <thead><tr>
                                    <th>{t.col_task}</th><th>{t.col_customer}</th><th>{t.col_id_number}</th>
                                    <th>{t.col_product}</th><th class="num">{t.col_amount}</th><th>{t.col_term}</th>
                                    <th>{t.col_status}</th><th class="col-wide">{t.col_branch}</th><th class="col-wide">{t.col_received}</th><th>{t.col_due}</th><th>{t.col_action}</th>
                                </tr></thead>
                                <tbody>
                                    {items.into_iter().map(|task| {
                                        let href = format!("/staff/applications/{}", task.task.application_id);
                                        let kind = t.node_kind(task.task.node_kind);
                                        let overdue = task.overdue;
                                        view! {
                                            <tr data-testid="task-row">
                                                <td><span class="tag">{kind}</span></td>
                                                <td>{task.customer_name}</td>
                                                <td class="muted">{task.id_number_masked}</td>
                                                <td>{locale.pick(&task.product_name_zh, &task.product_name_en).to_string()}</td>
                                                <td class="num money">{money(task.amount)}</td>
                                                <td>{fill(t.months_n, &[("n", task.term_months.to_string())])}</td>
                                                <td><StatusBadge status=task.status /></td>
                                                <td class="col-wide">{task.branch_name}</td>
                                                <td class="col-wide">{datetime(task.task.created_at)}</td>
                                                <td class:overdue=overdue>
                                                    {task.task.due_at.map(datetime).unwrap_or_default()}
                                                    {overdue.then(|| view! { " " <span class="badge badge-rejected">{t.flow_overdue}</span> })}
                                                </td>
                                                <td><a class="btn btn-sm btn-primary" href=href>{t.open_task}</a></td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                            </div>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}
