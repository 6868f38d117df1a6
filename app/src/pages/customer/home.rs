//! Home: the bank's products a customer may apply for.

use crate::components::customer_frame::{CustomerFrame, Tab};
use crate::components::{ErrorView, Loading};
use crate::error::AppError;
use crate::format::{compact, rate};
use crate::i18n::{fill, t, use_locale};
use domain::view::ProductView;
use leptos::prelude::*;
use leptos_meta::Meta;

#[cfg(feature = "ssr")]
use crate::session;

#[server(prefix = "/api/fn", endpoint = "products")]
pub async fn products() -> Result<Vec<ProductView>, AppError> {
    let services = session::services()?;
    // A signed-in customer sees only what they may apply for.
    match session::customer().await {
        Ok((_, c)) => Ok(services.products().offered_products(&c).await?),
        Err(e) if e.code == crate::error::ErrorCode::IdentityNotVerified => {
            // Signed up, not verified: their bank's products.
            let (_, me) = session::registrant().await?;
            crate::error::set_ok();
            Ok(services.products().list_products(Some(&me.bank_id)).await?)
        }
        Err(e) if e.signed_out_is_fine() => {
            // A visitor by an officer's link sees that officer's bank's.
            let bank = match session::referral_code() {
                Some(code) => services
                    .onboarding()
                    .referral(&code)
                    .await?
                    .map(|r| r.bank_id),
                None => None,
            };
            Ok(services.products().list_products(bank.as_deref()).await?)
        }
        Err(e) => Err(e),
    }
}

#[component]
pub fn HomePage() -> impl IntoView {
    let t = t();
    let locale = use_locale();
    let list = Resource::new(|| (), |_| products());
    view! {
        // The share card a WeChat chat shows for a forwarded link.
        <Meta name="description" content=t.share_desc />
        <Meta property="og:title" content=t.share_title />
        <Meta property="og:description" content=t.share_desc />
        <Meta property="og:image" content="/share-card.png" />
        <Meta property="og:type" content="website" />
        <CustomerFrame title=t.tab_home tab=Tab::Home>
            <section class="m-hero">
                <h1>{t.hero_title}</h1>
                <p>{t.hero_sub}</p>
            </section>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    // 关怀模式 shows no promotion: the list below is enough.
                    let elder = crate::large_font();
                    list.await.ok().filter(|items| !items.is_empty() && !elder).map(|items| view! {
                        <div class="m-carousel" role="region" aria-roledescription="carousel"
                            aria-label=t.products_title data-testid="product-carousel" tabindex="0">
                            {items.into_iter().map(|p| {
                                let apply = format!("/apply/{}", p.id);
                                view! {
                                    <a class="m-slide" href=apply aria-roledescription="slide">
                                        <span class="m-slide-name">{locale.pick(&p.name_zh, &p.name_en).to_string()}</span>
                                        <span class="m-slide-figure">
                                            {fill(t.carousel_up_to, &[("amount", compact(p.max_amount, locale))])}
                                        </span>
                                        <span class="m-slide-sub">{fill(t.carousel_rate, &[("rate", rate(p.rate))])}</span>
                                        <span class="m-slide-cta">{t.apply_now}" ›"</span>
                                    </a>
                                }
                            }).collect_view()}
                        </div>
                    })
                })}
            </Suspense>
            <h2 class="section-title">{t.products_title}</h2>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match list.await {
                        Err(e) => view! { <ErrorView error=e login=super::LOGIN /> }.into_any(),
                        Ok(items) if items.is_empty() => view! { <div class="empty">{t.no_products}</div> }.into_any(),
                        Ok(items) => items
                            .into_iter()
                            .map(|p| {
                                let href = format!("/products/{}", p.id);
                                let apply = format!("/apply/{}", p.id);
                                view! {
                                    <article class="m-product card" data-testid="product-card">
                                        <div class="row">
                                            <h3 class="m-product-name">{locale.pick(&p.name_zh, &p.name_en).to_string()}</h3>
                                            <span class="tag">{t.guarantee(p.guarantee_type)}</span>
                                        </div>
                                        <p class="muted">{locale.pick(&p.summary_zh, &p.summary_en).to_string()}</p>
                                        <div class="m-product-figures">
                                            <div class="fig">
                                                <div class="fig-value money">{compact(p.max_amount, locale)}</div>
                                                <div class="fig-label">{t.max_amount}" ("{t.yuan}")"</div>
                                            </div>
                                            <div class="fig">
                                                <div class="fig-value">{rate(p.rate)}</div>
                                                <div class="fig-label">{t.per_year}</div>
                                            </div>
                                            <div class="fig">
                                                <div class="fig-value">{fill(t.months_n, &[("n", p.max_term_months.to_string())])}</div>
                                                <div class="fig-label">{t.term_range}</div>
                                            </div>
                                        </div>
                                        <div class="row">
                                            <a class="btn btn-secondary" href=href>{t.view_detail}</a>
                                            <a class="btn btn-primary" href=apply>{t.apply_now}</a>
                                        </div>
                                    </article>
                                }
                            })
                            .collect_view()
                            .into_any(),
                    }
                })}
            </Suspense>
        </CustomerFrame>
    }
}
