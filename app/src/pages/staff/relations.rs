//! 回避申报: a staff member declares a tie to a customer (family, business
//! partner, guarantor…). From then on the random pick passes them over for
//! that customer's applications, a branch head cannot give them such a task,
//! and their open tasks on it go back to the branch head. Declarations are
//! not withdrawn here: a tie that ended is cleared by compliance, audited.

use crate::components::{awaited, FormError};
use crate::error::{AppError, ErrorCode};
use crate::format::datetime;
use crate::i18n::{fill, t, Texts};
use domain::duty::Relation;
use domain::view::StaffRelationView;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::session;

/// 回避申报: the caller declares a tie to a customer of their bank; returns
/// how many of their open tasks went back to the branch head.
#[server(prefix = "/api/fn", endpoint = "declare_relation")]
pub async fn declare_relation(id_number: String, relation: String) -> Result<u64, AppError> {
    let (services, staff) = session::staff().await?;
    let relation = domain::duty::Relation::parse(&relation)
        .ok_or_else(|| AppError::invalid(ErrorCode::RelationChoose))?;
    Ok(services
        .workflow()
        .declare_relation(&staff, &id_number, relation)
        .await?)
}

#[server(prefix = "/api/fn", endpoint = "staff_relations")]
pub async fn staff_relations() -> Result<Vec<StaffRelationView>, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services.workflow().staff_relations(&staff).await?)
}

fn relation_label(t: &'static Texts, r: Relation) -> &'static str {
    match r {
        Relation::Family => t.rel_family,
        Relation::BusinessPartner => t.rel_business_partner,
        Relation::Guarantor => t.rel_guarantor,
        Relation::Other => t.rel_other,
    }
}

#[component]
pub fn RelationsPage() -> impl IntoView {
    let t = t();
    let refresh = RwSignal::new(0u32);
    let data = Resource::new(move || refresh.get(), |_| staff_relations());
    let id_number = RwSignal::new(String::new());
    let relation = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let notice = RwSignal::new(None::<String>);
    let save = Action::new(move |(id, rel): &(String, String)| {
        let (id, rel) = (id.clone(), rel.clone());
        async move { declare_relation(id, rel).await }
    });
    Effect::new(move |_| match save.value().get() {
        Some(Ok(handed_back)) => {
            id_number.set(String::new());
            relation.set(String::new());
            notice.set(Some(if handed_back > 0 {
                fill(t.rel_done_handed_back, &[("n", handed_back.to_string())])
            } else {
                t.rel_done.to_string()
            }));
            refresh.update(|n| *n += 1);
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        notice.set(None);
        if relation.get_untracked().is_empty() {
            error.set(Some(AppError::new(ErrorCode::RelationChoose)));
            return;
        }
        save.dispatch((id_number.get_untracked(), relation.get_untracked()));
    };
    view! {
        <div class="stack" data-testid="relations-page">
            <section class="ws-panel">
                <div class="ws-panel-header">
                    <h1 class="page-title">{t.rel_title}</h1>
                </div>
                <p class="muted">{t.rel_hint}</p>
                {move || notice.get().map(|n| view! { <div class="alert alert-success" role="status">{n}</div> })}
                <form class="form pm-form" on:submit=submit>
                    <label class="field">
                        <span>{t.rel_id_number}</span>
                        <input class="input" id="rel-id-number" autocomplete="off" maxlength="18"
                            prop:value=id_number on:input=move |ev| id_number.set(event_target_value(&ev)) />
                    </label>
                    <label class="field">
                        <span>{t.rel_relation}</span>
                        <select class="input" id="rel-relation" prop:value=relation
                            on:change=move |ev| relation.set(event_target_value(&ev))>
                            <option value="">{t.rel_choose}</option>
                            {Relation::ALL.into_iter().map(|r| view! { <option value=r.as_str()>{relation_label(t, r)}</option> }).collect_view()}
                        </select>
                    </label>
                    <FormError error=error />
                    <div class="row">
                        <button type="submit" class="btn btn-primary" data-testid="declare-relation"
                            disabled=move || save.pending().get()>{t.rel_declare}</button>
                    </div>
                </form>
            </section>
            <section class="ws-panel">
                <div class="ws-panel-header"><h2 class="section-title">{t.rel_list}</h2></div>
                {awaited(data, super::LOGIN, move |rows| {
                    if rows.is_empty() {
                        return view! { <div class="empty">{t.rel_none}</div> }.into_any();
                    }
                    view! {
                        <table class="table" data-testid="relation-table">
                            <thead><tr>
                                <th>{t.rel_staff}</th><th>{t.col_customer}</th><th>{t.rel_id_number}</th>
                                <th>{t.rel_relation}</th><th>{t.rel_declared_at}</th>
                            </tr></thead>
                            <tbody>
                                {rows.into_iter().map(|r| view! {
                                    <tr data-testid="relation-row">
                                        <td>{r.staff_name}</td>
                                        <td>{r.customer_name_masked}</td>
                                        <td class="mono">{r.id_number_masked}</td>
                                        <td>{relation_label(t, r.relation)}</td>
                                        <td>{datetime(r.declared_at)}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                })}
            </section>
        </div>
    }
}
