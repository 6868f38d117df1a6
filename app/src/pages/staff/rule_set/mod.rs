//! One rule-set version: its maker-checker steps, the editor for its rules,
//! decision tables and scorecards (a problem found on check or save is
//! marked at the offending cell, with the place inside the expression), the
//! test bench and the simulation with hit statistics per rule.
//!
//! The definition being edited lives in one signal; each cell reads and
//! writes its own place in it. Nothing is evaluated here: checking, saving,
//! trying and simulating all run on the server.
//!
//! By part: this file has the page and what every cell shares (the
//! `Editor`, the stage accessors, `cell` and the problem's wording);
//! `view` the version's steps and its stages; `rules_editor`,
//! `table_editor` and `scorecard_editor` one kind of stage each; `bench`
//! the test bench and the simulation.

mod bench;
mod rules_editor;
mod scorecard_editor;
mod table_editor;
mod view;

use super::rule_set_api::rule_set;
use crate::components::awaited;
use crate::i18n::{fill, t, Texts};
use domain::rules::rule::RuleSetDef;
use domain::rules::scorecard::ScorecardDef;
use domain::rules::strategy::{StageBodyDef, StrategyDef};
use domain::rules::table::TableDef;
use domain::view::RuleSetProblem;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use view::RuleSetView;

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
