//! One rule-set version: its maker-checker steps, the editor for its rules,
//! decision tables and scorecards (a problem found on check or save is
//! marked at the offending cell, with the place inside the expression), the
//! test bench and the simulation with hit statistics per rule.
//!
//! The definition being edited lives in one signal; each cell reads and
//! writes its own place in it. Nothing is evaluated here: checking, saving,
//! trying and simulating all run on the server.

use super::rule_set_api::{
    rule_set, rule_set_step, save_rule_set, simulate_rule_set, try_rule_set, RuleSetPage as Page,
    RuleSetSaved,
};
use crate::components::decision::{verdict_class, DecisionPanel};
use crate::components::{awaited, FormError};
use crate::error::{AppError, ErrorCode};
use crate::format::{datetime, money};
use crate::i18n::{fill, t, use_locale, Locale, Texts};
use domain::money::Fen;
use domain::org::Role;
use domain::rules::rule::{Action as RuleAction, RuleDef, RuleSetDef};
use domain::rules::scorecard::{BinDef, ScorecardDef};
use domain::rules::strategy::{StageBodyDef, StrategyDef};
use domain::rules::table::{HitPolicy, RowDef, TableDef, TablePlace};
use domain::view::{DecisionBrief, RuleSetDraft, RuleSetProblem, RuleSetSample, StaffInfo};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

/// Decision-table rows shown per page.
const PAGE_ROWS: usize = 50;

#[component]
pub fn RuleSetPage() -> impl IntoView {
    let t = t();
    let params = use_params_map();
    let query = use_query_map();
    // After a step or a save the page loads again from the server (see
    // `reload`); `done` says what was done, for the notice.
    let notice = RwSignal::new(match query.get_untracked().get("done").as_deref() {
        Some("saved") => Some(t.rs_saved),
        Some("step") => Some(t.rs_step_done),
        _ => None,
    });
    let data = Resource::new(move || params.get().get("id").unwrap_or_default(), rule_set);
    view! {
        <div data-testid="rule-set-page">
            {awaited(data, super::LOGIN, move |page| view! { <RuleSetView page=page notice=notice /> }.into_any())}
        </div>
    }
}

/// Loads version `id` afresh, saying what was `done`: every status, right
/// and button on the page then comes from the server again.
fn reload(id: &str, done: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w
            .location()
            .set_href(&format!("/staff/rules/{id}?done={done}"));
    }
}

/// Everything the editor's cells share.
#[derive(Clone, Copy)]
struct Editor {
    def: RwSignal<StrategyDef>,
    problem: RwSignal<Option<RuleSetProblem>>,
    dirty: RwSignal<bool>,
    editable: bool,
}

impl Editor {
    fn edit(self, f: impl FnOnce(&mut StrategyDef)) {
        self.def.update(f);
        self.dirty.set(true);
    }

    /// The problem, if it lies at the place `at` describes.
    fn problem_at(self, at: impl Fn(&RuleSetProblem) -> bool) -> Option<RuleSetProblem> {
        self.problem.get().filter(|p| at(p))
    }
}

fn rules(d: &StrategyDef, i: usize) -> Option<&RuleSetDef> {
    match &d.stages.get(i)?.body {
        StageBodyDef::Rules(r) => Some(r),
        _ => None,
    }
}
fn rules_mut(d: &mut StrategyDef, i: usize) -> Option<&mut RuleSetDef> {
    match &mut d.stages.get_mut(i)?.body {
        StageBodyDef::Rules(r) => Some(r),
        _ => None,
    }
}
fn table(d: &StrategyDef, i: usize) -> Option<&TableDef> {
    match &d.stages.get(i)?.body {
        StageBodyDef::Table(x) => Some(x),
        _ => None,
    }
}
fn table_mut(d: &mut StrategyDef, i: usize) -> Option<&mut TableDef> {
    match &mut d.stages.get_mut(i)?.body {
        StageBodyDef::Table(x) => Some(x),
        _ => None,
    }
}
fn card(d: &StrategyDef, i: usize) -> Option<&ScorecardDef> {
    match &d.stages.get(i)?.body {
        StageBodyDef::Scorecard(x) => Some(x),
        _ => None,
    }
}
fn card_mut(d: &mut StrategyDef, i: usize) -> Option<&mut ScorecardDef> {
    match &mut d.stages.get_mut(i)?.body {
        StageBodyDef::Scorecard(x) => Some(x),
        _ => None,
    }
}

