//! One application on the workbench: the facts, the customer, the on-site
//! investigation (officer) and the approval (a different person).

use super::disbursement_panel::DisbursementPanel;
use crate::components::decision::DecisionPanel;
use crate::components::{after_action, awaited, FormError, StatusBadge};
use crate::error::AppError;
use crate::format::{datetime, money, rate};
use crate::i18n::{fill, t, use_locale};
use domain::application::{ApplicationStatus, Decision};
use domain::notice::DeclineCategory;
use domain::view::{MyTask, StaffApplicationView, TaskStatus};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::session;

#[server(prefix = "/api/fn", endpoint = "staff_application")]
pub async fn staff_application(id: String) -> Result<StaffApplicationView, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services
        .applications()
        .application_for_staff(&staff, &id)
        .await?)
}

/// The investigation form as the officer typed it; amounts in yuan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvestigationForm {
    pub visited_on: String,
    pub household_income: String,
    pub household_assets: String,
    pub household_debts: String,
    pub findings: String,
    pub recommendation: Decision,
    pub recommended_amount: String,
}

#[server(prefix = "/api/fn", endpoint = "record_investigation")]
pub async fn record_investigation(
    id: domain::id::ApplicationId,
    version: i64,
    form: InvestigationForm,
) -> Result<(), AppError> {
    use domain::money::Fen;
    let (services, staff) = session::staff().await?;
    let money = |s: &str| Fen::parse_yuan(s).map_err(|e| AppError::invalid(e.code()));
    let input = service::applications::InvestigationInput {
        visited_on: domain::date::Date::parse(form.visited_on.trim())
            .map_err(|e| AppError::invalid(e.code()))?,
        household_income: money(&form.household_income)?,
        household_assets: money(&form.household_assets)?,
        household_debts: money(&form.household_debts)?,
        findings: form.findings,
        recommendation: form.recommendation,
        recommended_amount: money(&form.recommended_amount)?,
    };
    services
        .applications()
        .record_investigation(&staff, &id, version, input)
        .await?;
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "decide")]
pub async fn decide(
    id: domain::id::ApplicationId,
    version: i64,
    decision: Decision,
    decline: Option<DeclineCategory>,
    comment: String,
) -> Result<Option<String>, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services
        .applications()
        .decide(&staff, &id, version, decision, decline, comment)
        .await?)
}

/// Finishes the caller's task on a node with no form of its own.
#[server(prefix = "/api/fn", endpoint = "complete_task")]
pub async fn complete_task(
    task_id: domain::id::TaskId,
    version: i64,
    opinion: Decision,
    decline: Option<DeclineCategory>,
    comment: String,
) -> Result<(), AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services
        .workflow()
        .complete_task(&staff, &task_id, version, opinion, decline, comment)
        .await?)
}

