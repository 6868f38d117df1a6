//! The manager's dashboard. Figures and chart options come from the server;
//! public/charts.js draws the charts with ECharts served from our origin.

use crate::components::awaited;
use crate::error::AppError;
use crate::format::money;
use crate::i18n::{t, use_locale};
use domain::view::Dashboard;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::session;

/// The dashboard figures and the ECharts options (JSON) built on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardPage {
    pub data: Dashboard,
    pub status_chart: String,
    pub daily_chart: String,
}

#[server(prefix = "/api/fn", endpoint = "dashboard")]
pub async fn load_dashboard(locale: crate::i18n::Locale) -> Result<DashboardPage, AppError> {
    let (services, staff) = session::staff().await?;
    let data = services.dashboard(&staff, 30).await?;
    let (status_chart, daily_chart) = crate::charts::dashboard_options(&data, locale.texts());
    Ok(DashboardPage {
        data,
        status_chart,
        daily_chart,
    })
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    let t = t();
    let locale = use_locale();
    let data = Resource::new(move || locale, load_dashboard);
    view! {
        // Parser-inserted when the page is rendered on the server: it runs
        // only with the page's nonce (see `content_security_policy`).
        <script src="/charts.js" defer nonce=leptos::nonce::use_nonce()></script>
        <h1 class="page-title">{t.dashboard_title}</h1>
        {awaited(data, super::LOGIN, move |page| {
                        let d = page.data;
                        let rate = format!("{}.{}%", d.approval_rate_permille / 10, d.approval_rate_permille % 10);
                        view! {
                            <div class="ws-stats" data-testid="kpis">
                                <div class="stat"><div class="stat-value">{d.total_applications}</div><div class="stat-label">{t.kpi_applications}</div></div>
                                <div class="stat"><div class="stat-value">{d.active_loans}</div><div class="stat-label">{t.kpi_active_loans}</div></div>
                                <div class="stat"><div class="stat-value money">{money(d.outstanding)}</div><div class="stat-label">{t.kpi_outstanding}</div></div>
                                <div class="stat"><div class="stat-value">{rate}</div><div class="stat-label">{t.kpi_approval_rate}</div></div>
                            </div>
                            <div class="grid-2">
                                <section class="ws-panel">
                                    <div class="ws-panel-header"><h2 class="section-title">{t.chart_by_status}</h2></div>
                                    <div class="chart" data-testid="chart-status" data-echarts=page.status_chart></div>
                                    <table class="table sr-only">
                                        <tbody>
                                            {d.by_status.iter().map(|(s, n)| view! { <tr><td>{t.status(*s)}</td><td>{*n}</td></tr> }).collect_view()}
                                        </tbody>
                                    </table>
                                </section>
                                <section class="ws-panel">
                                    <div class="ws-panel-header"><h2 class="section-title">{t.chart_per_day}</h2></div>
                                    <div class="chart" data-testid="chart-daily" data-echarts=page.daily_chart></div>
                                </section>
                            </div>
                        }.into_any()
                    })}
    }
}