/// The problem in the user's words: what is wrong, the text it is wrong
/// at (from the span, when the cell's text is known) and where in it.
fn problem_text(t: &Texts, p: &RuleSetProblem, cell: Option<&str>) -> String {
    let mut out = t.rule_problem(p.code).to_string();
    if let (Some(text), Some(span)) = (cell, p.span) {
        if let Some(s) = text
            .get(span.start..span.end)
            .filter(|s| !s.trim().is_empty())
        {
            out.push_str(&format!("「{s}」"));
        }
    }
    if let Some(pos) = p.position {
        out.push_str(&format!(
            "（{}）",
            fill(
                t.rs_problem_at,
                &[
                    ("line", pos.line.to_string()),
                    ("col", pos.column.to_string())
                ]
            )
        ));
    }
    out
}

/// A text cell of the definition: reads its place, writes it back on
/// change, and shows the problem when it lies here.
fn cell<G, S, P>(ed: Editor, get: G, set: S, at: P, class: &'static str) -> impl IntoView
where
    G: Fn(&StrategyDef) -> Option<String> + Copy + Send + Sync + 'static,
    S: Fn(&mut StrategyDef, String) + Copy + Send + Sync + 'static,
    P: Fn(&RuleSetProblem) -> bool + Copy + Send + Sync + 'static,
{
    let t = t();
    let value = move || ed.def.with(|d| get(d)).unwrap_or_default();
    let wrong = move || ed.problem_at(at).is_some();
    view! {
        <div class="cell">
            <input
                class=move || format!("input input-cell {class}{}", if wrong() { " input-invalid" } else { "" })
                prop:value=value
                readonly=!ed.editable
                aria-invalid=move || wrong().to_string()
                on:change=move |ev| {
                    let v = event_target_value(&ev);
                    ed.edit(|d| set(d, v));
                }
            />
            {move || ed.problem_at(at).map(|p| {
                let text = ed.def.with_untracked(|d| get(d));
                view! { <div class="field-error" data-testid="cell-error">{problem_text(t, &p, text.as_deref())}</div> }
            })}
        </div>
    }
}

#[component]
fn RuleSetView(page: Page, notice: RwSignal<Option<&'static str>>) -> impl IntoView {
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
            <span class=super::rules::status_class(s.status) data-testid="rule-set-status">{t.rule_set_status(s.status)}</span>
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

fn action_kind(a: &RuleAction) -> &'static str {
    match a {
        RuleAction::Reject => "reject",
        RuleAction::Refer => "refer",
        RuleAction::Flag(_) => "flag",
        RuleAction::AddScore(_) => "add_score",
        RuleAction::CapLimit(_) => "cap_limit",
        RuleAction::AdjustRateBp(_) => "adjust_rate",
    }
}

fn action_param(a: &RuleAction) -> String {
    match a {
        RuleAction::Reject | RuleAction::Refer => String::new(),
        RuleAction::Flag(tag) => tag.clone(),
        RuleAction::AddScore(n) => n.to_string(),
        RuleAction::CapLimit(f) => money(*f),
        RuleAction::AdjustRateBp(n) => n.to_string(),
    }
}

/// The action of `kind` with the parameter typed; the error code when the
/// parameter does not fit.
fn make_action(kind: &str, param: &str) -> Result<RuleAction, AppError> {
    let param = param.trim();
    let int = || {
        param
            .parse::<i32>()
            .map_err(|_| AppError::new(ErrorCode::FieldRequired))
    };
    Ok(match kind {
        "reject" => RuleAction::Reject,
        "refer" => RuleAction::Refer,
        "flag" if !param.is_empty() => RuleAction::Flag(param.to_string()),
        "flag" => return Err(AppError::new(ErrorCode::FieldRequired)),
        "add_score" => RuleAction::AddScore(int()?),
        "adjust_rate" => RuleAction::AdjustRateBp(int()?),
        _ => RuleAction::CapLimit(Fen::parse_yuan(param).map_err(|e| AppError::new(e.code()))?),
    })
}

#[component]
fn RulesEditor(ed: Editor, i: usize) -> impl IntoView {
    let t = t();
    let locale = use_locale();
    // Bumped when a rule is added or removed, to lay the rows out again.
    let shape = RwSignal::new(0u32);
    let param_error = RwSignal::new(None::<AppError>);
    let add = move |_| {
        ed.edit(|d| {
            if let Some(rs) = rules_mut(d, i) {
                let n = rs.rules.len() + 1;
                rs.rules.push(RuleDef {
                    id: format!("rule_{n}"),
                    name_zh: String::new(),
                    name_en: String::new(),
                    condition: String::new(),
                    action: RuleAction::Refer,
                    reason_code: "manual_review".into(),
                });
            }
        });
        shape.update(|n| *n += 1);
    };
    let at_rule = move |j: usize, codes: &'static [ErrorCode]| {
        move |p: &RuleSetProblem| {
            p.stage == Some(i) && p.rule == Some(j) && (codes.is_empty() || codes.contains(&p.code))
        }
    };
    let row = move |j: usize| {
        let kind = ed.def.with_untracked(|d| {
            rules(d, i)
                .and_then(|r| r.rules.get(j))
                .map(|r| action_kind(&r.action))
                .unwrap_or("refer")
        });
        let kind = RwSignal::new(kind);
        let param = move || {
            ed.def
                .with(|d| {
                    rules(d, i)
                        .and_then(|r| r.rules.get(j))
                        .map(|r| action_param(&r.action))
                })
                .unwrap_or_default()
        };
        let set_action = move |k: &str, p: &str| match make_action(k, p) {
            Ok(a) => {
                param_error.set(None);
                ed.edit(|d| {
                    if let Some(r) = rules_mut(d, i).and_then(|r| r.rules.get_mut(j)) {
                        r.action = a;
                    }
                });
            }
            Err(e) => param_error.set(Some(e)),
        };
        let name = move |d: &StrategyDef| {
            rules(d, i)
                .and_then(|r| r.rules.get(j))
                .map(|r| locale.pick(&r.name_zh, &r.name_en).to_string())
        };
        view! {
            <tr data-testid="rule-row" class=move || if ed.problem_at(at_rule(j, &[])).is_some() { "row-invalid" } else { "" }>
                <td class="muted num">{j + 1}</td>
                <td>{cell(ed,
                    move |d| rules(d, i).and_then(|r| r.rules.get(j)).map(|r| r.id.clone()),
                    move |d, v| if let Some(r) = rules_mut(d, i).and_then(|r| r.rules.get_mut(j)) { r.id = v.trim().to_string() },
                    at_rule(j, &[ErrorCode::RuleDuplicateId]), "mono")}</td>
                <td>{cell(ed, name,
                    move |d, v| if let Some(r) = rules_mut(d, i).and_then(|r| r.rules.get_mut(j)) {
                        match locale { Locale::Zh => r.name_zh = v, Locale::En => r.name_en = v }
                    },
                    |_| false, "")}</td>
                <td class="rs-condition">{cell(ed,
                    move |d| rules(d, i).and_then(|r| r.rules.get(j)).map(|r| r.condition.clone()),
                    move |d, v| if let Some(r) = rules_mut(d, i).and_then(|r| r.rules.get_mut(j)) { r.condition = v },
                    move |p: &RuleSetProblem| p.stage == Some(i) && p.rule == Some(j) && p.code.is_expression_problem(),
                    "mono")}</td>
                <td>
                    <select class="input input-cell" disabled=!ed.editable
                        on:change=move |ev| {
                            let k = event_target_value(&ev);
                            let k: &'static str = match k.as_str() {
                                "reject" => "reject", "refer" => "refer", "flag" => "flag",
                                "add_score" => "add_score", "cap_limit" => "cap_limit", _ => "adjust_rate",
                            };
                            kind.set(k);
                            if matches!(k, "reject" | "refer") { set_action(k, ""); }
                        }>
                        {[("reject", t.act_reject), ("refer", t.act_refer), ("flag", t.act_flag),
                          ("add_score", t.act_add_score), ("cap_limit", t.act_cap_limit), ("adjust_rate", t.act_adjust_rate)]
                            .into_iter().map(|(v, l)| view! { <option value=v selected=move || kind.get() == v>{l}</option> }).collect_view()}
                    </select>
                </td>
                <td>
                    {move || (!matches!(kind.get(), "reject" | "refer")).then(|| view! {
                        <input class="input input-cell" prop:value=param readonly=!ed.editable
                            on:change=move |ev| set_action(kind.get_untracked(), &event_target_value(&ev)) />
                    })}
                </td>
                <td>{cell(ed,
                    move |d| rules(d, i).and_then(|r| r.rules.get(j)).map(|r| r.reason_code.clone()),
                    move |d, v| if let Some(r) = rules_mut(d, i).and_then(|r| r.rules.get_mut(j)) { r.reason_code = v.trim().to_string() },
                    at_rule(j, &[ErrorCode::RuleBadReasonCode]), "mono")}</td>
                <td>{ed.editable.then(|| view! {
                    <button class="btn btn-sm btn-link" on:click=move |_| {
                        ed.edit(|d| if let Some(r) = rules_mut(d, i) { if j < r.rules.len() { r.rules.remove(j); } });
                        ed.problem.set(None);
                        shape.update(|n| *n += 1);
                    }>{t.rs_delete}</button>
                })}</td>
            </tr>
        }
    };
    view! {
        <FormError error=param_error />
        <div class="rs-scroll">
        <table class="table table-compact rs-grid">
            <thead><tr>
                <th>"#"</th><th>{t.rs_col_id}</th><th>{t.rs_col_name}</th><th>{t.rs_col_condition}</th>
                <th>{t.rs_col_action}</th><th>{t.rs_col_param}</th><th>{t.rs_col_reason}</th><th></th>
            </tr></thead>
            <tbody>
                {move || {
                    shape.track();
                    let n = ed.def.with_untracked(|d| rules(d, i).map_or(0, |r| r.rules.len()));
                    (0..n).map(row).collect_view()
                }}
            </tbody>
        </table>
        </div>
        {ed.editable.then(|| view! { <button class="btn btn-sm btn-secondary" on:click=add>{t.rs_add_rule}</button> })}
    }
}