#[component]
pub fn ApplicationPage() -> impl IntoView {
    let params = use_params_map();
    // Bumped after every action so the page shows the state the server now holds.
    let refresh = RwSignal::new(0u32);
    let notice = RwSignal::new(None::<&'static str>);
    let data = Resource::new(
        move || (params.get().get("id").unwrap_or_default(), refresh.get()),
        |(id, _)| staff_application(id),
    );
    view! {
        <div data-testid="application-page">
            {awaited(data, super::LOGIN, move |app| view! { <Application app=app refresh=refresh notice=notice /> }.into_any())}
        </div>
    }
}

#[component]
fn Application(
    app: StaffApplicationView,
    refresh: RwSignal<u32>,
    notice: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let t = t();
    let locale = use_locale();
    let portrait = format!("/staff/customers/{}", app.customer_id);
    view! {
        <div class="ws-toolbar">
            <h1 class="page-title">{t.application_title}" · "{app.customer_name.clone()}</h1>
            <StatusBadge status=app.status />
        </div>
        {move || notice.get().map(|n| view! { <div class="alert alert-success" role="status">{n}</div> })}
        <div class="split">
            <div class="stack">
                <section class="ws-panel">
                    <div class="ws-panel-header"><h2 class="section-title">{t.section_application}</h2></div>
                    <dl class="kv">
                        <dt>{t.col_product}</dt>
                        <dd>{locale.pick(&app.product_name_zh, &app.product_name_en).to_string()}</dd>
                        <dt>{t.amount_label}</dt>
                        <dd class="money">{money(app.amount)}" "{t.yuan}</dd>
                        <dt>{t.term_label}</dt>
                        <dd>{fill(t.months_n, &[("n", app.term_months.to_string())])}</dd>
                        <dt>{t.rate}</dt>
                        <dd>{rate(app.rate)}" · "{t.method(app.method)}</dd>
                        <dt>{t.purpose}</dt>
                        <dd>{t.purpose(&app.purpose)}</dd>
                        <dt>{t.officer}</dt>
                        <dd>{app.officer_name.clone()}</dd>
                        <dt>{t.branch}</dt>
                        <dd>{app.branch_name.clone()}</dd>
                        {app.referral.clone().map(|r| view! {
                            <dt>{t.referral_source}</dt>
                            <dd data-testid="referral">{fill(t.referral_by, &[("name", r.officer_name), ("code", r.code)])}</dd>
                        })}
                        <dt>{t.submitted_at}</dt>
                        <dd>{datetime(app.submitted_at)}</dd>
                        <dt>{t.consent_at}</dt>
                        <dd>{app.consent_at.map(datetime).unwrap_or_else(|| t.none.to_string())}</dd>
                    </dl>
                </section>
                {app.my_task.clone().map(|task| view! { <TaskAction task=task refresh=refresh notice=notice /> })}
                <Investigation app=app.clone() refresh=refresh notice=notice />
                <Approval app=app.clone() refresh=refresh notice=notice />
                {(!matches!(app.status, ApplicationStatus::Rejected | ApplicationStatus::Withdrawn)).then(|| view! {
                    <super::collateral_panel::CollateralPanel id=app.id.clone() refresh=refresh notice=notice />
                    <super::guarantor_panel::GuarantorPanel id=app.id.clone() refresh=refresh notice=notice />
                })}
                {(app.status == ApplicationStatus::Approved).then(|| view! {
                    <DisbursementPanel id=app.id.clone() refresh=refresh notice=notice />
                })}
            </div>
            <aside class="stack">
                <section class="ws-panel">
                    <div class="ws-panel-header"><h2 class="section-title">{t.section_customer}</h2></div>
                    <dl class="kv">
                        <dt>{t.col_customer}</dt>
                        <dd>{app.customer_name.clone()}</dd>
                        <dt>{t.id_number}</dt>
                        <dd>{app.id_number_masked.clone()}</dd>
                        <dt>{t.phone}</dt>
                        <dd>{app.phone_masked.clone()}</dd>
                    </dl>
                    <a class="btn btn-secondary" href=portrait data-testid="open-portrait">{t.view_portrait}</a>
                </section>
                {(!app.tasks.is_empty()).then(|| view! { <FlowPanel app=app.clone() /> })}
                {app.full_decision.clone().map(|d| view! { <DecisionPanel decision=d /> })}
                {app.pre_screen.clone().map(|d| view! { <DecisionPanel decision=d /> })}
                {(app.full_decision.is_none() && app.pre_screen.is_none()).then(|| view! {
                    <section class="ws-panel"><p class="muted">{t.decision_none}</p></section>
                })}
                {(app.status == ApplicationStatus::Approved).then(|| view! { <super::contract_panel::ContractPanel application_id=app.id.to_string() status=app.status /> })}
                {app.loan_id.clone().map(|id| view! {
                    <section class="ws-panel">
                        <div class="alert alert-success">{t.loan_created}</div>
                        <a class="btn btn-primary" href=format!("/staff/loans/{id}") data-testid="open-loan">{t.view_loan}</a>
                    </section>
                })}
            </aside>
        </div>
    }
}

#[component]
fn Investigation(
    app: StaffApplicationView,
    refresh: RwSignal<u32>,
    notice: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let t = t();
    if let Some(inv) = app.investigation {
        let rec = match inv.recommendation {
            Decision::Approve => t.rec_approve,
            Decision::Reject => t.rec_reject,
        };
        return view! {
            <section class="ws-panel" data-testid="investigation">
                <div class="ws-panel-header"><h2 class="section-title">{t.section_investigation}</h2></div>
                <dl class="kv">
                    <dt>{t.investigator}</dt><dd>{inv.investigator_name}</dd>
                    <dt>{t.visited_on}</dt><dd>{inv.visited_on.to_string()}</dd>
                    <dt>{t.household_income}</dt><dd class="money">{money(inv.household_income)}</dd>
                    <dt>{t.household_assets}</dt><dd class="money">{money(inv.household_assets)}</dd>
                    <dt>{t.household_debts}</dt><dd class="money">{money(inv.household_debts)}</dd>
                    <dt>{t.recommendation}</dt><dd>{rec}</dd>
                    <dt>{t.recommended_amount}</dt><dd class="money">{money(inv.recommended_amount)}</dd>
                    <dt>{t.findings}</dt><dd class="pre-wrap">{inv.findings}</dd>
                </dl>
            </section>
        }
        .into_any();
    }
    if !app.can_investigate {
        return view! {
            <section class="ws-panel">
                <div class="ws-panel-header"><h2 class="section-title">{t.section_investigation}</h2></div>
                <p class="muted">{t.waiting_investigation}</p>
            </section>
        }
        .into_any();
    }
    let visited_on = RwSignal::new(String::new());
    let income = RwSignal::new(String::new());
    let assets = RwSignal::new(String::new());
    let debts = RwSignal::new(String::from("0"));
    let findings = RwSignal::new(String::new());
    let recommendation = RwSignal::new(Decision::Approve);
    let recommended = RwSignal::new(app.amount.to_yuan_string());
    let error = RwSignal::new(None::<AppError>);
    let (id, version) = (app.id.clone(), app.version);
    let save = Action::new(move |_: &()| {
        let form = InvestigationForm {
            visited_on: visited_on.get_untracked(),
            household_income: income.get_untracked(),
            household_assets: assets.get_untracked(),
            household_debts: debts.get_untracked(),
            findings: findings.get_untracked(),
            recommendation: recommendation.get_untracked(),
            recommended_amount: recommended.get_untracked(),
        };
        let id = id.clone();
        async move { record_investigation(id, version, form).await }
    });
    after_action(save, error, refresh, notice, t.investigation_saved);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !save.pending().get_untracked() {
            error.set(None);
            save.dispatch(());
        }
    };
    view! {
        <section class="ws-panel">
            <div class="ws-panel-header"><h2 class="section-title">{t.section_investigation}</h2></div>
            <form class="form stack" on:submit=on_submit data-testid="investigation-form">
                <div class="grid-2">
                    <div class="field">
                        <label for="visited_on">{t.visited_on}</label>
                        <input id="visited_on" type="date" class="input" required bind:value=visited_on />
                    </div>
                    <div class="field">
                        <label for="income">{t.household_income}</label>
                        <input id="income" class="input" inputmode="decimal" required bind:value=income />
                    </div>
                    <div class="field">
                        <label for="assets">{t.household_assets}</label>
                        <input id="assets" class="input" inputmode="decimal" required bind:value=assets />
                    </div>
                    <div class="field">
                        <label for="debts">{t.household_debts}</label>
                        <input id="debts" class="input" inputmode="decimal" required bind:value=debts />
                    </div>
                    <div class="field">
                        <label for="recommendation">{t.recommendation}</label>
                        <select id="recommendation" class="input" on:change=move |ev| {
                            recommendation.set(if event_target_value(&ev) == "reject" { Decision::Reject } else { Decision::Approve })
                        }>
                            <option value="approve">{t.rec_approve}</option>
                            <option value="reject">{t.rec_reject}</option>
                        </select>
                    </div>
                    <div class="field">
                        <label for="recommended">{t.recommended_amount}</label>
                        <input id="recommended" class="input" inputmode="decimal" required bind:value=recommended />
                    </div>
                </div>
                <div class="field">
                    <label for="findings">{t.findings}</label>
                    <textarea id="findings" class="input" rows="5" required placeholder=t.findings_placeholder
                        prop:value=findings on:input=move |ev| findings.set(event_target_value(&ev))></textarea>
                </div>
                <FormError error=error />
                <div class="row">
                    <button type="submit" class="btn btn-primary" data-testid="save-investigation"
                        disabled=move || save.pending().get()>
                        {move || if save.pending().get() { t.processing } else { t.save_investigation }}
                    </button>
                </div>
            </form>
        </section>
    }
    .into_any()
}

