//! `puhui init`, `puhui org add` and `puhui staff …`: the operator's
//! commands for the organisation tree and staff accounts. They need the
//! database only (no secrets, no providers), like `migrate`.

use service::audit::checkpoints::AuditKey;
use std::sync::Arc;

use clap::Subcommand;
use domain::org::Role;
use service::db::{Db, SystemClock};
use service::sms::DevSmsProvider;
use service::staff::{FirstBank, NewOrg, NewStaff, OneTimePassword};
use service::{ServiceConfig, ServiceError, Services};

/// `puhui org …`
#[derive(Subcommand, Debug, Clone)]
pub enum OrgAction {
    /// Add a bank under the union, a branch (支行) under a bank or a grid
    /// (网格) under a branch.
    Add {
        /// The parent organisation's code.
        #[arg(long)]
        parent: String,
        /// The new organisation's code (letters, digits, - and _).
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
    },
}

/// `puhui staff …`
#[derive(Subcommand, Debug, Clone)]
pub enum StaffAction {
    /// Add a member of staff; prints their one-time password once.
    Add {
        /// The organisation (bank, branch or grid) they work in, by code.
        #[arg(long)]
        org: String,
        #[arg(long)]
        username: String,
        /// The name shown on their work, e.g. 张伟.
        #[arg(long)]
        name: String,
        /// Comma-separated roles: officer, investigator, reviewer, approver,
        /// disburser, post_loan, risk_manager, product_manager,
        /// marketing_manager, branch_head, admin.
        #[arg(long)]
        roles: String,
    },
    /// Lift the lock left by too many wrong passwords.
    Unlock { username: String },
    /// Give an account a new one-time password (and unlock it); prints it once.
    ResetPassword { username: String },
    /// Remove an account's authenticator app (a lost or changed phone): its
    /// holder adds a new one at the next sign-in.
    ResetTotp { username: String },
}

/// What `puhui init` needs.
#[derive(clap::Args, Debug, Clone)]
pub struct InitArgs {
    /// The provincial union (省联社) or head office above the bank: code.
    #[arg(long)]
    pub union_code: String,
    #[arg(long)]
    pub union_name: String,
    #[arg(long)]
    pub bank_code: String,
    #[arg(long)]
    pub bank_name: String,
    /// The administrator's username.
    #[arg(long, default_value = "admin")]
    pub admin: String,
    #[arg(long, default_value = "系统管理员")]
    pub admin_name: String,
}

/// Services for the operator's commands (accounts, reconciliation): no
/// provider is used, and nothing of the demo configuration applies.
pub fn operator_services(db: Db, audit_key: AuditKey) -> Services {
    let clock = Arc::new(SystemClock);
    let config = ServiceConfig {
        demo: false,
        audit_key,
        ..ServiceConfig::default()
    };
    let sms = Arc::new(DevSmsProvider::new(
        db.clone(),
        clock.clone(),
        config.pfi.clone(),
    ));
    Services::new(db, sms, clock, config)
}

fn parse_roles(list: &str) -> Result<Vec<Role>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| Role::parse(r).ok_or_else(|| format!("unknown role {r}")))
        .collect()
}

fn show_password(username: &str, p: &OneTimePassword) {
    println!(
        "one-time password for {username} (shown once; they choose their own at first sign-in):"
    );
    println!("{}", p.reveal());
}

fn fail(e: ServiceError) -> anyhow::Error {
    anyhow::anyhow!("{} ({})", e, e.code())
}

pub async fn init(db: Db, key: AuditKey, a: &InitArgs) -> anyhow::Result<()> {
    let first = FirstBank {
        union_code: a.union_code.clone(),
        union_name: a.union_name.clone(),
        bank_code: a.bank_code.clone(),
        bank_name: a.bank_name.clone(),
        admin_username: a.admin.clone(),
        admin_name: a.admin_name.clone(),
    };
    let p = operator_services(db, key)
        .staff()
        .init_bank(&first)
        .await
        .map_err(fail)?;
    println!("bank {} ({}) created", a.bank_name, a.bank_code);
    show_password(&a.admin, &p);
    Ok(())
}

pub async fn org(db: Db, key: AuditKey, action: &OrgAction) -> anyhow::Result<()> {
    match action {
        OrgAction::Add { parent, code, name } => {
            let o = NewOrg {
                parent_code: parent.clone(),
                code: code.clone(),
                name: name.clone(),
            };
            operator_services(db, key)
                .staff()
                .add_org(&o)
                .await
                .map_err(fail)?;
            println!("{name} ({code}) added under {parent}");
        }
    }
    Ok(())
}

pub async fn staff(db: Db, key: AuditKey, action: &StaffAction) -> anyhow::Result<()> {
    let s = operator_services(db, key);
    match action {
        StaffAction::Add {
            org,
            username,
            name,
            roles,
        } => {
            let roles = parse_roles(roles).map_err(anyhow::Error::msg)?;
            let n = NewStaff {
                org_code: org.clone(),
                username: username.clone(),
                display_name: name.clone(),
                roles,
            };
            let p = s.staff().add_staff(&n).await.map_err(fail)?;
            show_password(username, &p);
        }
        StaffAction::Unlock { username } => {
            s.staff().unlock_staff(username).await.map_err(fail)?;
            println!("{username} unlocked");
        }
        StaffAction::ResetPassword { username } => {
            let p = s
                .staff()
                .reset_staff_password(username)
                .await
                .map_err(fail)?;
            show_password(username, &p);
        }
        StaffAction::ResetTotp { username } => {
            s.staff().reset_staff_totp(username).await.map_err(fail)?;
            println!(
                "{username}: authenticator app removed; a new one is added at the next sign-in"
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_parsed_by_their_names() {
        assert_eq!(
            parse_roles("officer, approver").ok(),
            Some(vec![Role::Officer, Role::Approver])
        );
        assert!(parse_roles("officer,boss").is_err());
    }
}
