//! 流程设计: a product manager assembles an approval flow from the reusable
//! steps (pre-screen, admission, documents, investigation, review, approval,
//! contract, collateral, disbursement, ends) and the conditions that route
//! between them, starting from a template of the library. The server checks
//! it works for every application (no dead end, no loop without an exit, no
//! way around approval) and saves it as the next version of its code; the
//! diagram beside it shows what was drawn.

use super::products::FlowDiagram;
use crate::components::{reload, FormError};
use crate::error::{AppError, ErrorCode};
use crate::i18n::{t, use_locale, Texts};
use domain::flow::{
    ApprovalMode, Condition, Edge, EndState, FlowTemplate, InvestigationMode, Node, NodeKind,
    Outcome,
};
use domain::money::Fen;
use domain::product::GuaranteeType;
use domain::view::{FlowTemplateView, NewFlowTemplate};
use leptos::prelude::*;
use server_fn::codec::Json;

#[cfg(feature = "ssr")]
use crate::session;

/// Saves a designed flow template; returns its version.
#[server(prefix = "/api/fn", endpoint = "save_flow_template", input = Json)]
pub async fn save_flow_template(template: NewFlowTemplate) -> Result<u32, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services
        .products()
        .save_flow_template(&staff, template)
        .await?)
}

/// The kinds offered in the designer, by a code that includes the mode.
const KINDS: [&str; 15] = [
    "pre_screen",
    "admission",
    "document_collection",
    "investigation",
    "investigation_b2b",
    "review",
    "approval",
    "approval_b2b",
    "committee",
    "contract_signing",
    "collateral_registration",
    "disbursement",
    "end_approved",
    "end_disbursed",
    "end_rejected",
];

fn kind_code(k: NodeKind) -> &'static str {
    match k {
        NodeKind::Investigation {
            mode: InvestigationMode::BackToBack,
        } => "investigation_b2b",
        NodeKind::Approval {
            mode: ApprovalMode::BackToBack,
        } => "approval_b2b",
        NodeKind::Approval {
            mode: ApprovalMode::Committee { .. },
        } => "committee",
        NodeKind::End {
            state: EndState::Approved,
        } => "end_approved",
        NodeKind::End {
            state: EndState::Disbursed,
        } => "end_disbursed",
        NodeKind::End {
            state: EndState::Rejected,
        } => "end_rejected",
        other => other.code(),
    }
}

fn kind_of(code: &str, members: u32, quorum: u32) -> Option<NodeKind> {
    Some(match code {
        "pre_screen" => NodeKind::PreScreen,
        "admission" => NodeKind::Admission,
        "document_collection" => NodeKind::DocumentCollection,
        "investigation" => NodeKind::Investigation {
            mode: InvestigationMode::Single,
        },
        "investigation_b2b" => NodeKind::Investigation {
            mode: InvestigationMode::BackToBack,
        },
        "review" => NodeKind::Review,
        "approval" => NodeKind::Approval {
            mode: ApprovalMode::Single,
        },
        "approval_b2b" => NodeKind::Approval {
            mode: ApprovalMode::BackToBack,
        },
        "committee" => NodeKind::Approval {
            mode: ApprovalMode::Committee { members, quorum },
        },
        "contract_signing" => NodeKind::ContractSigning,
        "collateral_registration" => NodeKind::CollateralRegistration,
        "disbursement" => NodeKind::Disbursement,
        "end_approved" => NodeKind::End {
            state: EndState::Approved,
        },
        "end_disbursed" => NodeKind::End {
            state: EndState::Disbursed,
        },
        "end_rejected" => NodeKind::End {
            state: EndState::Rejected,
        },
        _ => return None,
    })
}

