//! Where a rule set applies and how a version of it becomes live: the
//! [`DecisionStage`] of the credit process it decides, and the maker-checker
//! life cycle draft → submitted → approved (by a second risk manager) → live
//! → retired ([`rule_set_transition`]).

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::error_code::ErrorCode;

/// The point of the credit process where the engine decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionStage {
    /// 预审: on submission, in the customer's flow; may reject at once.
    PreScreen,
    /// The full decision before approval (审批), after the investigation.
    Full,
    /// 续授信: at a revolving line's expiry, the end-of-day batch asks
    /// whether to renew it and with what limit, from how the line was used
    /// and repaid (the `line_*` features).
    Renewal,
}

impl DecisionStage {
    pub const ALL: [DecisionStage; 3] = [
        DecisionStage::PreScreen,
        DecisionStage::Full,
        DecisionStage::Renewal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DecisionStage::PreScreen => "pre_screen",
            DecisionStage::Full => "full",
            DecisionStage::Renewal => "renewal",
        }
    }

    pub fn parse(s: &str) -> Option<DecisionStage> {
        DecisionStage::ALL.into_iter().find(|d| d.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            DecisionStage::PreScreen => "预审",
            DecisionStage::Full => "审批前决策",
            DecisionStage::Renewal => "续授信",
        }
    }
}

/// Where a version of a rule set stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleSetStatus {
    /// Being written; only its author may change it.
    Draft,
    /// Waiting for a second risk manager.
    Submitted,
    /// Approved by someone other than the author; not yet in use.
    Approved,
    /// In use: the one version decisions of its product and stage run.
    Live,
    /// Was live, replaced by a newer version.
    Retired,
}

impl RuleSetStatus {
    pub const ALL: [RuleSetStatus; 5] = [
        RuleSetStatus::Draft,
        RuleSetStatus::Submitted,
        RuleSetStatus::Approved,
        RuleSetStatus::Live,
        RuleSetStatus::Retired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleSetStatus::Draft => "draft",
            RuleSetStatus::Submitted => "submitted",
            RuleSetStatus::Approved => "approved",
            RuleSetStatus::Live => "live",
            RuleSetStatus::Retired => "retired",
        }
    }

    pub fn parse(s: &str) -> Option<RuleSetStatus> {
        RuleSetStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            RuleSetStatus::Draft => "草稿",
            RuleSetStatus::Submitted => "待复核",
            RuleSetStatus::Approved => "已复核",
            RuleSetStatus::Live => "生效中",
            RuleSetStatus::Retired => "已停用",
        }
    }
}

/// What someone does to a version of a rule set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleSetAction {
    /// Change the definition (drafts only).
    Edit,
    Submit,
    /// The checker agrees.
    Approve,
    /// The checker sends it back to its author as a draft.
    Return,
    Publish,
    /// A newer version went live.
    Retire,
}

/// Why an action on a rule set is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error, Serialize, Deserialize)]
pub enum RuleSetTransitionError {
    #[error("this action is not allowed on a rule set that is {}", from.as_str())]
    NotAllowed { from: RuleSetStatus },
    /// Maker-checker: the author may not approve (or return) their own version.
    #[error("the author of a rule set may not approve it")]
    SelfApproval,
    /// Only the author edits and submits their draft.
    #[error("only the author may change or submit a draft")]
    NotAuthor,
}

impl RuleSetTransitionError {
    /// Its [`ErrorCode`], which chooses the message the user reads.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::NotAllowed { .. } => ErrorCode::RuleSetStateChanged,
            Self::SelfApproval => ErrorCode::SelfApproval,
            Self::NotAuthor => ErrorCode::RuleSetNotAuthor,
        }
    }
}

