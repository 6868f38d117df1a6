//! The editor of a rules stage: one row per rule (id, name, condition,
//! action and its parameter, reason code).

use super::{cell, rules, rules_mut, Editor};
use crate::components::FormError;
use crate::error::AppError;
use crate::format::money;
use crate::i18n::{t, use_locale, Locale};
use domain::error_code::ErrorCode;
use domain::money::Fen;
use domain::rules::rule::{Action as RuleAction, RuleDef};
use domain::rules::strategy::StrategyDef;
use domain::view::RuleSetProblem;
use leptos::prelude::*;

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
pub(super) fn RulesEditor(ed: Editor, i: usize) -> impl IntoView {
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
