//! The workbench frame: sidebar navigation by role, top bar, content.

use crate::api::logout;
use crate::components::{urlencode, ErrorView, LangSwitch, Loading};
use crate::error::AppError;
use crate::i18n::t;
use domain::org::Role;
use domain::view::StaffInfo;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Outlet, Redirect};
use leptos_router::hooks::use_location;

#[cfg(feature = "ssr")]
use crate::session;

#[server(prefix = "/api/fn", endpoint = "current_staff")]
pub async fn current_staff() -> Result<Option<StaffInfo>, AppError> {
    match session::staff_signed_in().await {
        Ok((services, actor)) => Ok(Some(services.sms().staff_info(&actor))),
        Err(err) if err.signed_out_is_fine() => Ok(None),
        Err(err) => Err(err),
    }
}

#[component]
pub fn StaffLayout() -> impl IntoView {
    let t = t();
    let me = Resource::new(|| (), |_| current_staff());
    view! {
        <Title text=t.staff_portal />
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match me.await {
                    Err(e) => view! { <ErrorView error=e login=super::LOGIN /> }.into_any(),
                    Ok(None) => {
                        let next = crate::components::current_url(false);
                        view! { <Redirect path=format!("{}?next={}", super::LOGIN, urlencode(&next)) /> }.into_any()
                    }
                    Ok(Some(staff)) if staff.must_change_password => {
                        view! { <super::password::ChangePasswordPage staff=staff /> }.into_any()
                    }
                    Ok(Some(staff)) if staff.totp_enrolment_required => {
                        view! { <super::security::TotpRequiredPage staff=staff /> }.into_any()
                    }
                    Ok(Some(staff)) => {
                        provide_context(staff.clone());
                        view! { <Workbench staff=staff /> }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn Workbench(staff: StaffInfo) -> impl IntoView {
    let t = t();
    let location = use_location();
    let item = move |href: &'static str, label: &'static str| {
        let class = move || {
            let path = location.pathname.get();
            let active = if href == "/staff" {
                path == "/staff" || path.starts_with("/staff/applications")
            } else {
                path.starts_with(href)
            };
            if active {
                "ws-nav-item active"
            } else {
                "ws-nav-item"
            }
        };
        view! { <a class=class href=href>{label}</a> }
    };
    let can_audit =
        staff.has(Role::Admin) || staff.has(Role::BranchHead) || staff.has(Role::RiskManager);
    let manager = staff.is_manager();
    let admin = staff.has(Role::Admin);
    let heads = staff.has(Role::BranchHead) || staff.has(Role::Admin);
    let rules = staff.has(Role::RiskManager) || staff.has(Role::Admin);
    let templates = staff.has(Role::ProductManager) || staff.has(Role::Admin);
    // Those who work on lines: grant, review, freeze (and officers, who read them).
    let lines = [
        Role::Officer,
        Role::Approver,
        Role::BranchHead,
        Role::RiskManager,
    ]
    .iter()
    .any(|r| staff.has(*r));
    let precredit = [
        Role::Officer,
        Role::BranchHead,
        Role::RiskManager,
        Role::Admin,
    ]
    .iter()
    .any(|r| staff.has(*r));
    let roles = staff
        .roles
        .iter()
        .map(|r| t.role(*r))
        .collect::<Vec<_>>()
        .join(" · ");
    let sign_out = Action::new(move |_: &()| async move {
        let result = logout().await;
        if result.is_ok() {
            if let Some(w) = web_sys::window() {
                let _ = w.location().set_href(super::LOGIN);
            }
        }
        result
    });
    view! {
        <div class="ws">
            <aside class="ws-sidebar">
                <div class="ws-brand">{t.app_name}</div>
                <nav class="ws-nav">
                    <div class="ws-nav-section">{t.nav_work}</div>
                    {item("/staff", t.nav_tasks)}
                    {precredit.then(|| item("/staff/precredit", t.nav_precredit))}
                    {item("/staff/products", t.nav_products)}
                    {templates.then(|| item("/staff/contract-templates", t.nav_contract_templates))}
                    {heads.then(|| item("/staff/escalations", t.nav_escalations))}
                    {lines.then(|| item("/staff/lines", t.nav_lines))}
                    {item("/staff/relations", t.nav_relations)}
                    {(manager || admin).then(|| view! {
                        <div class="ws-nav-section">{t.nav_manage}</div>
                        {manager.then(|| item("/staff/dashboard", t.nav_dashboard))}
                        {item("/staff/eod", t.nav_eod)}
                    })}
                    {rules.then(|| view! {
                        <div class="ws-nav-section">{t.nav_risk}</div>
                        {item("/staff/rules", t.nav_rules)}
                    })}
                    {can_audit.then(|| view! {
                        <div class="ws-nav-section">{t.nav_system}</div>
                        {item("/staff/audit", t.nav_audit)}
                        {staff.sms_outbox.then(|| item("/staff/outbox", t.nav_outbox))}
                    })}
                    {item("/staff/security", t.nav_security)}
                    <a class="ws-nav-item" href="/verify" rel="external">{t.ct_verify_link}</a>
                    <a class="ws-nav-item" href="/" rel="external">{t.customer_site}</a>
                </nav>
            </aside>
            <main class="ws-main">
                <header class="ws-topbar">
                    <div>{t.staff_portal}</div>
                    <div class="ws-actions">
                        <div class="ws-user">
                            <span data-testid="staff-name">{staff.display_name.clone()}</span>
                            <span class="muted">{staff.org_name.clone()}" · "{roles}</span>
                        </div>
                        <LangSwitch />
                        <button class="btn btn-sm btn-secondary" on:click=move |_| { sign_out.dispatch(()); }>{t.logout}</button>
                    </div>
                </header>
                <Outlet />
            </main>
        </div>
    }
}