#[component]
fn Approval(
    app: StaffApplicationView,
    refresh: RwSignal<u32>,
    notice: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let t = t();
    if let Some(a) = app.approval {
        let decision = match a.decision {
            Decision::Approve => t.approve,
            Decision::Reject => t.reject,
        };
        return view! {
            <section class="ws-panel" data-testid="approval">
                <div class="ws-panel-header"><h2 class="section-title">{t.section_approval}</h2></div>
                <dl class="kv">
                    <dt>{t.approver}</dt><dd>{a.approver_name}</dd>
                    <dt>{t.decision}</dt><dd>{decision}</dd>
                    <dt>{t.decision_comment}</dt><dd class="pre-wrap">{a.comment}</dd>
                    {a.decline.map(|c| view! {
                        <dt>{t.decline_category_label}</dt><dd data-testid="decline-category-told">{t.decline(c).0}</dd>
                    })}
                    <dt>{t.col_time}</dt><dd>{datetime(a.created_at)}</dd>
                </dl>
            </section>
        }
        .into_any();
    }
    if app.investigation.is_none() {
        return ().into_any();
    }
    if !app.can_decide {
        let reason = app
            .decide_blocked_reason
            .map(|code| t.error(code))
            .unwrap_or(t.no_permission_decide);
        return view! {
            <section class="ws-panel">
                <div class="ws-panel-header"><h2 class="section-title">{t.section_approval}</h2></div>
                <div class="alert alert-info" data-testid="decide-blocked">{reason}</div>
            </section>
        }
        .into_any();
    }
    let engine_warning = app.approve_blocked_reason.map(|code| {
        view! { <div class="alert alert-error" role="alert" data-testid="engine-blocked">{t.error(code)}</div> }
    });
    let (id, version) = (app.id.clone(), app.version);
    let send = move |decision: Decision, decline: Option<DeclineCategory>, comment: String| {
        let id = id.clone();
        async move { decide(id, version, decision, decline, comment).await }
    };
    view! {
        <section class="ws-panel">
            <div class="ws-panel-header"><h2 class="section-title">{t.section_approval}</h2></div>
            {engine_warning}
            <OpinionForm send=send refresh=refresh notice=notice success=t.decision_saved
                comment_label=t.decision_comment pass=(t.approve, "approve") refuse=Some((t.reject, "reject")) />
        </section>
    }
    .into_any()
}

