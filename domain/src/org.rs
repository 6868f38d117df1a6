//! The organisation tree and who works in it: [`OrgKind`] (provincial union, bank,
//! branch, grid), staff [`Role`]s, and [`path_covers`], the test of whether a
//! user's place in the tree gives them sight of another node.

use serde::{Deserialize, Serialize};

/// A node's level in the organisation tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// 省联社, provincial union.
    Union,
    /// 法人行社 / 农商行, the legal entity and tenant.
    Bank,
    /// 支行 / 网点.
    Branch,
    /// 网格, a marketing territory.
    Grid,
}

impl OrgKind {
    pub const ALL: [Self; 4] = [Self::Union, Self::Bank, Self::Branch, Self::Grid];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Union => "union",
            Self::Bank => "bank",
            Self::Branch => "branch",
            Self::Grid => "grid",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A staff post (三台六岗 and the managers above them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 客户经理, account officer.
    Officer,
    /// 调查岗.
    Investigator,
    /// 审查岗.
    Reviewer,
    /// 审批岗.
    Approver,
    /// 放款岗.
    Disburser,
    /// 贷后岗.
    PostLoan,
    RiskManager,
    ProductManager,
    MarketingManager,
    BranchHead,
    Admin,
}

impl Role {
    pub const ALL: [Role; 11] = [
        Role::Officer,
        Role::Investigator,
        Role::Reviewer,
        Role::Approver,
        Role::Disburser,
        Role::PostLoan,
        Role::RiskManager,
        Role::ProductManager,
        Role::MarketingManager,
        Role::BranchHead,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Officer => "officer",
            Role::Investigator => "investigator",
            Role::Reviewer => "reviewer",
            Role::Approver => "approver",
            Role::Disburser => "disburser",
            Role::PostLoan => "post_loan",
            Role::RiskManager => "risk_manager",
            Role::ProductManager => "product_manager",
            Role::MarketingManager => "marketing_manager",
            Role::BranchHead => "branch_head",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// RiskManager, ProductManager, MarketingManager, BranchHead and Admin.
    pub fn is_manager(self) -> bool {
        matches!(
            self,
            Role::RiskManager
                | Role::ProductManager
                | Role::MarketingManager
                | Role::BranchHead
                | Role::Admin
        )
    }
}

/// Does `scope_path` (a user's org path like "/u/b/br/") cover `target_path`? Prefix test.
///
/// Paths end with '/', so a plain prefix test is exact. A scope written without the
/// trailing '/' still only covers whole segments ("/u/b" covers "/u/b/br/" but not
/// "/u/bx/"), and an empty scope covers nothing rather than everything.
pub fn path_covers(scope_path: &str, target_path: &str) -> bool {
    if scope_path.is_empty() {
        return false;
    }
    match target_path.strip_prefix(scope_path) {
        Some(rest) => scope_path.ends_with('/') || rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("/u/b/br/", "/u/b/br/", true)]
    #[case("/u/b/br/", "/u/b/br/g1/", true)]
    #[case("/u/", "/u/b/br/g1/", true)]
    #[case("/u/b/br/", "/u/b/", false)]
    #[case("/u/b/br/", "/u/b/br2/", false)]
    #[case("/u/b", "/u/b/br/", true)]
    #[case("/u/b", "/u/bx/", false)]
    #[case("/u/b", "/u/b", true)]
    #[case("", "/u/", false)]
    #[case("/u/a/", "/u/b/", false)]
    fn path_covers_cases(#[case] scope: &str, #[case] target: &str, #[case] covers: bool) {
        assert_eq!(path_covers(scope, target), covers);
    }

    #[test]
    fn role_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            assert_eq!(
                serde_json::to_string(&r).ok(),
                Some(format!("\"{}\"", r.as_str()))
            );
        }
        assert_eq!(Role::parse("Officer"), None);
    }

    #[test]
    fn managers() {
        let managers: Vec<Role> = Role::ALL.into_iter().filter(|r| r.is_manager()).collect();
        assert_eq!(
            managers,
            [
                Role::RiskManager,
                Role::ProductManager,
                Role::MarketingManager,
                Role::BranchHead,
                Role::Admin
            ]
        );
    }

    #[test]
    fn org_kind_names_round_trip() {
        for k in OrgKind::ALL {
            assert_eq!(OrgKind::parse(k.as_str()), Some(k));
            assert_eq!(
                serde_json::to_string(&k).ok(),
                Some(format!("\"{}\"", k.as_str()))
            );
        }
        assert_eq!(OrgKind::parse("province"), None);
    }
}
