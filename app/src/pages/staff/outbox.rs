//! The development SMS provider's outbox, for developers and tests.

use crate::components::awaited;
use crate::error::AppError;
use crate::format::datetime;
use crate::i18n::t;
use domain::view::SmsMessage;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::session;

#[server(prefix = "/api/fn", endpoint = "sms_outbox")]
pub async fn sms_outbox() -> Result<Vec<SmsMessage>, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services.sms().sms_outbox(&staff, 100).await?)
}

#[component]
pub fn OutboxPage() -> impl IntoView {
    let t = t();
    let data = Resource::new(|| (), |_| sms_outbox());
    view! {
        <div class="ws-panel">
            <div class="ws-panel-header"><h1 class="page-title">{t.outbox_title}</h1></div>
            <div class="alert alert-info">{t.outbox_note}</div>
            {awaited(data, super::LOGIN, move |items| view! {
                            <table class="table" data-testid="outbox-table">
                                <thead><tr><th>{t.col_time}</th><th>{t.col_phone}</th><th>{t.col_body}</th><th>{t.col_provider}</th><th>{t.col_status}</th></tr></thead>
                                <tbody>
                                    {items.into_iter().map(|m| view! {
                                        <tr data-testid="outbox-row">
                                            <td>{datetime(m.created_at)}</td>
                                            <td>{m.phone_masked}</td>
                                            <td>{m.body}</td>
                                            <td>{m.provider}</td>
                                            <td>{match m.status { domain::view::SmsStatus::Sent => t.sms_sent, domain::view::SmsStatus::Failed => t.sms_failed }}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any())}
        </div>
    }
}
