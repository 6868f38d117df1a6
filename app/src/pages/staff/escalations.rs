//! The branch head's list of tasks that need them: past their due time, or
//! with nobody the random pick could give them to. Each can be given to
//! someone else with a reason; the service checks the new holder (role,
//! bank, relation to the customer, separation of duties) and audits it.

use crate::components::{after_action, awaited, FormError, StatusBadge};
use crate::error::{AppError, ErrorCode};
use crate::format::{datetime, money};
use crate::i18n::{fill, t, use_locale};
use domain::view::{InboxTask, ReassignOption};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::session;

/// The branch head's list: overdue and unassigned tasks in their scope.
#[server(prefix = "/api/fn", endpoint = "escalations")]
pub async fn escalations() -> Result<Vec<InboxTask>, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services.workflow().escalations(&staff).await?)
}

#[server(prefix = "/api/fn", endpoint = "reassign_options")]
pub async fn reassign_options(
    task_id: domain::id::TaskId,
) -> Result<Vec<ReassignOption>, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services
        .workflow()
        .reassign_options(&staff, &task_id)
        .await?)
}

#[server(prefix = "/api/fn", endpoint = "reassign_task")]
pub async fn reassign_task(
    task_id: domain::id::TaskId,
    version: i64,
    to_staff_id: domain::id::StaffId,
    reason: String,
) -> Result<(), AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services
        .workflow()
        .reassign_task(&staff, &task_id, version, &to_staff_id, reason)
        .await?)
}

#[component]
pub fn EscalationsPage() -> impl IntoView {
    let t = t();
    // Bumped after a reassignment so the list shows what the server holds.
    let refresh = RwSignal::new(0u32);
    let notice = RwSignal::new(None::<&'static str>);
    let data = Resource::new(move || refresh.get(), |_| escalations());
    view! {
        <div class="ws-panel">
            <div class="ws-panel-header">
                <h1 class="page-title">{t.escalations_title}</h1>
                <span class="muted">{t.escalations_sub}</span>
            </div>
            {move || notice.get().map(|n| view! { <div class="alert alert-success" role="status">{n}</div> })}
            {awaited(data, super::LOGIN, move |items| {
                if items.is_empty() {
                    return view! { <div class="empty" data-testid="no-escalations">{t.no_escalations}</div> }.into_any();
                }
                view! {
                    <table class="table" data-testid="escalation-table">
                        <thead><tr>
                            <th>{t.col_task}</th><th>{t.col_customer}</th><th>{t.col_product}</th>
                            <th class="num">{t.col_amount}</th><th>{t.col_branch}</th><th>{t.col_holder}</th>
                            <th>{t.col_due}</th><th>{t.col_status}</th><th>{t.col_action}</th>
                        </tr></thead>
                        <tbody>
                            {items.into_iter().map(|item| view! { <EscalationRow item=item refresh=refresh notice=notice /> }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            })}
        </div>
    }
}

#[component]
fn EscalationRow(
    item: InboxTask,
    refresh: RwSignal<u32>,
    notice: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let t = t();
    let locale = use_locale();
    let open = RwSignal::new(false);
    let task = item.task.clone();
    let href = format!("/staff/applications/{}", task.application_id);
    let holder = task
        .assignee_name
        .clone()
        .unwrap_or_else(|| t.flow_unassigned.to_string());
    let unassigned = task.status == domain::view::TaskStatus::Unassigned;
    view! {
        <tr data-testid="escalation-row" data-task=task.id.to_string() data-status=task.status.as_str()>
            <td><span class="tag">{t.node_kind(task.node_kind)}</span>" "<span class="muted">{t.post(task.post)}</span></td>
            <td><a href=href>{item.customer_name.clone()}</a><div class="muted">{item.id_number_masked.clone()}</div></td>
            <td>{locale.pick(&item.product_name_zh, &item.product_name_en).to_string()}</td>
            <td class="num money">{money(item.amount)}</td>
            <td>{item.branch_name.clone()}</td>
            <td data-testid="escalation-holder">{holder}</td>
            <td class:overdue=item.overdue>{task.due_at.map(datetime).unwrap_or_default()}</td>
            <td>
                {if unassigned {
                    view! { <span class="badge badge-submitted">{t.flow_unassigned}</span> }.into_any()
                } else {
                    view! { <span class="badge badge-rejected">{t.flow_overdue}</span> }.into_any()
                }}
                " "<StatusBadge status=item.status />
            </td>
            <td>
                <button class="btn btn-sm btn-primary" data-testid="open-reassign"
                    on:click=move |_| open.update(|o| *o = !*o)>{t.reassign}</button>
            </td>
        </tr>
        {move || open.get().then(|| {
            let task = task.clone();
            view! {
                <tr class="row-detail"><td colspan="9">
                    <ReassignForm task_id=task.id.clone() version=task.version refresh=refresh notice=notice />
                </td></tr>
            }
        })}
    }
}

#[component]
fn ReassignForm(
    task_id: domain::id::TaskId,
    version: i64,
    refresh: RwSignal<u32>,
    notice: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let t = t();
    let options = Resource::new(
        {
            let id = task_id.clone();
            move || id.clone()
        },
        reassign_options,
    );
    let to = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let save = Action::new(move |_: &()| {
        let (id, to, reason) = (task_id.clone(), to.get_untracked(), reason.get_untracked());
        async move { reassign_task(id, version, to.into(), reason).await }
    });
    after_action(save, error, refresh, notice, t.reassigned);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if to.get_untracked().is_empty() {
            error.set(Some(AppError::new(ErrorCode::ReassignChoosePerson)));
        } else if !save.pending().get_untracked() {
            error.set(None);
            save.dispatch(());
        }
    };
    view! {
        <form class="form stack reassign-form" on:submit=on_submit data-testid="reassign-form">
            {awaited(options, super::LOGIN, move |people: Vec<ReassignOption>| view! {
                <div class="field">
                    <label for="reassign-to">{t.reassign_to}</label>
                    <select id="reassign-to" class="input" data-testid="reassign-to"
                        on:change=move |ev| to.set(event_target_value(&ev))>
                        <option value="">{t.choose_person}</option>
                        {people.into_iter().map(|p| {
                            let load = fill(t.workload_n, &[("n", p.workload.to_string()), ("cap", p.workload_cap.to_string())]);
                            let place = if p.same_branch { p.branch_name.clone() } else { format!("{} · {}", p.branch_name, t.other_branch) };
                            let label = match p.blocked {
                                Some(code) => format!("{} · {} — {}", p.name, place, t.error(code)),
                                None => format!("{} · {} · {}", p.name, place, load),
                            };
                            view! { <option value=p.staff_id.to_string() disabled=p.blocked.is_some()>{label}</option> }
                        }).collect_view()}
                    </select>
                </div>
            }.into_any())}
            <div class="field">
                <label for="reassign-reason">{t.reassign_reason}</label>
                <textarea id="reassign-reason" class="input" rows="2" data-testid="reassign-reason"
                    placeholder=t.reassign_reason_placeholder prop:value=reason
                    on:input=move |ev| reason.set(event_target_value(&ev))></textarea>
            </div>
            <FormError error=error />
            <div class="row">
                <button type="submit" class="btn btn-primary" data-testid="reassign-submit"
                    disabled=move || save.pending().get()>
                    {move || if save.pending().get() { t.processing } else { t.reassign_submit }}
                </button>
            </div>
        </form>
    }
}
