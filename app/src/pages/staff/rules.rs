//! The rule-set list (规则集): every version of every product and decision
//! stage in the user's bank, newest first, with its maker-checker state.

use crate::components::awaited;
use crate::error::AppError;
use crate::format::datetime;
use crate::i18n::{fill, t, use_locale};
use domain::rules::lifecycle::RuleSetStatus;
use domain::view::RuleSetSummary;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::session;

/// The rule-set versions in the user's scope, newest first per product and stage.
#[server(prefix = "/api/fn", endpoint = "rule_sets")]
pub async fn rule_sets() -> Result<Vec<RuleSetSummary>, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services.risk().list_rule_sets(&staff, None).await?)
}

/// The badge class of a rule-set status.
pub fn status_class(s: RuleSetStatus) -> String {
    format!("badge badge-rs-{}", s.as_str())
}

#[component]
pub fn RuleSetsPage() -> impl IntoView {
    let t = t();
    let locale = use_locale();
    let data = Resource::new(|| (), |_| rule_sets());
    view! {
        <div class="ws-panel">
            <div class="ws-panel-header">
                <h1 class="page-title">{t.rules_title}</h1>
                <span class="muted">{t.rules_sub}</span>
            </div>
            {awaited(data, super::LOGIN, move |items| {
                if items.is_empty() {
                    return view! { <div class="empty">{t.rs_none}</div> }.into_any();
                }
                view! {
                    <table class="table" data-testid="rule-set-table">
                        <thead><tr>
                            <th>{t.col_product}</th><th>{t.col_stage}</th><th>{t.col_version}</th>
                            <th>{t.col_status}</th><th>{t.col_author}</th><th>{t.col_approver}</th>
                            <th>{t.col_updated}</th><th>{t.col_published}</th><th>{t.col_action}</th>
                        </tr></thead>
                        <tbody>
                            {items.into_iter().map(|r| {
                                let href = format!("/staff/rules/{}", r.id);
                                view! {
                                    <tr data-testid="rule-set-row" data-status=r.status.as_str()>
                                        <td>{locale.pick(&r.product_name_zh, &r.product_name_en).to_string()}" "<span class="muted mono">{r.product_code.clone()}</span></td>
                                        <td>{t.decision_stage(r.stage)}</td>
                                        <td class="mono">{fill(t.decision_version, &[("v", r.version.to_string())])}</td>
                                        <td><span class=status_class(r.status)>{t.rule_set_status(r.status)}</span></td>
                                        <td>{r.author_name.clone()}</td>
                                        <td>{r.approver_name.clone().unwrap_or_default()}</td>
                                        <td>{datetime(r.updated_at)}</td>
                                        <td>{r.published_at.map(datetime).unwrap_or_default()}</td>
                                        <td><a class="btn btn-sm btn-secondary" href=href>{t.rs_open}</a></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            })}
        </div>
    }
}
