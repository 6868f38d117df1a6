//! 额度管理: credit lines for staff. The page lists the lines of the user's
//! scope (those with an increase waiting for review first); the customer's
//! portrait shows theirs with their pre-credit offers and the grant form.
//! Each line card freezes, unfreezes, adjusts (a lower limit at once, a
//! higher one proposed with its reason for someone else to approve) and
//! cancels; every right is decided on the server.

use crate::components::{after_action, load_on_refresh, FormError};
use crate::error::AppError;
use crate::format::money;
use crate::i18n::{fill, t, use_locale};
use domain::servicing::credit_line::{LineKind, LineStatus, RenewalOutcome};
use domain::view::{CreditLineView, CreditOfferView};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::error::ErrorCode;
#[cfg(feature = "ssr")]
use crate::session;

/// The longest reason or comment the server reads (bytes; the service keeps
/// at most 200 characters).
#[cfg(feature = "ssr")]
const MAX_TEXT_BYTES: usize = 1_000;

/// What the user may do to lines: act (freeze, adjust, cancel, review an
/// increase) and grant; `me` hides the review of one's own proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineRights {
    pub act: bool,
    pub grant: bool,
    /// May hand a line to another officer (branch heads).
    pub transfer: bool,
    pub me: String,
}

#[cfg(feature = "ssr")]
fn rights_of(s: &service::auth::StaffActor) -> LineRights {
    use domain::org::Role;
    LineRights {
        act: s.has_any(&[Role::Approver, Role::RiskManager, Role::BranchHead]),
        grant: s.has(Role::Approver),
        transfer: s.has_any(&[Role::BranchHead, Role::Admin]),
        me: s.user_id.clone(),
    }
}

/// A customer's lines and offers, with the products a line may be granted on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinesOfCustomer {
    pub lines: Vec<CreditLineView>,
    pub offers: Vec<CreditOfferView>,
    /// (id, Chinese name, English name)
    pub products: Vec<(String, String, String)>,
    pub rights: LineRights,
}

#[server(prefix = "/api/fn", endpoint = "staff_lines")]
pub async fn staff_lines() -> Result<(Vec<CreditLineView>, LineRights), AppError> {
    let (services, staff) = session::staff().await?;
    let lines = services.servicing().lines_in_scope(&staff).await?;
    Ok((lines, rights_of(&staff)))
}

#[server(prefix = "/api/fn", endpoint = "customer_lines")]
pub async fn customer_lines(customer_id: String) -> Result<LinesOfCustomer, AppError> {
    let (services, staff) = session::staff().await?;
    let lines = services
        .servicing()
        .lines_of_customer(&staff, &customer_id)
        .await?;
    let offers = services
        .precredit()
        .offers_of_customer(&staff, &customer_id)
        .await?;
    let products = services
        .products()
        .list_products(staff.bank_id.as_deref())
        .await?
        .into_iter()
        .map(|p| (p.id.to_string(), p.name_zh, p.name_en))
        .collect();
    Ok(LinesOfCustomer {
        lines,
        offers,
        products,
        rights: rights_of(&staff),
    })
}

#[server(prefix = "/api/fn", endpoint = "grant_credit_line")]
pub async fn grant_credit_line(
    customer_id: String,
    product_id: String,
    revolving: bool,
    limit: String,
    expires_on: String,
) -> Result<(), AppError> {
    let (services, staff) = session::staff().await?;
    let limit = domain::money::Fen::parse_yuan(&limit).map_err(|e| AppError::invalid(e.code()))?;
    let expires_on = domain::date::Date::parse(expires_on.trim())
        .map_err(|_| AppError::invalid(ErrorCode::DateInvalid))?;
    let kind = if revolving {
        LineKind::Revolving
    } else {
        LineKind::OneOff
    };
    services
        .servicing()
        .grant_line(&staff, &customer_id, &product_id, kind, limit, expires_on)
        .await?;
    Ok(())
}

/// Freeze, unfreeze or cancel a line ("freeze", "unfreeze", "cancel").
#[server(prefix = "/api/fn", endpoint = "credit_line_action")]
pub async fn credit_line_action(
    line_id: String,
    version: i64,
    action: String,
) -> Result<(), AppError> {
    use service::servicing::lines::LineAction;
    let (services, staff) = session::staff().await?;
    let action = match action.as_str() {
        "freeze" => LineAction::Freeze,
        "unfreeze" => LineAction::Unfreeze,
        "cancel" => LineAction::Cancel,
        _ => return Err(AppError::invalid(ErrorCode::InvalidStep)),
    };
    services
        .servicing()
        .line_action(&staff, &line_id, version, action)
        .await?;
    Ok(())
}

