//! The editor of a scorecard stage: each characteristic with its bins and
//! points, and the grades.

use super::{card, card_mut, cell, problem_text, Editor};
use crate::error::ErrorCode;
use crate::i18n::{t, use_locale, Locale};
use domain::rules::scorecard::BinDef;
use domain::rules::strategy::StrategyDef;
use domain::view::RuleSetProblem;
use leptos::prelude::*;

#[component]
pub(super) fn ScorecardEditor(ed: Editor, i: usize) -> impl IntoView {
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
