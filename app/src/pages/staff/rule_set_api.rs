//! The server functions of one rule-set version ([`super::rule_set`]): loading
//! it, checking and saving a definition, the maker-checker steps, the test
//! bench and the simulation. Kept beside the page in their own file (the page
//! is long).

use crate::error::AppError;
use domain::rules::schema::FeatureDef;
use domain::view::{
    RuleSetDetail, RuleSetDraft, RuleSetProblem, RuleSetSample, RuleSetSummary, RuleSetTrial,
    SimulationReport,
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use server_fn::codec::Json;

#[cfg(feature = "ssr")]
use crate::error::ErrorCode;
#[cfg(feature = "ssr")]
use crate::session;

/// One version with its definition, what this user may do with it, and the
/// features its expressions may read (for the editor's hints).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSetPage {
    pub detail: RuleSetDetail,
    pub features: Vec<FeatureDef>,
    /// Past applications to try the version on (test bench), newest first.
    pub samples: Vec<RuleSetSample>,
}

#[server(prefix = "/api/fn", endpoint = "rule_set")]
pub async fn rule_set(id: String) -> Result<RuleSetPage, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(RuleSetPage {
        detail: services.risk().rule_set(&staff, &id).await?,
        features: services.risk().rule_set_features(),
        samples: services.risk().rule_set_samples(&staff, &id, 30).await?,
    })
}

/// What saving (or only checking) a definition did: saved, or refused with
/// the first problem and its place for the editor to mark.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RuleSetSaved {
    Checked,
    Saved(RuleSetSummary),
    Problem(RuleSetProblem),
}

/// Compiles the definition against the feature schema; saves it unless
/// `check_only` or it has a problem.
#[server(prefix = "/api/fn", endpoint = "save_rule_set", input = Json)]
pub async fn save_rule_set(form: RuleSetDraft, check_only: bool) -> Result<RuleSetSaved, AppError> {
    let (services, staff) = session::staff().await?;
    if let Some(p) = services.risk().check_rule_set(&staff, &form.definition)? {
        return Ok(RuleSetSaved::Problem(p));
    }
    if check_only {
        return Ok(RuleSetSaved::Checked);
    }
    let summary = services.risk().save_rule_set_draft(&staff, form).await?;
    Ok(RuleSetSaved::Saved(summary))
}

/// A maker-checker step on a version: `submit`, `approve`, `return` or `publish`.
#[server(prefix = "/api/fn", endpoint = "rule_set_step")]
pub async fn rule_set_step(
    id: String,
    row_version: i64,
    step: String,
    comment: String,
) -> Result<(), AppError> {
    let (services, staff) = session::staff().await?;
    match step.as_str() {
        "submit" => {
            services
                .risk()
                .submit_rule_set(&staff, &id, row_version)
                .await?
        }
        "approve" => {
            services
                .risk()
                .approve_rule_set(&staff, &id, row_version, &comment)
                .await?
        }
        "return" => {
            services
                .risk()
                .return_rule_set(&staff, &id, row_version, &comment)
                .await?
        }
        "publish" => {
            services
                .risk()
                .publish_rule_set(&staff, &id, row_version)
                .await?
        }
        _ => return Err(AppError::invalid(ErrorCode::InvalidStep)),
    }
    Ok(())
}

/// Replays the version on the last `last_n` applications of its product.
#[server(prefix = "/api/fn", endpoint = "simulate_rule_set")]
pub async fn simulate_rule_set(id: String, last_n: u32) -> Result<SimulationReport, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services
        .risk()
        .simulate_rule_set(&staff, &id, last_n)
        .await?)
}

/// The test bench: the version on one past application, with its trace.
#[server(prefix = "/api/fn", endpoint = "try_rule_set")]
pub async fn try_rule_set(id: String, application_id: String) -> Result<RuleSetTrial, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services
        .risk()
        .try_rule_set(&staff, &id, &application_id)
        .await?)
}