fn kind_label(t: &'static Texts, code: &str) -> &'static str {
    match code {
        "investigation_b2b" => t.fd_investigation_b2b,
        "approval_b2b" => t.fd_approval_b2b,
        "committee" => t.fd_committee,
        "end_approved" => t.pm_end_approved,
        "end_disbursed" => t.fd_end_disbursed,
        "end_rejected" => t.pm_end_rejected,
        other => domain::flow::NodeType::parse(other).map_or(t.node_end, |k| t.node_kind(k)),
    }
}

/// One step being edited: a signal per field, so typing re-renders nothing
/// but the field.
#[derive(Clone, Copy)]
struct NodeRow {
    key: usize,
    id: RwSignal<String>,
    kind: RwSignal<String>,
    sla: RwSignal<String>,
    members: RwSignal<String>,
    quorum: RwSignal<String>,
}

/// One route being edited.
#[derive(Clone, Copy)]
struct EdgeRow {
    key: usize,
    from: RwSignal<String>,
    on: RwSignal<String>,
    cond: RwSignal<String>,
    value: RwSignal<String>,
    to: RwSignal<String>,
}

fn node_row(key: usize, n: &Node) -> NodeRow {
    let (members, quorum) = match n.kind {
        NodeKind::Approval {
            mode: ApprovalMode::Committee { members, quorum },
        } => (members, quorum),
        _ => (3, 2),
    };
    NodeRow {
        key,
        id: RwSignal::new(n.id.clone()),
        kind: RwSignal::new(kind_code(n.kind).to_string()),
        sla: RwSignal::new(n.sla_hours.map(|h| h.to_string()).unwrap_or_default()),
        members: RwSignal::new(members.to_string()),
        quorum: RwSignal::new(quorum.to_string()),
    }
}

fn edge_row(key: usize, e: &Edge) -> EdgeRow {
    let (cond, value) = match &e.when {
        Condition::AmountAbove { fen } => ("amount_above", fen.to_yuan_string()),
        Condition::AmountAtMost { fen } => ("amount_at_most", fen.to_yuan_string()),
        Condition::ScoreAtLeast { score } => ("score_at_least", score.to_string()),
        Condition::ScoreBelow { score } => ("score_below", score.to_string()),
        Condition::GuaranteeIn { types } => ("guarantee_in", guarantee_codes(types)),
        // Neither the starters nor this designer make combined conditions.
        Condition::Always | Condition::All { .. } => ("always", String::new()),
    };
    EdgeRow {
        key,
        from: RwSignal::new(e.from.clone()),
        on: RwSignal::new(e.on.as_str().to_string()),
        cond: RwSignal::new(cond.to_string()),
        value: RwSignal::new(value),
        to: RwSignal::new(e.to.clone()),
    }
}

/// Guarantee types as the row keeps them: "credit,mortgage".
fn guarantee_codes(types: &[GuaranteeType]) -> String {
    types
        .iter()
        .map(|g| g.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn guarantees_of(value: &str) -> Vec<GuaranteeType> {
    GuaranteeType::ALL
        .into_iter()
        .filter(|g| value.split(',').any(|c| c == g.as_str()))
        .collect()
}

fn outcome_of(code: &str) -> Outcome {
    match code {
        "reject" => Outcome::Reject,
        "escalate" => Outcome::Escalate,
        _ => Outcome::Pass,
    }
}

/// The guarantee types a route applies to, as check boxes.
#[component]
fn GuaranteeChoice(value: RwSignal<String>) -> impl IntoView {
    let t = t();
    GuaranteeType::ALL
        .into_iter()
        .map(|g| {
            let on = move || guarantees_of(&value.get()).contains(&g);
            let flip = move |checked: bool| {
                let mut types = guarantees_of(&value.get_untracked());
                types.retain(|x| *x != g);
                if checked {
                    types.push(g);
                    types.sort();
                }
                value.set(guarantee_codes(&types));
            };
            view! {
                <label class="checkbox fd-guarantee">
                    <input type="checkbox" data-testid="fd-guarantee" value=g.as_str() prop:checked=on
                        on:change=move |ev| flip(event_target_checked(&ev)) />
                    <span>{t.guarantee(g)}</span>
                </label>
            }
        })
        .collect_view()
}

/// What the rows say, as a flow; a field that is not a number refuses.
fn drawn(start: &str, nodes: &[NodeRow], edges: &[EdgeRow]) -> Result<FlowTemplate, AppError> {
    let number = |s: String| -> Result<u32, AppError> {
        s.trim()
            .parse::<u32>()
            .map_err(|_| AppError::new(ErrorCode::FdNumberInvalid))
    };
    let mut out_nodes = Vec::new();
    for n in nodes {
        let kind = kind_of(
            &n.kind.get_untracked(),
            number(n.members.get_untracked())?,
            number(n.quorum.get_untracked())?,
        )
        .ok_or_else(|| AppError::new(ErrorCode::FdNumberInvalid))?;
        let sla = n.sla.get_untracked();
        out_nodes.push(Node {
            id: n.id.get_untracked().trim().to_string(),
            kind,
            sla_hours: if sla.trim().is_empty() {
                None
            } else {
                Some(number(sla)?)
            },
        });
    }
    let mut out_edges = Vec::new();
    for e in edges {
        let value = e.value.get_untracked();
        let amount =
            || Fen::parse_yuan(value.trim()).map_err(|_| AppError::new(ErrorCode::FdNumberInvalid));
        let score = || {
            value
                .trim()
                .parse::<i32>()
                .map_err(|_| AppError::new(ErrorCode::FdNumberInvalid))
        };
        let when = match e.cond.get_untracked().as_str() {
            "amount_above" => Condition::AmountAbove { fen: amount()? },
            "amount_at_most" => Condition::AmountAtMost { fen: amount()? },
            "score_at_least" => Condition::ScoreAtLeast { score: score()? },
            "score_below" => Condition::ScoreBelow { score: score()? },
            "guarantee_in" => {
                let types = guarantees_of(&value);
                if types.is_empty() {
                    return Err(AppError::new(ErrorCode::FdGuaranteeMissing));
                }
                Condition::GuaranteeIn { types }
            }
            _ => Condition::Always,
        };
        out_edges.push(Edge {
            from: e.from.get_untracked(),
            on: outcome_of(&e.on.get_untracked()),
            when,
            to: e.to.get_untracked(),
        });
    }
    Ok(FlowTemplate {
        code: String::new(),
        start: start.to_string(),
        nodes: out_nodes,
        edges: out_edges,
    })
}

#[component]
pub fn FlowDesigner(flows: Vec<FlowTemplateView>) -> impl IntoView {
    let t = t();
    let next_key = StoredValue::new(0usize);
    let key = move || {
        next_key.update_value(|k| *k += 1);
        next_key.get_value()
    };
    let code = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let start = RwSignal::new(String::new());
    let nodes = RwSignal::new(Vec::<NodeRow>::new());
    let edges = RwSignal::new(Vec::<EdgeRow>::new());
    let preview = RwSignal::new(None::<FlowTemplate>);
    let error = RwSignal::new(None::<AppError>);
    let library = StoredValue::new(flows.clone());
    let load = move |code_of: &str| {
        let found = library.with_value(|l| l.iter().find(|f| f.code == code_of).cloned());
        if let Some(f) = found {
            start.set(f.body.start.clone());
            nodes.set(f.body.nodes.iter().map(|n| node_row(key(), n)).collect());
            edges.set(f.body.edges.iter().map(|e| edge_row(key(), e)).collect());
            preview.set(Some(f.body));
            error.set(None);
        }
    };
    if let Some(first) = flows.first() {
        load(&first.code);
    }
    let redraw = move || match drawn(
        &start.get_untracked(),
        &nodes.get_untracked(),
        &edges.get_untracked(),
    ) {
        Ok(f) => {
            preview.set(Some(f));
            error.set(None);
        }
        Err(e) => error.set(Some(e)),
    };
    let save = Action::new(move |f: &NewFlowTemplate| {
        let f = f.clone();
        async move {
            let r = save_flow_template(f).await;
            if r.is_ok() {
                reload();
            }
            r
        }
    });
    Effect::new(move |_| {
        if let Some(Err(e)) = save.value().get() {
            error.set(Some(e));
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        match drawn(
            &start.get_untracked(),
            &nodes.get_untracked(),
            &edges.get_untracked(),
        ) {
            Ok(body) => {
                preview.set(Some(body.clone()));
                if !save.pending().get_untracked() {
                    save.dispatch(NewFlowTemplate {
                        code: code.get_untracked(),
                        name_zh: name.get_untracked(),
                        name_en: String::new(),
                        body,
                    });
                }
            }
            Err(e) => error.set(Some(e)),
        }
    };
    let node_ids = move || nodes.get().iter().map(|n| n.id.get()).collect::<Vec<_>>();
    let id_options = move |selected: RwSignal<String>| {
        move || {
            node_ids()
                .into_iter()
                .map(|id| view! { <option value=id.clone() selected=selected.get_untracked() == id>{id.clone()}</option> })
                .collect_view()
        }
    };
    view! {
        <section class="ws-panel" data-testid="flow-designer">
            <div class="ws-panel-header"><h2 class="section-title">{t.fd_title}</h2></div>
            <p class="muted">{t.fd_hint}</p>
            <form class="form stack" on:submit=on_submit>
                <div class="grid-3">
                    <label class="field">
                        <span>{t.fd_start_from}</span>
                        <select class="input" id="fd-from" on:change=move |ev| load(&event_target_value(&ev))>
                            {flows.iter().map(|f| view! { <option value=f.code.clone()>{use_locale().pick(&f.name_zh, &f.name_en).to_string()}</option> }).collect_view()}
                        </select>
                    </label>
                    <label class="field">
                        <span>{t.fd_code}</span>
                        <input class="input" id="fd-code" placeholder="docs_first" prop:value=code
                            on:input=move |ev| code.set(event_target_value(&ev)) />
                    </label>
                    <label class="field">
                        <span>{t.fd_name}</span>
                        <input class="input" id="fd-name" prop:value=name
                            on:input=move |ev| name.set(event_target_value(&ev)) />
                    </label>
                </div>
                <h3 class="subsection-title">{t.fd_nodes}</h3>
                <table class="table fd-table" data-testid="fd-nodes">
                    <thead><tr><th>{t.fd_node_id}</th><th>{t.fd_kind}</th><th>{t.fd_sla}</th><th>{t.fd_committee_size}</th><th></th></tr></thead>
                    <tbody>
                        <For each=move || nodes.get() key=|n| n.key let:n>
                            <tr data-testid="fd-node">
                                <td><input class="input" aria-label=t.fd_node_id prop:value=n.id on:input=move |ev| n.id.set(event_target_value(&ev))
                                    readonly=move || n.kind.get() == "pre_screen" && n.id.get() == domain::flow::PRE_SCREEN_ID /></td>
                                <td>
                                    <select class="input" aria-label=t.fd_kind on:change=move |ev| n.kind.set(event_target_value(&ev))>
                                        {KINDS.iter().map(|k| view! { <option value=*k selected=n.kind.get_untracked() == *k>{kind_label(t, k)}</option> }).collect_view()}
                                    </select>
                                </td>
                                <td><input class="input input-narrow" inputmode="numeric" aria-label=t.fd_sla prop:value=n.sla on:input=move |ev| n.sla.set(event_target_value(&ev)) /></td>
                                <td>
                                    {move || (n.kind.get() == "committee").then(|| view! {
                                        <span class="row">
                                            <input class="input input-narrow" inputmode="numeric" aria-label=t.fd_members prop:value=n.members on:input=move |ev| n.members.set(event_target_value(&ev)) />
                                            " / "
                                            <input class="input input-narrow" inputmode="numeric" aria-label=t.fd_quorum prop:value=n.quorum on:input=move |ev| n.quorum.set(event_target_value(&ev)) />
                                        </span>
                                    })}
                                </td>
                                <td><button type="button" class="btn btn-sm btn-secondary" on:click=move |_| nodes.update(|v| v.retain(|x| x.key != n.key))>{t.fd_remove}</button></td>
                            </tr>
                        </For>
                    </tbody>
                </table>
                <div class="row">
                    <button type="button" class="btn btn-sm btn-secondary" data-testid="fd-add-node" on:click=move |_| {
                        let n = Node { id: format!("step_{}", nodes.with_untracked(Vec::len) + 1), kind: NodeKind::Review, sla_hours: Some(24) };
                        nodes.update(|v| v.push(node_row(key(), &n)));
                    }>{t.fd_add_node}</button>
                    <label class="field field-inline">
                        <span>{t.fd_start}</span>
                        <select class="input" id="fd-start" on:change=move |ev| start.set(event_target_value(&ev))>{id_options(start)}</select>
                    </label>
                </div>
                <h3 class="subsection-title">{t.fd_edges}</h3>
                <p class="muted">{t.fd_edges_hint}</p>
                <table class="table fd-table" data-testid="fd-edges">
                    <thead><tr><th>{t.fd_from}</th><th>{t.fd_on}</th><th>{t.fd_when}</th><th>{t.fd_value}</th><th>{t.fd_to}</th><th></th></tr></thead>
                    <tbody>
                        <For each=move || edges.get() key=|e| e.key let:e>
                            <tr data-testid="fd-edge">
                                <td><select class="input" aria-label=t.fd_from on:change=move |ev| e.from.set(event_target_value(&ev))>{id_options(e.from)}</select></td>
                                <td>
                                    <select class="input" aria-label=t.fd_on on:change=move |ev| e.on.set(event_target_value(&ev))>
                                        {[("pass", t.pm_on_pass), ("reject", t.pm_on_reject), ("escalate", t.pm_on_escalate)].into_iter().map(|(v, l)| view! { <option value=v selected=e.on.get_untracked() == v>{l}</option> }).collect_view()}
                                    </select>
                                </td>
                                <td>
                                    <select class="input" aria-label=t.fd_when on:change=move |ev| e.cond.set(event_target_value(&ev))>
                                        {[("always", t.fd_always), ("amount_above", t.fd_amount_above), ("amount_at_most", t.fd_amount_at_most), ("score_at_least", t.fd_score_at_least), ("score_below", t.fd_score_below), ("guarantee_in", t.fd_guarantee_in)].into_iter().map(|(v, l)| view! { <option value=v selected=e.cond.get_untracked() == v>{l}</option> }).collect_view()}
                                    </select>
                                </td>
                                <td>{move || if e.cond.get() == "guarantee_in" {
                                    view! { <GuaranteeChoice value=e.value /> }.into_any()
                                } else {
                                    view! { <input class="input input-narrow" aria-label=t.fd_value prop:value=e.value on:input=move |ev| e.value.set(event_target_value(&ev)) disabled=move || e.cond.get() == "always" /> }.into_any()
                                }}</td>
                                <td><select class="input" aria-label=t.fd_to on:change=move |ev| e.to.set(event_target_value(&ev))>{id_options(e.to)}</select></td>
                                <td><button type="button" class="btn btn-sm btn-secondary" on:click=move |_| edges.update(|v| v.retain(|x| x.key != e.key))>{t.fd_remove}</button></td>
                            </tr>
                        </For>
                    </tbody>
                </table>
                <div class="row">
                    <button type="button" class="btn btn-sm btn-secondary" data-testid="fd-add-edge" on:click=move |_| {
                        let first = nodes.with_untracked(|v| v.first().map(|n| n.id.get_untracked())).unwrap_or_default();
                        let e = Edge { from: first.clone(), on: Outcome::Pass, when: Condition::Always, to: first };
                        edges.update(|v| v.push(edge_row(key(), &e)));
                    }>{t.fd_add_edge}</button>
                    <button type="button" class="btn btn-sm btn-secondary" data-testid="fd-preview" on:click=move |_| redraw()>{t.fd_preview}</button>
                </div>
                <FormError error=error />
                <div class="row">
                    <button type="submit" class="btn btn-primary" data-testid="fd-save" disabled=move || save.pending().get()>
                        {move || if save.pending().get() { t.processing } else { t.fd_save }}
                    </button>
                </div>
            </form>
            {move || preview.get().map(|f| view! { <FlowDiagram flow=f /> })}
        </section>
    }
}
