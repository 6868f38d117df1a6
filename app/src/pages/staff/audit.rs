//! Browse the audit log and see whether its hash chain holds.

use crate::audit_words;
use crate::components::awaited;
use crate::error::AppError;
use crate::format::datetime;
use crate::i18n::{fill, t, use_locale};
use domain::view::{AuditEntry, ChainStatus};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::session;

/// One page of the audit log and the state of the hash chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub chain: ChainStatus,
}

#[server(prefix = "/api/fn", endpoint = "audit")]
pub async fn audit(before_seq: Option<i64>) -> Result<AuditPage, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(AuditPage {
        entries: services
            .audit()
            .audit_entries(&staff, before_seq, 50, None)
            .await?,
        chain: services.audit().verify_audit_chain(&staff).await?,
    })
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let t = t();
    let locale = use_locale();
    let before = RwSignal::new(None::<i64>);
    let data = Resource::new(move || before.get(), audit);
    view! {
        <div class="ws-panel">
            <div class="ws-panel-header">
                <h1 class="page-title">{t.audit_title}</h1>
                <span class="muted">{t.audit_sub}</span>
            </div>
            {awaited(data, super::LOGIN, move |page| {
                            let c = &page.chain;
                            let chain = if c.valid {
                                let signed = c.last_checkpoint_seq.map(|seq| {
                                    fill(t.chain_signed, &[("n", c.checkpoints.to_string()), ("seq", seq.to_string())])
                                });
                                let since = (c.checked_from_seq > 1).then(|| {
                                    fill(t.chain_incremental, &[("seq", c.checked_from_seq.to_string())])
                                });
                                view! { <div class="alert alert-success" data-testid="chain-ok">{fill(t.chain_ok, &[("n", c.entries.to_string())])}" "{signed}" "{since}</div> }.into_any()
                            } else if let Some(seq) = c.first_bad_seq {
                                view! { <div class="alert alert-error" data-testid="chain-bad">{fill(t.chain_bad, &[("seq", seq.to_string())])}</div> }.into_any()
                            } else {
                                let seq = c.bad_checkpoint_seq.unwrap_or(0).to_string();
                                view! { <div class="alert alert-error" data-testid="chain-bad">{fill(t.chain_checkpoint_bad, &[("seq", seq)])}</div> }.into_any()
                            };
                            let oldest = page.entries.last().map(|e| e.seq);
                            view! {
                                {chain}
                                <table class="table" data-testid="audit-table">
                                    <thead><tr><th>{t.col_seq}</th><th>{t.col_time}</th><th>{t.col_actor}</th><th>{t.col_operation}</th><th>{t.col_object}</th><th>{t.col_change}</th></tr></thead>
                                    <tbody>
                                        {page.entries.into_iter().map(|e| view! {
                                            <tr>
                                                <td>{e.seq}</td>
                                                <td>{datetime(e.at)}</td>
                                                <td>{if e.actor_kind == domain::view::ActorKind::System { t.audit_system.to_string() } else { e.actor_name.clone() }}</td>
                                                <td>
                                                    {audit_words::action(locale, &e.action).map(|w| view! { <span class="audit-action">{w}</span><br/> })}
                                                    <code class="muted">{e.action.clone()}</code>
                                                </td>
                                                <td>{audit_words::entity(locale, &e.entity)}" "<span class="muted" title=e.entity_id.clone()>{tail(&e.entity_id)}</span></td>
                                                <td class="audit-change">{change_view(locale, e.before_json.as_deref(), e.after_json.as_deref())}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                <div class="row">
                                    <button class="btn btn-secondary btn-sm" on:click=move |_| before.set(None)>{t.newest}</button>
                                    {oldest.filter(|s| *s > 1).map(|s| view! {
                                        <button class="btn btn-secondary btn-sm" on:click=move |_| before.set(Some(s))>{t.older}</button>
                                    })}
                                </div>
                            }.into_any()
                        })}
        </div>
    }
}

/// The last eight characters of an id: a UUIDv7 starts with its time, so its
/// head is the same for everything written in one moment.
fn tail(id: &str) -> String {
    let n = id.chars().count();
    id.chars().skip(n.saturating_sub(8)).collect()
}

/// An entry's change field by field: "name: value", or "name: before → after".
fn change_view(
    locale: crate::i18n::Locale,
    before: Option<&str>,
    after: Option<&str>,
) -> impl IntoView {
    let fields = audit_words::change(locale, before, after);
    view! {
        <dl class="audit-fields">
            {fields.into_iter().map(|f| {
                let value = match (f.before, f.after) {
                    (Some(b), Some(a)) => view! { <span class="muted">{b}</span>" → "{a} }.into_any(),
                    (Some(b), None) => view! { <s class="muted">{b}</s> }.into_any(),
                    (None, a) => a.unwrap_or_default().into_any(),
                };
                view! { <div>{(!f.label.is_empty()).then(|| view! { <dt>{f.label}{locale.pick("：", ":")}</dt> })}<dd>{value}</dd></div> }
            }).collect_view()}
        </dl>
    }
}
