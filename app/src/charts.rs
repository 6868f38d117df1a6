//! ECharts options for the dashboard, built with charming on the server.
//! The browser only draws them (public/charts.js), so no chart code ships in
//! the WebAssembly.

use crate::i18n::Texts;
use charming::component::{Axis, Grid, Legend, Title};
use charming::element::{AxisType, Tooltip, Trigger};
use charming::series::{Bar, Pie};
use charming::Chart;
use domain::view::Dashboard;

/// Returns (applications by status, applications per day) as JSON options.
pub fn dashboard_options(data: &Dashboard, t: &Texts) -> (String, String) {
    let status = Chart::new()
        .tooltip(Tooltip::new().trigger(Trigger::Item))
        .legend(Legend::new().bottom("0"))
        .series(
            Pie::new()
                .name(t.chart_by_status)
                .radius(vec!["45%", "70%"])
                .center(vec!["50%", "45%"])
                .data(
                    data.by_status
                        .iter()
                        .map(|(s, n)| (*n as f64, t.status(*s)))
                        .collect::<Vec<_>>(),
                ),
        );
    let days: Vec<String> = data
        .per_day
        .iter()
        .map(|(d, _)| format!("{:02}-{:02}", d.month(), d.day()))
        .collect();
    let counts: Vec<i64> = data.per_day.iter().map(|(_, n)| *n).collect();
    let daily = Chart::new()
        .title(Title::new().show(false))
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .grid(Grid::new().left("40").right("16").top("24").bottom("32"))
        .x_axis(Axis::new().type_(AxisType::Category).data(days))
        .y_axis(Axis::new().type_(AxisType::Value).min_interval(1))
        .series(Bar::new().name(t.chart_series_applications).data(counts));
    (
        serde_json::to_string(&status).unwrap_or_default(),
        serde_json::to_string(&daily).unwrap_or_default(),
    )
}
