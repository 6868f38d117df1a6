//! The editor of a decision-table stage: its input columns, the rows a
//! page at a time, and the outputs.

use super::{cell, problem_text, table, table_mut, Editor};
use crate::i18n::{fill, t, use_locale, Locale, Texts};
use domain::rules::table::{HitPolicy, RowDef, TablePlace};
use domain::view::RuleSetProblem;
use leptos::prelude::*;

/// Decision-table rows shown per page.
const PAGE_ROWS: usize = 50;

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
pub(super) fn TableEditor(ed: Editor, i: usize) -> impl IntoView {
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