/// A new limit: applied at once when lower; proposed for review when higher
/// (returns `true`).
#[server(prefix = "/api/fn", endpoint = "adjust_credit_line")]
pub async fn adjust_credit_line(
    line_id: String,
    version: i64,
    limit: String,
    reason: String,
) -> Result<bool, AppError> {
    use service::servicing::lines::LineChange;
    if reason.len() > MAX_TEXT_BYTES {
        return Err(AppError::invalid(ErrorCode::CommentTooLong).with("max", "200"));
    }
    let (services, staff) = session::staff().await?;
    let limit = domain::money::Fen::parse_yuan(&limit).map_err(|e| AppError::invalid(e.code()))?;
    let change = services
        .servicing()
        .adjust_line_limit(&staff, &line_id, version, limit, &reason)
        .await?;
    Ok(matches!(change, LineChange::Proposed(_)))
}

/// The officers a line may be handed to: (id, name, branch).
#[server(prefix = "/api/fn", endpoint = "line_transfer_options")]
pub async fn line_transfer_options(
    line_id: String,
) -> Result<Vec<(String, String, String)>, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services
        .servicing()
        .line_transfer_options(&staff, &line_id)
        .await?)
}

/// Hands a line to another account officer (转移管户).
#[server(prefix = "/api/fn", endpoint = "transfer_credit_line")]
pub async fn transfer_credit_line(
    line_id: String,
    version: i64,
    to_officer_id: String,
) -> Result<(), AppError> {
    use service::servicing::lines::LineAction;
    let (services, staff) = session::staff().await?;
    if to_officer_id.trim().is_empty() {
        return Err(AppError::invalid(ErrorCode::OfficerUnknown));
    }
    services
        .servicing()
        .line_action(
            &staff,
            &line_id,
            version,
            LineAction::Transfer { to_officer_id },
        )
        .await?;
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "decide_credit_line_increase")]
pub async fn decide_credit_line_increase(
    increase_id: String,
    approve: bool,
    comment: String,
) -> Result<(), AppError> {
    if comment.len() > MAX_TEXT_BYTES {
        return Err(AppError::invalid(ErrorCode::CommentTooLong).with("max", "200"));
    }
    let (services, staff) = session::staff().await?;
    services
        .servicing()
        .decide_line_increase(&staff, &increase_id, approve, &comment)
        .await?;
    Ok(())
}

fn status_tone(s: LineStatus) -> &'static str {
    match s {
        LineStatus::Active => "badge badge-approved",
        LineStatus::Frozen => "badge badge-investigated",
        LineStatus::Cancelled | LineStatus::Expired => "badge badge-withdrawn",
    }
}

