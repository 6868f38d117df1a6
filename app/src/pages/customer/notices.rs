//! 消息: what the bank told the customer as their applications moved,
//! newest first; opening the page reads them.

use crate::components::awaited;
use crate::components::customer_frame::{CustomerFrame, Tab};
use crate::error::AppError;
use crate::format::{datetime, money, rate};
use crate::i18n::{fill, t, use_locale, Texts};
use domain::notice::NoticeKind;
use domain::view::CustomerNotice;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::session;

/// The customer's notices as they stood, then all of them marked read.
#[server(prefix = "/api/fn", endpoint = "my_notices")]
pub async fn my_notices() -> Result<Vec<CustomerNotice>, AppError> {
    let (services, customer) = session::customer().await?;
    let notices = services.notices().my_notices(&customer).await?;
    services.notices().mark_notices_read(&customer).await?;
    Ok(notices)
}

/// A notice's words in the page's locale.
fn body(t: &Texts, product: &str, n: &CustomerNotice) -> String {
    let params = |extra: Vec<(&'static str, String)>| {
        let mut p = vec![
            ("product", product.to_string()),
            ("amount", money(n.amount)),
        ];
        p.extend(extra);
        p
    };
    match n.kind {
        NoticeKind::Submitted => fill(t.notice_submitted_body, &params(vec![])),
        NoticeKind::Investigated => fill(t.notice_investigated_body, &params(vec![])),
        NoticeKind::Approved => fill(
            t.notice_approved_body,
            &params(vec![
                ("n", n.term_months.to_string()),
                ("rate", n.rate.map(rate).unwrap_or_default()),
            ]),
        ),
        NoticeKind::Rejected => {
            let (reason, advice) = n
                .decline
                .map(|c| t.decline(c))
                .unwrap_or((t.decision_generic, t.decision_generic_advice));
            format!("{product}：{reason}。{advice}")
        }
        NoticeKind::Withdrawn => fill(t.notice_withdrawn_body, &params(vec![])),
        NoticeKind::PaidOut => fill(t.notice_paid_out_body, &params(vec![])),
        NoticeKind::VisitConfirmed => fill(
            t.notice_visit_confirmed_body,
            &params(vec![("time", n.visit_at.map(datetime).unwrap_or_default())]),
        ),
        NoticeKind::VisitProposed => fill(
            t.notice_visit_proposed_body,
            &params(vec![("time", n.visit_at.map(datetime).unwrap_or_default())]),
        ),
    }
}

#[component]
pub fn NoticesPage() -> impl IntoView {
    let t = t();
    let locale = use_locale();
    let data = Resource::new(|| (), |_| my_notices());
    view! {
        <CustomerFrame title=t.notices_title tab=Tab::Me back="/account">
            <h1 class="page-title">{t.notices_title}</h1>
            {awaited(data, super::LOGIN, move |list| {
                if list.is_empty() {
                    return view! { <div class="empty">{t.notices_none}</div> }.into_any();
                }
                view! {
                    <ul class="m-notices" data-testid="notices">
                        {list.into_iter().map(|n| {
                            let product = locale.pick(&n.product_name_zh, &n.product_name_en).to_string();
                            let text = body(t, &product, &n);
                            let href = format!("/me/applications/{}", n.application_id);
                            view! {
                                <li class="card m-notice" class:unread=!n.read data-testid="notice" data-kind=n.kind.as_str()>
                                    <a href=href>
                                        <div class="row">
                                            <strong>{t.notice_title(n.kind)}</strong>
                                            <time class="muted">{datetime(n.at)}</time>
                                        </div>
                                        <p>{text}</p>
                                    </a>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            })}
        </CustomerFrame>
    }
}
