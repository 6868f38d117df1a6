//! Product versions (产品版本): every change to a product is a new version,
//! written as a draft by one product manager and published by another
//! (maker-checker, 双人复核). A published version never changes; an
//! application records the [`ProductVersionId`] it was made under and keeps
//! it for life, so a later change to the product strands no application.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::error_code::ErrorCode;

/// The immutable id of one version of a product: its code and version
/// number, written "HOUSE-CC@3".
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProductVersionId {
    code: String,
    version: u32,
}

/// Why a product code or version id was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error, Serialize, Deserialize)]
pub enum ProductVersionIdError {
    #[error("a product code is 1 to 32 letters, digits, '-' or '_'")]
    InvalidCode,
    #[error("a product version id is CODE@N with N at least 1")]
    InvalidVersion,
}

impl ProductVersionIdError {
    /// Its [`ErrorCode`], which chooses the message the user reads.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::InvalidCode => ErrorCode::ProductCodeInvalid,
            Self::InvalidVersion => ErrorCode::ProductVersionInvalid,
        }
    }
}

impl ProductVersionId {
    pub fn new(code: &str, version: u32) -> Result<ProductVersionId, ProductVersionIdError> {
        let ok = (1..=32).contains(&code.len())
            && code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            return Err(ProductVersionIdError::InvalidCode);
        }
        if version == 0 {
            return Err(ProductVersionIdError::InvalidVersion);
        }
        Ok(ProductVersionId {
            code: code.to_owned(),
            version,
        })
    }

    /// "HOUSE-CC@3".
    pub fn parse(s: &str) -> Result<ProductVersionId, ProductVersionIdError> {
        let (code, n) = s
            .rsplit_once('@')
            .ok_or(ProductVersionIdError::InvalidVersion)?;
        let digits_only = !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit());
        let version = if digits_only { n.parse().ok() } else { None };
        ProductVersionId::new(code, version.ok_or(ProductVersionIdError::InvalidVersion)?)
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    pub fn version(&self) -> u32 {
        self.version
    }

    /// The id the next draft of this product gets.
    pub fn next(&self) -> ProductVersionId {
        ProductVersionId {
            code: self.code.clone(),
            version: self.version.saturating_add(1),
        }
    }
}

impl fmt::Display for ProductVersionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.code, self.version)
    }
}

impl TryFrom<String> for ProductVersionId {
    type Error = ProductVersionIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        ProductVersionId::parse(&s)
    }
}

impl From<ProductVersionId> for String {
    fn from(id: ProductVersionId) -> String {
        id.to_string()
    }
}

/// Where a product version stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionStatus {
    /// 草稿: its author may still change it.
    Draft,
    /// 已发布: live; frozen; new applications are made against it.
    Published,
    /// 已停用: replaced or withdrawn; no new applications, but the open ones
    /// made under it run to the end on it.
    Retired,
}

impl VersionStatus {
    pub const ALL: [VersionStatus; 3] = [
        VersionStatus::Draft,
        VersionStatus::Published,
        VersionStatus::Retired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VersionStatus::Draft => "draft",
            VersionStatus::Published => "published",
            VersionStatus::Retired => "retired",
        }
    }

    pub fn parse(s: &str) -> Option<VersionStatus> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            VersionStatus::Draft => "草稿",
            VersionStatus::Published => "已发布",
            VersionStatus::Retired => "已停用",
        }
    }

    /// May a customer apply for this version now?
    pub fn accepts_new_applications(self) -> bool {
        self == VersionStatus::Published
    }

    /// Do applications already made under this version carry on? Always,
    /// once published: retiring a version never strands an application.
    pub fn serves_open_applications(self) -> bool {
        matches!(self, VersionStatus::Published | VersionStatus::Retired)
    }
}

/// What someone does to a product version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionAction {
    /// Change the draft (its author only).
    Edit,
    /// Make it live (anyone but its author: the checker).
    Publish,
    /// Stop new applications (a newer version went live, or withdrawn).
    Retire,
}

/// Why an action on a product version is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error, Serialize, Deserialize)]
pub enum VersionError {
    #[error("a published product version cannot be changed; make a new version")]
    Immutable,
    #[error("this action is not allowed on a product version that is {}", from.as_str())]
    NotAllowed { from: VersionStatus },
    #[error("the author of a product version may not publish it")]
    SelfPublish,
    #[error("only the author may change a draft")]
    NotAuthor,
}

impl VersionError {
    /// Its [`ErrorCode`], which chooses the message the user reads.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Immutable => ErrorCode::ProductVersionImmutable,
            Self::NotAllowed { .. } => ErrorCode::ProductVersionStateChanged,
            Self::SelfPublish => ErrorCode::ProductSelfPublish,
            Self::NotAuthor => ErrorCode::ProductNotAuthor,
        }
    }
}

/// The life cycle with maker-checker: Draft -Edit-> Draft (author only);
/// Draft -Publish-> Published (anyone but the author); Published -Retire->
/// Retired. Editing a published or retired version is
/// [`VersionError::Immutable`]; anything else [`VersionError::NotAllowed`].
pub fn version_transition(
    from: VersionStatus,
    action: VersionAction,
    actor_is_author: bool,
) -> Result<VersionStatus, VersionError> {
    use VersionAction as A;
    use VersionStatus as S;
    match (from, action) {
        (S::Draft, A::Edit) if actor_is_author => Ok(S::Draft),
        (S::Draft, A::Edit) => Err(VersionError::NotAuthor),
        (S::Draft, A::Publish) if actor_is_author => Err(VersionError::SelfPublish),
        (S::Draft, A::Publish) => Ok(S::Published),
        (S::Published, A::Retire) => Ok(S::Retired),
        (S::Published | S::Retired, A::Edit) => Err(VersionError::Immutable),
        _ => Err(VersionError::NotAllowed { from }),
    }
}
