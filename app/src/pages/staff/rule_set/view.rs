//! The version's view: who made and approved it, the maker-checker
//! buttons, the features a rule may use, then an editor per stage and the
//! bench below.

use super::bench::{Simulation, TestBench};
use super::rules_editor::RulesEditor;
use super::scorecard_editor::ScorecardEditor;
use super::table_editor::TableEditor;
use super::{problem_text, reload, Editor};
use crate::components::FormError;
use crate::error::AppError;
use crate::error::ErrorCode;
use crate::format::{datetime, money};
use crate::i18n::{fill, t, use_locale, Locale, Texts};
use crate::pages::staff::rule_set_api::{
    rule_set_step, save_rule_set, RuleSetPage as Page, RuleSetSaved,
};
use domain::org::Role;
use domain::rules::strategy::{StageBodyDef, StrategyDef};
use domain::rules::table::TablePlace;
use domain::view::{RuleSetDraft, RuleSetProblem, StaffInfo};
use leptos::prelude::*;

#[component]
pub(super) fn RuleSetView(page: Page, notice: RwSignal<Option<&'static str>>) -> impl IntoView {
    let t = t();
    let locale = use_locale();
    let d = page.detail;
    let s = d.summary.clone();
    let risk_manager = use_context::<StaffInfo>().is_some_and(|m| m.has(Role::RiskManager));
    let ed = Editor {
        def: RwSignal::new(d.definition.clone()),
        problem: RwSignal::new(None),
        dirty: RwSignal::new(false),
        editable: d.can_edit,
    };
    let error = RwSignal::new(None::<AppError>);
    let comment = RwSignal::new(String::new());

    let form = {
        let s = s.clone();
        let note = d.note.clone();
        move |new: bool| RuleSetDraft {
            id: (!new).then(|| s.id.clone()),
            expected_row_version: (!new).then_some(s.row_version),
            product_id: s.product_id.clone(),
            stage: s.stage,
            definition: ed.def.get_untracked(),
            note: if new { String::new() } else { note.clone() },
        }
    };
    // (check only, a new version)
    let save = Action::new(move |&(check_only, new): &(bool, bool)| {
        let f = form(new);
        async move { save_rule_set(f, check_only).await }
    });
    Effect::new(move |_| {
        let Some(result) = save.value().get() else {
            return;
        };
        match result {
            Err(e) => error.set(Some(e)),
            Ok(RuleSetSaved::Problem(p)) => {
                error.set(None);
                notice.set(None);
                ed.problem.set(Some(p));
            }
            Ok(RuleSetSaved::Checked) => {
                error.set(None);
                ed.problem.set(None);
                notice.set(Some(t.rs_checked));
            }
            Ok(RuleSetSaved::Saved(saved)) => {
                ed.dirty.set(false);
                reload(&saved.id, "saved");
            }
        }
    });
    let step = {
        let id = d.summary.id.clone();
        let row_version = d.summary.row_version;
        Action::new(move |step: &&'static str| {
            let (id, step) = (id.clone(), step.to_string());
            let c = comment.get_untracked();
            async move {
                let done = rule_set_step(id.clone(), row_version, step, c).await;
                if done.is_ok() {
                    reload(&id, "step");
                }
                done
            }
        })
    };
    Effect::new(move |_| {
        if let Some(Err(e)) = step.value().get() {
            error.set(Some(e));
        }
    });
    let busy = move || save.pending().get() || step.pending().get();
    let def0 = d.definition.clone();
    let rate = crate::format::rate_bp;
    let stages = def0.stages.len();

    view! {
        <div class="ws-toolbar">
            <a class="btn btn-sm btn-link" href="/staff/rules">{t.rs_back}</a>
            <h1 class="page-title">
                {locale.pick(&s.product_name_zh, &s.product_name_en).to_string()}" · "{t.decision_stage(s.stage)}" · "
                <span class="mono">{fill(t.decision_version, &[("v", s.version.to_string())])}</span>
            </h1>
            <span class=crate::pages::staff::rules::status_class(s.status) data-testid="rule-set-status">{t.rule_set_status(s.status)}</span>
            {move || ed.dirty.get().then(|| view! { <span class="tag">{t.rs_unsaved}</span> })}
        </div>
        {move || notice.get().map(|n| view! { <div class="alert alert-success" role="status" data-testid="rule-set-notice">{n}</div> })}
        <FormError error=error />
        {move || ed.problem.get().map(|p| view! {
            <div class="alert alert-error" role="alert" data-testid="rule-set-problem">
                {where_text(t, locale, &ed.def.get_untracked(), &p)}" · "{problem_text(t, &p, None)}
            </div>
        })}
        <section class="ws-panel">
            <div class="split">
                <dl class="kv">
                    <dt>{t.col_author}</dt><dd>{s.author_name.clone()}" · "{datetime(s.created_at)}</dd>
                    {s.approver_name.clone().map(|a| view! { <dt>{t.col_approver}</dt><dd>{a}{d.approved_at.map(|at| format!(" · {}", datetime(at)))}</dd> })}
                    {s.published_at.map(|at| view! { <dt>{t.col_published}</dt><dd>{datetime(at)}</dd> })}
                    {(!d.note.is_empty()).then(|| view! { <dt>{t.rs_note}</dt><dd>{d.note.clone()}</dd> })}
                    {(!d.review_comment.is_empty()).then(|| view! { <dt>{t.rs_review_comment}</dt><dd>{d.review_comment.clone()}</dd> })}
                </dl>
                <dl class="kv">
                    <dt>{t.rs_base_rate}</dt><dd>{rate(def0.base_rate_bp)}</dd>
                    <dt>{t.rs_rate_floor}</dt><dd>{rate(def0.rate_floor_bp)}</dd>
                    {def0.rate_ceiling_bp.map(|c| view! { <dt>{t.rs_rate_ceiling}</dt><dd>{rate(c)}</dd> })}
                    {def0.max_limit.map(|m| view! { <dt>{t.rs_max_limit}</dt><dd class="money">{money(m)}" "{t.yuan}</dd> })}
                </dl>
            </div>
            <div class="row rs-actions">
                {d.can_edit.then(|| view! {
                    <button class="btn btn-secondary" data-testid="rule-set-check" disabled=busy
                        on:click=move |_| { save.dispatch((true, false)); }>{t.rs_check}</button>
                    <button class="btn btn-primary" data-testid="rule-set-save" disabled=busy
                        on:click=move |_| { save.dispatch((false, false)); }>
                        {move || if save.pending().get() { t.rs_saving } else { t.rs_save }}
                    </button>
                })}
                {d.can_submit.then(|| view! {
                    <button class="btn btn-primary" data-testid="rule-set-submit" disabled=move || busy() || ed.dirty.get()
                        on:click=move |_| { step.dispatch("submit"); }>{t.rs_submit}</button>
                })}
                {(!d.can_edit && risk_manager).then(|| view! {
                    <button class="btn btn-secondary" data-testid="rule-set-new-draft" disabled=busy
                        on:click=move |_| { save.dispatch((false, true)); }>{t.rs_new_draft}</button>
                })}
                {d.can_publish.then(|| view! {
                    <button class="btn btn-primary" data-testid="rule-set-publish" disabled=busy
                        on:click=move |_| { step.dispatch("publish"); }>{t.rs_publish}</button>
                })}
            </div>
            {(!d.can_edit).then(|| view! { <p class="hint">{t.rs_read_only}</p> })}
            {d.approve_blocked_reason.as_ref().map(|_| view! { <p class="hint" data-testid="self-approval">{t.rs_self_approval}</p> })}
            {d.can_approve.then(|| view! {
                <div class="stack rs-review">
                    <textarea class="input" rows="2" placeholder=t.rs_comment_placeholder
                        prop:value=move || comment.get()
                        on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
                    <div class="row">
                        <button class="btn btn-primary" data-testid="rule-set-approve" disabled=busy
                            on:click=move |_| { step.dispatch("approve"); }>{t.rs_approve}</button>
                        <button class="btn btn-secondary" data-testid="rule-set-return" disabled=busy
                            on:click=move |_| { step.dispatch("return"); }>{t.rs_return}</button>
                    </div>
                </div>
            })}
        </section>
        <details class="ws-panel rs-features">
            <summary class="section-title">{t.rs_features}" ("{page.features.len()}")"</summary>
            <p class="hint">{t.rs_features_hint}</p>
            <ul class="rs-feature-list">
                {page.features.iter().map(|f| view! {
                    <li>
                        <span class="mono">{f.name.clone()}</span>
                        <span>{locale.pick(&f.label_zh, &f.label_en).to_string()}</span>
                        <span class="muted">{t.feature_type(f.ty)}</span>
                    </li>
                }).collect_view()}
            </ul>
        </details>
        <div class="stack">
            {(0..stages).map(|i| view! { <StageEditor ed=ed i=i /> }).collect_view()}
        </div>
        <TestBench id=s.id.clone() samples=page.samples.clone() dirty=ed.dirty />
        <Simulation id=s.id.clone() />
    }
}