/// An opinion with a comment: the comment box, the error in the user's
/// language, and the agree (and, where allowed, refuse) buttons; `send`
/// posts it once however often it is clicked. Where refusing is allowed,
/// the category of reason the customer is told goes with a refusal.
#[component]
fn OpinionForm<F, Fut, T>(
    send: F,
    refresh: RwSignal<u32>,
    notice: RwSignal<Option<&'static str>>,
    success: &'static str,
    comment_label: &'static str,
    /// Label and test id of the agree button.
    pass: (&'static str, &'static str),
    refuse: Option<(&'static str, &'static str)>,
) -> impl IntoView
where
    F: Fn(Decision, Option<DeclineCategory>, String) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<T, AppError>> + Send + 'static,
    T: Clone + Send + Sync + 'static,
{
    let t = t();
    let comment = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let choice = RwSignal::new(Decision::Approve);
    let category = RwSignal::new(None::<DeclineCategory>);
    let act = Action::new(move |_: &()| {
        let decision = choice.get_untracked();
        let decline = category
            .get_untracked()
            .filter(|_| decision == Decision::Reject);
        send(decision, decline, comment.get_untracked())
    });
    after_action(act, error, refresh, notice, success);
    let click = move |d: Decision| {
        move |_| {
            if !act.pending().get_untracked() {
                error.set(None);
                choice.set(d);
                act.dispatch(());
            }
        }
    };
    view! {
        <div class="form stack">
            <div class="field">
                <label for="comment">{comment_label}</label>
                <textarea id="comment" class="input" rows="3" prop:value=comment
                    on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
            </div>
            {refuse.is_some().then(|| view! {
                <div class="field">
                    <label for="decline-category">{t.decline_category_label}</label>
                    <select id="decline-category" class="input" data-testid="decline-category"
                        on:change=move |ev| category.set(DeclineCategory::parse(&event_target_value(&ev)))>
                        <option value="" selected=true>{t.decline_category_choose}</option>
                        {DeclineCategory::ALL.iter().map(|c| view! {
                            <option value=c.as_str()>{t.decline(*c).0}</option>
                        }).collect_view()}
                    </select>
                    <small class="muted">{t.decline_category_hint}</small>
                </div>
            })}
            <FormError error=error />
            <div class="row">
                <button class="btn btn-primary" data-testid=pass.1 on:click=click(Decision::Approve)
                    disabled=move || act.pending().get()>
                    {move || if act.pending().get() { t.processing } else { pass.0 }}
                </button>
                {refuse.map(|(label, testid)| view! {
                    <button class="btn btn-danger" data-testid=testid on:click=click(Decision::Reject)
                        disabled=move || act.pending().get()>{label}</button>
                })}
            </div>
        </div>
    }
}