/// One line: its figures, its waiting increase, and the actions the user
/// may take. `refresh` moves after every change.
#[component]
pub fn LineCard(
    line: CreditLineView,
    rights: LineRights,
    refresh: RwSignal<u32>,
    /// What the last action did, shown above the cards (they reload).
    notice: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let t = t();
    let locale = use_locale();
    let error = RwSignal::new(None::<AppError>);
    let (id, version) = (line.id.to_string(), line.version);
    let open = !matches!(line.status, LineStatus::Cancelled | LineStatus::Expired);

    let act = {
        let id = id.clone();
        Action::new(move |what: &String| {
            let (id, what) = (id.clone(), what.clone());
            async move { credit_line_action(id, version, what).await }
        })
    };
    after_action(act, error, refresh, notice, t.ln_done);
    let adjusting = RwSignal::new(false);
    let (limit, reason) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let adjust = {
        let id = id.clone();
        Action::new(move |_: &()| {
            let id = id.clone();
            let (l, r) = (limit.get_untracked(), reason.get_untracked());
            async move { adjust_credit_line(id, version, l, r).await }
        })
    };
    after_action(adjust, error, refresh, RwSignal::new(None), t.ln_done);
    // After the refresh the cards are new: the page says what happened.
    Effect::new(move |_| {
        if let Some(Ok(proposed)) = adjust.value().get() {
            notice.set(Some(if proposed {
                t.ln_proposed
            } else {
                t.ln_adjusted
            }));
        }
    });

    let pending = line.pending_increase.clone().map(|p| {
        let mine = p.proposed_by.as_str() == rights.me;
        let comment = RwSignal::new(String::new());
        let decide = {
            let pid = p.id.clone();
            Action::new(move |approve: &bool| {
                let (pid, approve, c) = (pid.clone(), *approve, comment.get_untracked());
                async move { decide_credit_line_increase(pid, approve, c).await }
            })
        };
        after_action(decide, error, refresh, notice, t.ln_decided);
        let review = (rights.act && !mine).then(|| view! {
            <div class="row">
                <input class="input" data-testid="ln-review-comment" placeholder=t.ln_comment maxlength="200"
                    prop:value=move || comment.get() on:input=move |ev| comment.set(event_target_value(&ev)) />
                <button type="button" class="btn btn-primary btn-sm" data-testid="ln-approve"
                    disabled=move || decide.pending().get()
                    on:click=move |_| { error.set(None); decide.dispatch(true); }>{t.ln_approve}</button>
                <button type="button" class="btn btn-secondary btn-sm" data-testid="ln-refuse"
                    disabled=move || decide.pending().get()
                    on:click=move |_| { error.set(None); decide.dispatch(false); }>{t.ln_refuse}</button>
            </div>
        });
        view! {
            <div class="alert alert-info stack" data-testid="ln-pending">
                <div>{fill(t.ln_pending, &[
                    ("from", money(p.from)), ("to", money(p.to)),
                    ("name", p.proposed_by_name.clone()), ("reason", p.reason.clone()),
                ])}</div>
                {mine.then(|| view! { <div class="muted">{t.ln_wait_other}</div> })}
                {review}
            </div>
        }
    });

    let actions = (rights.act && open).then(|| {
        let frozen = line.status == LineStatus::Frozen;
        let simple = move |what: &'static str, label: &'static str, testid: &'static str| {
            view! {
                <button type="button" class="btn btn-secondary btn-sm" data-testid=testid
                    disabled=move || act.pending().get()
                    on:click=move |_| { error.set(None); act.dispatch(what.to_string()); }>{label}</button>
            }
        };
        view! {
            <div class="row">
                {if frozen { simple("unfreeze", t.ln_unfreeze, "ln-unfreeze") } else { simple("freeze", t.ln_freeze, "ln-freeze") }}
                <button type="button" class="btn btn-secondary btn-sm" data-testid="ln-adjust"
                    on:click=move |_| adjusting.update(|a| *a = !*a)>{t.ln_adjust}</button>
                {simple("cancel", t.ln_cancel, "ln-cancel")}
            </div>
            <Show when=move || adjusting.get()>
                <form class="form ln-adjust" data-testid="ln-adjust-form"
                    on:submit=move |ev| { ev.prevent_default(); error.set(None); adjust.dispatch(()); }>
                    <label class="field">
                        <span>{t.ln_new_limit}</span>
                        <input class="input" data-testid="ln-new-limit" inputmode="decimal"
                            prop:value=move || limit.get() on:input=move |ev| limit.set(event_target_value(&ev)) />
                    </label>
                    <label class="field">
                        <span>{t.ln_reason}</span>
                        <input class="input" data-testid="ln-reason" maxlength="200" placeholder=t.ln_reason_hint
                            prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev)) />
                    </label>
                    <button type="submit" class="btn btn-primary btn-sm" data-testid="ln-adjust-save"
                        disabled=move || adjust.pending().get()>{t.ln_adjust_save}</button>
                </form>
            </Show>
        }
    });
    let transfer = (rights.transfer && open).then(|| {
        let choosing = RwSignal::new(false);
        let to = RwSignal::new(String::new());
        let options = {
            let id = id.clone();
            Action::new(move |_: &()| {
                let id = id.clone();
                async move { line_transfer_options(id).await }
            })
        };
        let send = {
            let id = id.clone();
            Action::new(move |_: &()| {
                let (id, to) = (id.clone(), to.get_untracked());
                async move { transfer_credit_line(id, version, to).await }
            })
        };
        after_action(send, error, refresh, notice, t.ln_transferred);
        view! {
            <div class="row">
                <button type="button" class="btn btn-link btn-sm" data-testid="ln-transfer"
                    on:click=move |_| { choosing.set(true); options.dispatch(()); }>{t.ln_transfer}</button>
                {move || choosing.get().then(|| match options.value().get() {
                    None => view! { <span class="muted">{t.loading}</span> }.into_any(),
                    Some(Err(e)) => view! { <span class="alert alert-error" role="alert">{e.message(t)}</span> }.into_any(),
                    Some(Ok(list)) => view! {
                        <select class="input" data-testid="ln-transfer-to" on:change=move |ev| to.set(event_target_value(&ev))>
                            <option value="">{t.ln_transfer_choose}</option>
                            {list.into_iter().map(|(sid, name, branch)| view! { <option value=sid>{format!("{name}（{branch}）")}</option> }).collect_view()}
                        </select>
                        <button type="button" class="btn btn-secondary btn-sm" data-testid="ln-transfer-save"
                            disabled=move || send.pending().get()
                            on:click=move |_| { error.set(None); send.dispatch(()); }>{t.ln_transfer_save}</button>
                    }.into_any(),
                })}
            </div>
        }
    });
    // 续授信: what the batch decided at the line's last expiry.
    let renewal = line.last_renewal.clone().map(|r| {
        let date = ("date", r.business_date.to_string());
        let (text, tone) = match (r.outcome, r.limit_after, r.expires_after) {
            (RenewalOutcome::Renewed, Some(to), Some(until)) => (
                fill(
                    t.ln_renewed,
                    &[
                        date,
                        ("from", money(r.limit_before)),
                        ("to", money(to)),
                        ("until", until.to_string()),
                    ],
                ),
                "alert alert-success stack",
            ),
            (RenewalOutcome::Referred, _, _) => (
                fill(t.ln_renewal_referred, &[date]),
                "alert alert-info stack",
            ),
            _ => (
                fill(t.ln_renewal_declined, &[date]),
                "alert alert-info stack",
            ),
        };
        let grade = r.grade.clone().map(|g| {
            fill(
                t.ln_renewal_grade,
                &[
                    ("grade", g),
                    ("score", r.score.map(|s| s.to_string()).unwrap_or_default()),
                    (
                        "v",
                        r.rule_set_version
                            .map(|v| v.to_string())
                            .unwrap_or_default(),
                    ),
                ],
            )
        });
        let reasons: Vec<String> = r
            .reasons
            .iter()
            .map(|(zh, en)| locale.pick(zh, en).to_string())
            .collect();
        view! {
            <div class=tone data-testid="ln-renewal" data-outcome=r.outcome.as_str()>
                <div>{text}</div>
                {grade.map(|g| view! { <div class="muted">{g}</div> })}
                {(!reasons.is_empty()).then(|| view! {
                    <div class="muted" data-testid="ln-renewal-reasons">{reasons.join("；")}</div>
                })}
            </div>
        }
    });
    let kind = match line.kind {
        LineKind::Revolving => t.line_revolving,
        LineKind::OneOff => t.line_one_off,
    };
    view! {
        <article class="ws-panel ln-card" data-testid="line-card" data-status=line.status.as_str()>
            <div class="ws-panel-header">
                <h3 class="section-title">{locale.pick(&line.product_name_zh, &line.product_name_en).to_string()}</h3>
                <span class="tag">{kind}</span>
                <span class=status_tone(line.status)>{t.line_status(line.status)}</span>
                <span class="muted">{line.customer_name.clone()}" · "{fill(t.ln_officer, &[("name", line.officer_name.clone())])}</span>
            </div>
            <dl class="kv ln-figures">
                <dt>{t.line_limit}</dt><dd class="money" data-testid="ln-limit">{money(line.limit)}</dd>
                <dt>{t.line_used}</dt><dd class="money">{money(line.used)}</dd>
                <dt>{t.line_available}</dt><dd class="money" data-testid="ln-available">{money(line.available)}</dd>
                <dt>{t.ln_outstanding}</dt><dd class="money">{money(line.outstanding)}</dd>
                <dt>{t.line_expires}</dt><dd>{line.expires_on.to_string()}</dd>
            </dl>
            {renewal}
            {pending}
            {actions}
            {transfer}
            <FormError error=error />
        </article>
    }
}