fn hit_policy(t: &Texts, h: &HitPolicy) -> String {
    match h {
        HitPolicy::First => t.hp_first.to_string(),
        HitPolicy::Unique => t.hp_unique.to_string(),
        HitPolicy::Priority => t.hp_priority.to_string(),
        HitPolicy::Collect { aggregation } => match aggregation {
            Some(a) => format!("{} · {}", t.hp_collect, t.aggregation(*a)),
            None => t.hp_collect.to_string(),
        },
    }
}

#[component]
fn TableEditor(ed: Editor, i: usize) -> impl IntoView {
    let t = t();
    let locale = use_locale();
    let shape = RwSignal::new(0u32);
    let page = RwSignal::new(0usize);
    let (policy, inputs, outputs) = ed.def.with_untracked(|d| {
        let x = table(d, i);
        (
            x.map(|x| hit_policy(t, &x.hit_policy)).unwrap_or_default(),
            x.map_or(0, |x| x.inputs.len()),
            x.map(|x| {
                x.outputs
                    .iter()
                    .map(|o| locale.pick(&o.label_zh, &o.label_en).to_string())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default(),
        )
    });
    let rows = move || {
        shape.track();
        ed.def
            .with_untracked(|d| table(d, i).map_or(0, |x| x.rows.len()))
    };
    // A problem in a row on another page turns to that page.
    Effect::new(move |_| {
        if let Some(p) = ed.problem.get().filter(|p| p.stage == Some(i)) {
            if let Some(TablePlace::InputCell { row, .. } | TablePlace::OutputCell { row, .. }) =
                p.table_place
            {
                page.set(row / PAGE_ROWS);
            }
        }
    });
    let at = move |place: TablePlace| {
        move |p: &RuleSetProblem| p.stage == Some(i) && p.table_place == Some(place)
    };
    let column_head = move |c: usize| {
        let label = ed
            .def
            .with_untracked(|d| {
                table(d, i)
                    .and_then(|x| x.inputs.get(c))
                    .and_then(|x| match locale {
                        Locale::Zh => x.label_zh.clone(),
                        Locale::En => x.label_en.clone(),
                    })
            })
            .unwrap_or_default();
        view! {
            <th>
                <div class="muted">{label}</div>
                {cell(ed,
                    move |d| table(d, i).and_then(|x| x.inputs.get(c)).map(|x| x.expr.clone()),
                    move |d, v| if let Some(x) = table_mut(d, i).and_then(|x| x.inputs.get_mut(c)) { x.expr = v },
                    at(TablePlace::InputColumn { column: c }), "mono")}
            </th>
        }
    };
    let n_outputs = outputs.len();
    let row = move |r: usize| {
        view! {
            <tr data-testid="table-row">
                <td class="muted num">{r + 1}</td>
                {(0..inputs).map(|c| view! {
                    <td>{cell(ed,
                        move |d| table(d, i).and_then(|x| x.rows.get(r)).and_then(|x| x.inputs.get(c)).cloned(),
                        move |d, v| if let Some(x) = table_mut(d, i).and_then(|x| x.rows.get_mut(r)).and_then(|x| x.inputs.get_mut(c)) { *x = v },
                        at(TablePlace::InputCell { row: r, column: c }), "mono")}</td>
                }).collect_view()}
                {(0..n_outputs).map(|c| view! {
                    <td class="rs-output">{cell(ed,
                        move |d| table(d, i).and_then(|x| x.rows.get(r)).and_then(|x| x.outputs.get(c)).cloned(),
                        move |d, v| if let Some(x) = table_mut(d, i).and_then(|x| x.rows.get_mut(r)).and_then(|x| x.outputs.get_mut(c)) { *x = v },
                        at(TablePlace::OutputCell { row: r, column: c }), "mono")}</td>
                }).collect_view()}
                <td>{ed.editable.then(|| view! {
                    <button class="btn btn-sm btn-link" on:click=move |_| {
                        ed.edit(|d| if let Some(x) = table_mut(d, i) { if r < x.rows.len() { x.rows.remove(r); } });
                        ed.problem.set(None);
                        shape.update(|n| *n += 1);
                    }>{t.rs_delete}</button>
                })}</td>
            </tr>
        }
    };
    let add = move |_| {
        ed.edit(|d| {
            if let Some(x) = table_mut(d, i) {
                let last = x.rows.last().cloned().unwrap_or(RowDef {
                    inputs: vec!["-".into(); x.inputs.len()],
                    outputs: vec![String::new(); x.outputs.len()],
                });
                x.rows.push(last);
            }
        });
        shape.update(|n| *n += 1);
        page.set(rows().saturating_sub(1) / PAGE_ROWS);
    };
    let table_problem = move || ed.problem_at(at(TablePlace::Table));
    view! {
        <p class="muted">{t.rs_hit_policy}" · "{policy}" · "{move || fill(t.rs_rows_count, &[("n", rows().to_string())])}</p>
        {move || table_problem().map(|p| view! { <div class="field-error">{problem_text(t, &p, None)}</div> })}
        <div class="rs-scroll">
            <table class="table table-compact rs-grid">
                <thead><tr>
                    <th>"#"</th>
                    {(0..inputs).map(column_head).collect_view()}
                    {outputs.iter().map(|o| view! { <th class="rs-output">{o.clone()}</th> }).collect_view()}
                    <th></th>
                </tr></thead>
                <tbody>
                    {move || {
                        let n = rows();
                        let from = (page.get() * PAGE_ROWS).min(n);
                        let to = (from + PAGE_ROWS).min(n);
                        (from..to).map(row).collect_view()
                    }}
                </tbody>
            </table>
        </div>
        <div class="row">
            {move || {
                let n = rows();
                let from = (page.get() * PAGE_ROWS).min(n);
                let to = (from + PAGE_ROWS).min(n);
                (n > PAGE_ROWS).then(|| view! {
                    <button class="btn btn-sm btn-secondary" disabled=move || page.get() == 0
                        on:click=move |_| page.update(|p| *p = p.saturating_sub(1))>{t.rs_prev}</button>
                    <span class="muted">{fill(t.rs_page, &[("from", (from + 1).to_string()), ("to", to.to_string()), ("n", n.to_string())])}</span>
                    <button class="btn btn-sm btn-secondary" disabled=move || (page.get() + 1) * PAGE_ROWS >= rows()
                        on:click=move |_| page.update(|p| *p += 1)>{t.rs_next}</button>
                })
            }}
            {ed.editable.then(|| view! { <button class="btn btn-sm btn-secondary" on:click=add>{t.rs_add_row}</button> })}
        </div>
    }
}

#[component]
fn ScorecardEditor(ed: Editor, i: usize) -> impl IntoView {
    let t = t();
    let locale = use_locale();
    let shape = RwSignal::new(0u32);
    let (base, grades) = ed.def.with_untracked(|d| {
        let c = card(d, i);
        (
            c.map_or(0, |c| c.base_points),
            c.map(|c| {
                c.grades
                    .iter()
                    .map(|g| (g.grade.clone(), g.min_score))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default(),
        )
    });
    let characteristics = ed
        .def
        .with_untracked(|d| card(d, i).map_or(0, |c| c.characteristics.len()));
    let grade_problem = move || {
        ed.problem_at(|p| {
            p.stage == Some(i)
                && matches!(
                    p.code,
                    ErrorCode::ScorecardGradeOrder | ErrorCode::ScorecardNoGrades
                )
        })
    };
    let points = move |c: usize, b: usize| {
        move |d: &StrategyDef| {
            card(d, i)
                .and_then(|x| x.characteristics.get(c))
                .and_then(|x| x.bins.get(b))
                .map(|b| b.points.to_string())
        }
    };
    let characteristic = move |c: usize| {
        let label = ed
            .def
            .with_untracked(|d| {
                card(d, i)
                    .and_then(|x| x.characteristics.get(c))
                    .and_then(|x| match locale {
                        Locale::Zh => x.label_zh.clone(),
                        Locale::En => x.label_en.clone(),
                    })
            })
            .unwrap_or_default();
        let bins = move || {
            shape.track();
            ed.def.with_untracked(|d| {
                card(d, i)
                    .and_then(|x| x.characteristics.get(c))
                    .map_or(0, |x| x.bins.len())
            })
        };
        view! {
            <div class="rs-characteristic" data-testid="characteristic">
                <div class="row">
                    <strong>{t.rs_characteristic}" "{c + 1}" · "{label}</strong>
                    {cell(ed,
                        move |d| card(d, i).and_then(|x| x.characteristics.get(c)).map(|x| x.expr.clone()),
                        move |d, v| if let Some(x) = card_mut(d, i).and_then(|x| x.characteristics.get_mut(c)) { x.expr = v },
                        move |p: &RuleSetProblem| p.stage == Some(i) && p.characteristic == Some(c) && p.bin.is_none(), "mono")}
                    <span class="muted">{t.rs_missing_points}</span>
                    {cell(ed,
                        move |d| card(d, i).and_then(|x| x.characteristics.get(c)).map(|x| x.missing_points.to_string()),
                        move |d, v| if let (Some(x), Ok(n)) = (card_mut(d, i).and_then(|x| x.characteristics.get_mut(c)), v.trim().parse()) { x.missing_points = n },
                        |_| false, "num")}
                </div>
                <table class="table table-compact rs-grid">
                    <thead><tr><th>{t.rs_bin}</th><th class="num">{t.rs_points}</th></tr></thead>
                    <tbody>
                        {move || (0..bins()).map(|b| view! {
                            <tr>
                                <td>{cell(ed,
                                    move |d| card(d, i).and_then(|x| x.characteristics.get(c)).and_then(|x| x.bins.get(b)).map(|b| b.cell.clone()),
                                    move |d, v| if let Some(x) = card_mut(d, i).and_then(|x| x.characteristics.get_mut(c)).and_then(|x| x.bins.get_mut(b)) { x.cell = v },
                                    move |p: &RuleSetProblem| p.stage == Some(i) && p.characteristic == Some(c) && p.bin == Some(b), "mono")}</td>
                                <td>{cell(ed, points(c, b),
                                    move |d, v| if let (Some(x), Ok(n)) = (card_mut(d, i).and_then(|x| x.characteristics.get_mut(c)).and_then(|x| x.bins.get_mut(b)), v.trim().parse()) { x.points = n },
                                    |_| false, "num")}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                {ed.editable.then(|| view! {
                    <button class="btn btn-sm btn-secondary" on:click=move |_| {
                        ed.edit(|d| if let Some(x) = card_mut(d, i).and_then(|x| x.characteristics.get_mut(c)) {
                            x.bins.push(BinDef { cell: "-".into(), points: 0 });
                        });
                        shape.update(|n| *n += 1);
                    }>{t.rs_add_bin}</button>
                })}
            </div>
        }
    };
    view! {
        <p class="muted">{t.rs_base_points}" · "{base}</p>
        <div class="stack">{(0..characteristics).map(characteristic).collect_view()}</div>
        <h3 class="subsection-title">{t.rs_grades}</h3>
        {move || grade_problem().map(|p| view! { <div class="field-error">{problem_text(t, &p, None)}</div> })}
        <table class="table table-compact">
            <thead><tr><th>{t.rs_grades}</th><th class="num">{t.rs_min_score}</th></tr></thead>
            <tbody>
                {grades.into_iter().map(|(g, min)| view! { <tr><td>{g}</td><td class="num">{min}</td></tr> }).collect_view()}
            </tbody>
        </table>
    }
}

fn brief(t: &Texts, b: &DecisionBrief) -> impl IntoView {
    let rate = b.rate_bp.map(crate::format::rate_bp);
    view! {
        <span class=format!("badge badge-verdict-{}", verdict_class(b.outcome))>{t.verdict(b.outcome)}</span>
        " "<span class="money">{b.limit.map(money).unwrap_or_else(|| t.rs_no_limit.to_string())}</span>
        " · "{rate.unwrap_or_else(|| t.rs_no_limit.to_string())}
        {(!b.reason_codes.is_empty()).then(|| view! { " · "<span class="mono muted">{b.reason_codes.join(", ")}</span> })}
    }
}

#[component]
fn TestBench(id: String, samples: Vec<RuleSetSample>, dirty: RwSignal<bool>) -> impl IntoView {
    let t = t();
    let picked = RwSignal::new(String::new());
    let run = Action::new(move |app: &String| {
        let (id, app) = (id.clone(), app.clone());
        async move { try_rule_set(id, app).await }
    });
    let error = Signal::derive(move || run.value().get().and_then(|r| r.err()));
    view! {
        <section class="ws-panel" data-testid="test-bench">
            <div class="ws-panel-header">
                <h2 class="section-title">{t.rs_bench_title}</h2>
                <span class="muted">{t.rs_bench_sub}</span>
            </div>
            {if samples.is_empty() {
                view! { <div class="empty">{t.rs_bench_none}</div> }.into_any()
            } else {
                let list = samples;
                // The newest is tried unless another is picked.
                let first = list[0].application_id.clone();
                view! {
                    <div class="row">
                        <label class="muted" for="bench-app">{t.rs_bench_pick}</label>
                        <select id="bench-app" class="input" data-testid="bench-pick"
                            on:change=move |ev| picked.set(event_target_value(&ev))>
                            {list.into_iter().map(|x| {
                                let v = x.application_id.clone();
                                let label = format!("{} · {} {} · {} · {}", x.customer_name, money(x.amount), t.yuan,
                                    t.verdict(x.outcome), datetime(x.decided_at));
                                view! { <option value=v>{label}</option> }
                            }).collect_view()}
                        </select>
                        <button class="btn btn-primary" data-testid="bench-run" disabled=move || run.pending().get()
                            on:click=move |_| {
                                let p = picked.get_untracked();
                                run.dispatch(if p.is_empty() { first.clone() } else { p });
                            }>{t.rs_bench_run}</button>
                        {move || dirty.get().then(|| view! { <span class="tag">{t.rs_unsaved}</span> })}
                    </div>
                }.into_any()
            }}
            <FormError error=error />
            {move || run.value().get().and_then(|r| r.ok()).map(|trial| view! {
                <div class="rs-bench-result" data-testid="bench-result">
                    <p>
                        <strong>{trial.customer_name.clone()}</strong>" · "{t.rs_bench_then}" "
                        {trial.baseline_version.map(|v| fill(t.decision_version, &[("v", v.to_string())]))}": "
                        {brief(t, &trial.baseline)}
                    </p>
                    <p class="muted">{fill(t.rs_bench_elapsed, &[("us", trial.result.elapsed_us.to_string())])}</p>
                    <DecisionPanel decision=trial.result.clone() />
                </div>
            })}
        </section>
    }
}

#[component]
fn Simulation(id: String) -> impl IntoView {
    let t = t();
    let locale = use_locale();
    let last_n = RwSignal::new("200".to_string());
    let run = Action::new(move |n: &u32| {
        let (id, n) = (id.clone(), *n);
        async move { simulate_rule_set(id, n).await }
    });
    let error = Signal::derive(move || run.value().get().and_then(|r| r.err()));
    view! {
        <section class="ws-panel" data-testid="simulation">
            <div class="ws-panel-header">
                <h2 class="section-title">{t.rs_sim_title}</h2>
                <span class="muted">{t.rs_sim_sub}</span>
            </div>
            <div class="row">
                <label class="muted" for="sim-n">{t.rs_sim_last}</label>
                <input id="sim-n" class="input input-short" type="number" min="1" max="5000"
                    prop:value=move || last_n.get() on:input=move |ev| last_n.set(event_target_value(&ev)) />
                <button class="btn btn-primary" data-testid="sim-run" disabled=move || run.pending().get()
                    on:click=move |_| { run.dispatch(last_n.get_untracked().trim().parse().unwrap_or(200)); }>{t.rs_sim_run}</button>
            </div>
            <FormError error=error />
            {move || run.value().get().and_then(|r| r.ok()).map(|r| view! {
                <div class="ws-stats" data-testid="sim-report">
                    <div class="stat"><div class="stat-value">{r.applications}</div><div class="stat-label">{t.rs_sim_applications}</div></div>
                    <div class="stat"><div class="stat-value" data-testid="sim-changed">{r.changed}</div><div class="stat-label">{t.rs_sim_changed}</div></div>
                    <div class="stat"><div class="stat-value">{r.limits_up}" / "{r.limits_down}</div><div class="stat-label">{t.rs_sim_limits}</div></div>
                    <div class="stat"><div class="stat-value money">{money(r.limit_change)}</div><div class="stat-label">{t.rs_sim_limit_change}</div></div>
                    <div class="stat"><div class="stat-value">{r.rates_up}" / "{r.rates_down}</div><div class="stat-label">{t.rs_sim_rates}</div></div>
                </div>
                {(!r.flips.is_empty()).then(|| view! {
                    <h3 class="subsection-title">{t.rs_sim_flips}</h3>
                    <table class="table table-compact">
                        <tbody>
                            {r.flips.iter().map(|f| view! {
                                <tr><td>{t.verdict(f.from)}" → "{t.verdict(f.to)}</td><td class="num">{f.count}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                })}
                <h3 class="subsection-title">{t.rs_sim_hits}</h3>
                {if r.rule_hits.is_empty() {
                    view! { <div class="empty" data-testid="sim-hits">{t.rs_sim_no_hits}</div> }.into_any()
                } else {
                    view! {
                        <table class="table table-compact" data-testid="sim-hits">
                    <thead><tr><th>{t.rs_col_id}</th><th>{t.rs_col_name}</th><th class="num">{t.rs_sim_hits_now}</th><th class="num">{t.rs_sim_hits_then}</th></tr></thead>
                    <tbody>
                        {r.rule_hits.iter().map(|h| view! {
                            <tr class=if h.simulated != h.baseline { "row-changed" } else { "" }>
                                <td class="mono">{h.rule_id.clone()}</td>
                                <td>{locale.pick(&h.name_zh, &h.name_en).to_string()}</td>
                                <td class="num">{h.simulated}</td>
                                <td class="num">{h.baseline}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                    }.into_any()
                }}
                <h3 class="subsection-title">{t.rs_sim_diffs}</h3>
                {if r.diffs.is_empty() {
                    view! { <div class="empty">{t.rs_sim_no_change}</div> }.into_any()
                } else {
                    view! {
                        <table class="table table-compact">
                            <thead><tr><th>{t.col_customer}</th><th>{t.col_submitted}</th><th>{t.rs_before}</th><th>{t.rs_after}</th></tr></thead>
                            <tbody>
                                {r.diffs.iter().take(100).map(|x| view! {
                                    <tr>
                                        <td><a href=format!("/staff/applications/{}", x.application_id)>{x.customer_name.clone()}</a></td>
                                        <td>{datetime(x.decided_at)}</td>
                                        <td>{brief(t, &x.before)}</td>
                                        <td>{brief(t, &x.after)}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }}
            })}
        </section>
    }
}