/// The viewer's task on a step with no form of its own (documents,
/// review, contract, collateral, disbursement): done, or refused where the
/// step allows it, with a comment for the file.
#[component]
fn TaskAction(
    task: MyTask,
    refresh: RwSignal<u32>,
    notice: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let t = t();
    let (id, version) = (task.task_id.clone(), task.version);
    let send = move |opinion: Decision, decline: Option<DeclineCategory>, comment: String| {
        let id = id.clone();
        async move { complete_task(id, version, opinion, decline, comment).await }
    };
    let step = t.node_kind(task.node_kind);
    view! {
        <section class="ws-panel" data-testid="task-action" data-node-kind=task.node_kind.as_str()>
            <div class="ws-panel-header">
                <h2 class="section-title">{fill(t.task_action_title, &[("step", step.to_string())])}</h2>
            </div>
            <p class="muted">{t.task_action_hint}</p>
            <OpinionForm send=send refresh=refresh notice=notice success=t.task_completed
                comment_label=t.task_comment pass=(t.task_pass, "task-pass")
                refuse=task.can_reject.then_some((t.task_refuse, "task-reject")) />
        </section>
    }
}

/// The application's approval flow: every task so far, who holds it, its
/// due time, and opinions once they may be seen.
#[component]
fn FlowPanel(app: StaffApplicationView) -> impl IntoView {
    let t = t();
    let current = app.flow_node.clone().unwrap_or_default();
    let rows = app
        .tasks
        .into_iter()
        .map(|task| {
            let here = task.node_id == current && task.status.is_pending();
            let who = task
                .assignee_name
                .clone()
                .unwrap_or_else(|| t.flow_unassigned.to_string());
            let opinion = match (task.status, task.opinion) {
                (TaskStatus::Done, Some(Decision::Approve)) => Some(t.approve),
                (TaskStatus::Done, Some(Decision::Reject)) => Some(t.reject),
                (TaskStatus::Done, None) => Some(t.flow_sealed),
                _ => None,
            };
            view! {
                <li class="flow-task" class:flow-current=here data-testid="flow-task"
                    data-node=task.node_id.clone() data-status=task.status.as_str()>
                    <div class="flow-task-head">
                        <strong>{t.node_kind(task.node_kind)}</strong>
                        <span class="muted">" · "{t.post(task.post)}</span>
                        <span class="tag">{t.task_status(task.status)}</span>
                    </div>
                    <div data-testid="flow-assignee">{who}</div>
                    {task.due_at.filter(|_| task.status == TaskStatus::Open).map(|d| view! {
                        <div class="muted">{t.flow_due}" "{datetime(d)}
                            {task.escalated_at.map(|_| view! { " " <span class="badge badge-rejected">{t.flow_overdue}</span> })}
                        </div>
                    })}
                    {opinion.map(|o| view! { <div>{o}{task.comment.clone().filter(|c| !c.is_empty()).map(|c| format!("：{c}"))}</div> })}
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="ws-panel" data-testid="flow-panel">
            <div class="ws-panel-header"><h2 class="section-title">{t.flow_title}</h2></div>
            <ol class="flow-tasks">{rows}</ol>
        </section>
    }
}