/// Where a problem is, in words: the stage, and the rule, row or bin.
fn where_text(t: &Texts, locale: Locale, d: &StrategyDef, p: &RuleSetProblem) -> String {
    let Some(i) = p.stage else {
        return String::new();
    };
    let mut out = fill(t.rs_stage_n, &[("n", (i + 1).to_string())]);
    if let Some(stage) = d.stages.get(i) {
        let label = match locale {
            Locale::Zh => stage.kind.label_zh(),
            Locale::En => stage.kind.label_en(),
        };
        out.push_str(&format!("「{label}」"));
    }
    if let Some(r) = p.rule {
        out.push_str(&format!(
            " · {} {}",
            t.rs_col_id,
            p.rule_id.clone().unwrap_or_else(|| (r + 1).to_string())
        ));
    }
    match p.table_place {
        Some(TablePlace::InputCell { row, column } | TablePlace::OutputCell { row, column }) => {
            out.push_str(&format!(" · #{} / {}", row + 1, column + 1));
        }
        Some(TablePlace::InputColumn { column } | TablePlace::OutputColumn { column }) => {
            out.push_str(&format!(" · {}", column + 1));
        }
        _ => {}
    }
    if let Some(c) = p.characteristic {
        out.push_str(&format!(" · {} {}", t.rs_characteristic, c + 1));
        if let Some(b) = p.bin {
            out.push_str(&format!(" · {} {}", t.rs_bin, b + 1));
        }
    }
    out
}