/// 额度管理: every line of the user's scope.
#[component]
pub fn LinesPage() -> impl IntoView {
    let t = t();
    let refresh = RwSignal::new(0u32);
    let notice = RwSignal::new(None::<&'static str>);
    let data = load_on_refresh(refresh, staff_lines);
    view! {
        <div class="stack" data-testid="lines-page">
            <div class="ws-toolbar">
                <h1 class="page-title">{t.ln_title}</h1>
                <span class="muted">{t.ln_sub}</span>
            </div>
            {move || notice.get().map(|n| view! { <p class="alert alert-success" role="status">{n}</p> })}
            {move || data.get().map(|r| match r {
                Ok((lines, rights)) if lines.is_empty() => {
                    let _ = rights;
                    view! { <p class="muted">{t.ln_none}</p> }.into_any()
                }
                Ok((lines, rights)) => view! {
                    <div class="ln-grid">
                        {lines.into_iter().map(|l| view! { <LineCard line=l rights=rights.clone() refresh=refresh notice=notice /> }).collect_view()}
                    </div>
                }.into_any(),
                Err(e) => view! { <div class="alert alert-error" role="alert">{e.message(t)}</div> }.into_any(),
            })}
        </div>
    }
}

/// The customer's lines and offers on their portrait, with the grant form
/// for approvers.
#[component]
pub fn CustomerLinesPanel(customer_id: String) -> impl IntoView {
    let t = t();
    let refresh = RwSignal::new(0u32);
    let notice = RwSignal::new(None::<&'static str>);
    let id = StoredValue::new(customer_id);
    let data = load_on_refresh(refresh, move || customer_lines(id.get_value()));
    move || {
        data.get().map(|r| match r {
            Ok(d) => {
                view! { <LinesBody d=d customer_id=id.get_value() refresh=refresh notice=notice /> }
                    .into_any()
            }
            Err(e) => view! { <div class="alert alert-error" role="alert">{e.message(t)}</div> }
                .into_any(),
        })
    }
}

#[component]
fn LinesBody(
    d: LinesOfCustomer,
    customer_id: String,
    refresh: RwSignal<u32>,
    notice: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let t = t();
    let locale = use_locale();
    let offers = (!d.offers.is_empty()).then(|| {
        view! {
            <h3 class="section-title">{t.ln_offers}</h3>
            <ul class="ln-offers" data-testid="ln-offers">
                {d.offers.iter().map(|o| view! {
                    <li>
                        {locale.pick(&o.product_name_zh, &o.product_name_en).to_string()}" · "
                        <span class="money">{money(o.limit)}</span>" "{t.yuan}" · "
                        {t.offer_status(&o.status)}" · "{fill(t.offer_line_months, &[("n", o.line_months.to_string())])}
                    </li>
                }).collect_view()}
            </ul>
        }
    });
    let grant = d.rights.grant.then(|| {
        let product = RwSignal::new(d.products.first().map(|p| p.0.clone()).unwrap_or_default());
        let revolving = RwSignal::new(true);
        let limit = RwSignal::new(String::new());
        let expires = RwSignal::new(String::new());
        let error = RwSignal::new(None::<AppError>);
        let cid = customer_id.clone();
        let save = Action::new(move |_: &()| {
            let args = (
                cid.clone(),
                product.get_untracked(),
                revolving.get_untracked(),
                limit.get_untracked(),
                expires.get_untracked(),
            );
            async move { grant_credit_line(args.0, args.1, args.2, args.3, args.4).await }
        });
        after_action(save, error, refresh, notice, t.ln_granted);
        view! {
            <form class="form ln-grant" data-testid="ln-grant"
                on:submit=move |ev| { ev.prevent_default(); error.set(None); save.dispatch(()); }>
                <h3 class="section-title">{t.ln_grant}</h3>
                <label class="field">
                    <span>{t.col_product}</span>
                    <select class="input" data-testid="ln-product" on:change=move |ev| product.set(event_target_value(&ev))>
                        {d.products.iter().map(|(pid, zh, en)| view! { <option value=pid.clone()>{locale.pick(zh, en).to_string()}</option> }).collect_view()}
                    </select>
                </label>
                <label class="field">
                    <span>{t.line_limit}</span>
                    <input class="input" data-testid="ln-grant-limit" inputmode="decimal"
                        prop:value=move || limit.get() on:input=move |ev| limit.set(event_target_value(&ev)) />
                </label>
                <label class="field">
                    <span>{t.line_expires}</span>
                    <input class="input" type="date" data-testid="ln-grant-expires"
                        prop:value=move || expires.get() on:input=move |ev| expires.set(event_target_value(&ev)) />
                </label>
                <label class="checkbox">
                    <input type="checkbox" prop:checked=move || revolving.get()
                        on:change=move |ev| revolving.set(event_target_checked(&ev)) />
                    <span>{t.line_revolving}</span>
                </label>
                <button type="submit" class="btn btn-primary btn-sm" data-testid="ln-grant-save"
                    disabled=move || save.pending().get()>{t.ln_grant_save}</button>
                <FormError error=error />
            </form>
        }
    });
    let rights = d.rights.clone();
    view! {
        <section class="ws-panel" data-testid="customer-lines">
            <div class="ws-panel-header"><h2 class="section-title">{t.ln_title}</h2></div>
            {move || notice.get().map(|n| view! { <p class="alert alert-success" role="status">{n}</p> })}
            {d.lines.is_empty().then(|| view! { <p class="muted">{t.ln_none}</p> })}
            <div class="ln-grid">
                {d.lines.into_iter().map(|l| view! { <LineCard line=l rights=rights.clone() refresh=refresh notice=notice /> }).collect_view()}
            </div>
            {offers}
            {grant}
        </section>
    }
}
