//! 我的推广码: an account officer's referral code (码上营销) as a QR code
//! to show a farmer or print on a poster, and its link. Whoever arrives by
//! it is the officer's: their sign-up and applications carry the code.

use crate::error::AppError;
use crate::i18n::t;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::session;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralCard {
    pub code: String,
    pub link: String,
    /// The link as a QR code (an SVG data URL).
    pub qr_image: String,
}

/// The signed-in officer's card; None for anyone who is not an officer.
#[server(prefix = "/api/fn", endpoint = "my_referral")]
pub async fn my_referral() -> Result<Option<ReferralCard>, AppError> {
    let (services, staff) = session::staff().await?;
    if !staff.has(domain::org::Role::Officer) || staff.bank_id.is_none() {
        return Ok(None);
    }
    let code = services.onboarding().my_referral_code(&staff).await?;
    // The address the officer reached us by is the one customers can too.
    let host = use_context::<http::request::Parts>()
        .and_then(|p| {
            p.headers
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok().map(str::to_string))
        })
        .unwrap_or_else(|| "localhost".into());
    let scheme = if services.config.demo {
        "http"
    } else {
        "https"
    };
    let link = format!("{scheme}://{host}/r/{code}");
    let qr_image = super::security::qr_image(&link)?;
    Ok(Some(ReferralCard {
        code,
        link,
        qr_image,
    }))
}

/// The officer's card, folded under its code until opened.
#[component]
pub fn MyReferral() -> impl IntoView {
    let t = t();
    let card = Resource::new(|| (), |_| my_referral());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                card.await.ok().flatten().map(|c| view! {
                    <details class="card referral-card" data-testid="my-referral">
                        <summary>
                            <strong>{t.my_referral_title}</strong>" "
                            <span class="mono" data-testid="referral-code">{c.code.clone()}</span>
                        </summary>
                        <div class="referral-body">
                            <img src=c.qr_image.clone() width="200" height="200" alt=t.my_referral_title />
                            <div class="stack">
                                <p class="muted">{t.my_referral_sub}</p>
                                <p>{t.my_referral_link}": "<a class="mono" href=c.link.clone() data-testid="referral-link">{c.link.clone()}</a></p>
                            </div>
                        </div>
                    </details>
                })
            })}
        </Suspense>
    }
}