#[component]
fn StageEditor(ed: Editor, i: usize) -> impl IntoView {
    let t = t();
    let locale = use_locale();
    let (kind, body) = ed.def.with_untracked(|d| {
        let s = &d.stages[i];
        let body = match &s.body {
            StageBodyDef::Rules(_) => 0,
            StageBodyDef::Table(_) => 1,
            StageBodyDef::Scorecard(_) => 2,
        };
        (s.kind, body)
    });
    let label = match locale {
        Locale::Zh => kind.label_zh(),
        Locale::En => kind.label_en(),
    };
    // A problem with the stage itself (its order, its place).
    let stage_problem = move || {
        ed.problem_at(|p| {
            p.stage == Some(i)
                && p.rule.is_none()
                && p.table_place.is_none()
                && p.characteristic.is_none()
                && matches!(
                    p.code,
                    ErrorCode::StrategyStageOrder
                        | ErrorCode::StrategyScorecardPlace
                        | ErrorCode::StrategyScoreAfterScoring
                        | ErrorCode::StrategyRateBounds
                        | ErrorCode::StrategyOutputFeature
                )
        })
    };
    view! {
        <section class="ws-panel" data-testid=format!("stage-{i}")>
            <div class="ws-panel-header">
                <h2 class="section-title">{fill(t.rs_stage_n, &[("n", (i + 1).to_string())])}" · "{label}</h2>
            </div>
            {move || stage_problem().map(|p| view! { <div class="field-error">{problem_text(t, &p, None)}</div> })}
            {match body {
                0 => view! { <RulesEditor ed=ed i=i /> }.into_any(),
                1 => view! { <TableEditor ed=ed i=i /> }.into_any(),
                _ => view! { <ScorecardEditor ed=ed i=i /> }.into_any(),
            }}
        </section>
    }
}