/// The life cycle, with maker-checker: Draft -Edit-> Draft and -Submit->
/// Submitted (author only); Submitted -Approve-> Approved and -Return-> Draft
/// (anyone but the author); Approved -Publish-> Live; Live -Retire-> Retired.
/// Anything else: [`RuleSetTransitionError::NotAllowed`].
pub fn rule_set_transition(
    from: RuleSetStatus,
    action: RuleSetAction,
    actor_is_author: bool,
) -> Result<RuleSetStatus, RuleSetTransitionError> {
    use RuleSetAction as A;
    use RuleSetStatus as S;
    let next = match (from, action) {
        (S::Draft, A::Edit) => S::Draft,
        (S::Draft, A::Submit) => S::Submitted,
        (S::Submitted, A::Approve) => S::Approved,
        (S::Submitted, A::Return) => S::Draft,
        (S::Approved, A::Publish) => S::Live,
        (S::Live, A::Retire) => S::Retired,
        _ => return Err(RuleSetTransitionError::NotAllowed { from }),
    };
    match action {
        A::Edit | A::Submit if !actor_is_author => Err(RuleSetTransitionError::NotAuthor),
        A::Approve | A::Return if actor_is_author => Err(RuleSetTransitionError::SelfApproval),
        _ => Ok(next),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    use RuleSetAction as A;
    use RuleSetStatus as S;

    #[rstest]
    #[case(S::Draft, A::Edit, true, Ok(S::Draft))]
    #[case(S::Draft, A::Edit, false, Err(RuleSetTransitionError::NotAuthor))]
    #[case(S::Draft, A::Submit, true, Ok(S::Submitted))]
    #[case(S::Draft, A::Submit, false, Err(RuleSetTransitionError::NotAuthor))]
    #[case(S::Submitted, A::Approve, false, Ok(S::Approved))]
    #[case(
        S::Submitted,
        A::Approve,
        true,
        Err(RuleSetTransitionError::SelfApproval)
    )]
    #[case(S::Submitted, A::Return, false, Ok(S::Draft))]
    #[case(
        S::Submitted,
        A::Return,
        true,
        Err(RuleSetTransitionError::SelfApproval)
    )]
    #[case(S::Submitted, A::Edit, true, Err(RuleSetTransitionError::NotAllowed { from: S::Submitted }))]
    #[case(S::Draft, A::Approve, false, Err(RuleSetTransitionError::NotAllowed { from: S::Draft }))]
    #[case(S::Draft, A::Publish, true, Err(RuleSetTransitionError::NotAllowed { from: S::Draft }))]
    #[case(S::Submitted, A::Publish, false, Err(RuleSetTransitionError::NotAllowed { from: S::Submitted }))]
    #[case(S::Approved, A::Publish, true, Ok(S::Live))]
    #[case(S::Approved, A::Publish, false, Ok(S::Live))]
    #[case(S::Approved, A::Approve, false, Err(RuleSetTransitionError::NotAllowed { from: S::Approved }))]
    #[case(S::Live, A::Retire, false, Ok(S::Retired))]
    #[case(S::Live, A::Edit, true, Err(RuleSetTransitionError::NotAllowed { from: S::Live }))]
    #[case(S::Retired, A::Publish, true, Err(RuleSetTransitionError::NotAllowed { from: S::Retired }))]
    fn maker_checker_life_cycle(
        #[case] from: RuleSetStatus,
        #[case] action: RuleSetAction,
        #[case] author: bool,
        #[case] expected: Result<RuleSetStatus, RuleSetTransitionError>,
    ) {
        assert_eq!(rule_set_transition(from, action, author), expected);
    }

    #[test]
    fn names_round_trip() {
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).ok(),
                Some(format!("\"{}\"", s.as_str()))
            );
        }
        for d in DecisionStage::ALL {
            assert_eq!(DecisionStage::parse(d.as_str()), Some(d));
        }
        assert_eq!(DecisionStage::parse("approval"), None);
        assert_eq!(
            RuleSetTransitionError::SelfApproval.code(),
            ErrorCode::SelfApproval
        );
    }
}
