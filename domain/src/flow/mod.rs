//! Approval flow templates (审批流程模板), pure part: a flow is assembled from
//! reusable [`Node`]s — auto pre-screen, admission, document collection,
//! on-site investigation, review, approval, contract signing, collateral
//! registration, disbursement and the end states — joined by [`Edge`]s that
//! say where to go after each outcome, optionally only when a [`Condition`]
//! on the application's amount, guarantee type or score holds (e.g. "above
//! 500,000 yuan, add a second approver").
//!
//! [`FlowTemplate::validate`] refuses a flow before anyone can use it if, for
//! any application the product can receive, it could leave a node with
//! nowhere to go, go round a loop it can never leave, reach disbursement
//! without an approval, or has a node nobody can reach. [`ValidFlow::route`]
//! then moves an application from node to node, always the same way for the
//! same facts.
//!
//! # How validation covers every possible application
//! Conditions only compare the amount and the score with thresholds and the
//! guarantee type with a list. So the thresholds that appear in the flow cut
//! the amounts into a few bands (e.g. "up to 500,000 yuan" and "above"), the
//! scores likewise, and the four guarantee types are four more cases: every
//! application falls in one combination, and within a combination every
//! condition is either always true or always false. Validation tries one
//! application from each combination ([`FactSpace`] limits them to what the
//! product can receive), which covers them all exactly.
//!
//! # Routing rule
//! From a node with an outcome, the first edge in the order written whose
//! condition holds is taken. A missing score (not yet scored) counts as
//! lower than every threshold, so "score below 600" holds and "score at
//! least 600" does not: the cautious route.
//!
//! By part: this file has the model, its errors and limits; `validate`
//! checks a template for every application it can receive; `route` moves
//! an application through a valid flow.

mod route;
mod validate;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::duty::Post;
use crate::error_code::ErrorCode;
use crate::money::Fen;
use crate::product::{Bounds, GuaranteeType};
use crate::schedule::MAX_PRINCIPAL;

/// How an on-site investigation (下户调查) is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvestigationMode {
    /// One investigator.
    Single,
    /// Two investigators, back-to-back (背对背双人调查); if their
    /// recommendations differ the outcome is [`Outcome::Escalate`].
    BackToBack,
}

/// How an approval (审批) is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "mode")]
pub enum ApprovalMode {
    /// One approver.
    Single,
    /// Two approvers back-to-back; disagreement → [`Outcome::Escalate`].
    BackToBack,
    /// A credit committee (贷审会) of `members`, approved when at least
    /// `quorum` approve. The quorum must be a majority.
    Committee { members: u32, quorum: u32 },
}

/// How an application ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndState {
    /// 审批通过: a credit line or limit is granted, drawn later.
    Approved,
    /// 已放款: the money is paid out.
    Disbursed,
    /// 已拒绝.
    Rejected,
}

/// What a node does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum NodeKind {
    /// 自动预审: the decision engine, no person.
    PreScreen,
    /// 准入: the admission decision.
    Admission,
    /// 资料收集: documents gathered and checked for completeness.
    DocumentCollection,
    /// 下户调查.
    Investigation { mode: InvestigationMode },
    /// 审查.
    Review,
    /// 审批.
    Approval { mode: ApprovalMode },
    /// 合同签约.
    ContractSigning,
    /// 押品登记: mortgage or pledge registered.
    CollateralRegistration,
    /// 放款.
    Disbursement,
    /// The application is finished.
    End { state: EndState },
}

crate::coded_enum! {
    /// A node's kind without its mode: what the task table stores and a
    /// task shows.
    pub enum NodeType {
        PreScreen => "pre_screen",
        Admission => "admission",
        DocumentCollection => "document_collection",
        Investigation => "investigation",
        Review => "review",
        Approval => "approval",
        ContractSigning => "contract_signing",
        CollateralRegistration => "collateral_registration",
        Disbursement => "disbursement",
        End => "end",
    }
}

impl NodeKind {
    /// The kind without its mode.
    pub fn node_type(self) -> NodeType {
        match self {
            NodeKind::PreScreen => NodeType::PreScreen,
            NodeKind::Admission => NodeType::Admission,
            NodeKind::DocumentCollection => NodeType::DocumentCollection,
            NodeKind::Investigation { .. } => NodeType::Investigation,
            NodeKind::Review => NodeType::Review,
            NodeKind::Approval { .. } => NodeType::Approval,
            NodeKind::ContractSigning => NodeType::ContractSigning,
            NodeKind::CollateralRegistration => NodeType::CollateralRegistration,
            NodeKind::Disbursement => NodeType::Disbursement,
            NodeKind::End { .. } => NodeType::End,
        }
    }

    /// Stable snake_case code of the kind (without its mode), for labels
    /// and the task table.
    pub fn code(self) -> &'static str {
        self.node_type().as_str()
    }

    /// The outcomes the node can have; each must lead somewhere.
    pub fn outcomes(self) -> &'static [Outcome] {
        use Outcome::*;
        match self {
            NodeKind::PreScreen | NodeKind::Admission | NodeKind::Review => &[Pass, Reject],
            NodeKind::Investigation {
                mode: InvestigationMode::BackToBack,
            }
            | NodeKind::Approval {
                mode: ApprovalMode::BackToBack,
            } => &[Pass, Reject, Escalate],
            NodeKind::Investigation { .. } | NodeKind::Approval { .. } => &[Pass, Reject],
            NodeKind::DocumentCollection
            | NodeKind::ContractSigning
            | NodeKind::CollateralRegistration
            | NodeKind::Disbursement => &[Pass],
            NodeKind::End { .. } => &[],
        }
    }

    /// The post whose holder works this node (for the inbox and the duty
    /// checks); `None` for the automatic pre-screen and the end states.
    pub fn post(self) -> Option<Post> {
        match self {
            NodeKind::PreScreen | NodeKind::End { .. } => None,
            NodeKind::Admission | NodeKind::DocumentCollection => Some(Post::Marketing),
            NodeKind::Investigation { .. } => Some(Post::Investigation),
            NodeKind::Review => Some(Post::Review),
            NodeKind::Approval { .. } => Some(Post::Approval),
            NodeKind::ContractSigning
            | NodeKind::CollateralRegistration
            | NodeKind::Disbursement => Some(Post::Disbursement),
        }
    }

    /// How many distinct people work the node at once.
    pub fn people(self) -> u32 {
        match self {
            NodeKind::Investigation {
                mode: InvestigationMode::BackToBack,
            }
            | NodeKind::Approval {
                mode: ApprovalMode::BackToBack,
            } => 2,
            NodeKind::Approval {
                mode: ApprovalMode::Committee { members, .. },
            } => members,
            NodeKind::PreScreen | NodeKind::End { .. } => 0,
            _ => 1,
        }
    }

    fn is_approval(self) -> bool {
        matches!(self, NodeKind::Approval { .. })
    }

    /// Reaching this node means money or credit is given.
    fn grants(self) -> bool {
        matches!(
            self,
            NodeKind::Disbursement
                | NodeKind::End {
                    state: EndState::Approved | EndState::Disbursed
                }
        )
    }
}

/// The result of working a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Passed, agreed, or simply done.
    Pass,
    Reject,
    /// Back-to-back opinions disagree: to the next level.
    Escalate,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Reject => "reject",
            Outcome::Escalate => "escalate",
        }
    }
}

/// One step of a flow.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Node {
    /// Unique within the template, e.g. "approval_2".
    pub id: String,
    pub kind: NodeKind,
    /// Hours the post has before the task is overdue (时效).
    pub sla_hours: Option<u32>,
}

/// When an edge may be taken.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "if")]
pub enum Condition {
    Always,
    /// Amount strictly above the threshold.
    AmountAbove {
        fen: Fen,
    },
    /// Amount at or below the threshold.
    AmountAtMost {
        fen: Fen,
    },
    /// Score at or above the threshold.
    ScoreAtLeast {
        score: i32,
    },
    /// Score below the threshold (or no score yet).
    ScoreBelow {
        score: i32,
    },
    /// The guarantee type is one of these.
    GuaranteeIn {
        types: Vec<GuaranteeType>,
    },
    /// All of these hold.
    All {
        all: Vec<Condition>,
    },
}

impl Condition {
    pub fn holds(&self, f: &Facts) -> bool {
        match self {
            Condition::Always => true,
            Condition::AmountAbove { fen } => f.amount > *fen,
            Condition::AmountAtMost { fen } => f.amount <= *fen,
            Condition::ScoreAtLeast { score } => f.score.is_some_and(|s| s >= *score),
            Condition::ScoreBelow { score } => f.score.is_none_or(|s| s < *score),
            Condition::GuaranteeIn { types } => types.contains(&f.guarantee),
            Condition::All { all } => all.iter().all(|c| c.holds(f)),
        }
    }

    fn thresholds(&self, amounts: &mut Vec<Fen>, scores: &mut Vec<i32>) {
        match self {
            Condition::AmountAbove { fen } | Condition::AmountAtMost { fen } => amounts.push(*fen),
            Condition::ScoreAtLeast { score } | Condition::ScoreBelow { score } => {
                scores.push(*score)
            }
            Condition::All { all } => all.iter().for_each(|c| c.thresholds(amounts, scores)),
            Condition::Always | Condition::GuaranteeIn { .. } => {}
        }
    }

    /// How many conditions this one is made of, itself included.
    fn size(&self) -> usize {
        match self {
            Condition::All { all } => 1 + all.iter().map(Condition::size).sum::<usize>(),
            _ => 1,
        }
    }
}

/// "After `from` ends with `on`, if `when` holds, go to `to`."
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Edge {
    pub from: String,
    pub on: Outcome,
    pub when: Condition,
    pub to: String,
}

/// A flow as the product manager drew it; check it with
/// [`FlowTemplate::validate`] before use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowTemplate {
    pub code: String,
    pub start: String,
    pub nodes: Vec<Node>,
    /// In priority order: the first that matches wins.
    pub edges: Vec<Edge>,
}

/// What routing looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Facts {
    pub amount: Fen,
    pub guarantee: GuaranteeType,
    /// The decision engine's score, once there is one.
    pub score: Option<i32>,
}

/// The applications a flow must handle: usually those its product can
/// receive ([`FactSpace::everything`] when it is shared by many).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactSpace {
    pub amount: Bounds<Fen>,
    pub guarantees: Vec<GuaranteeType>,
}

impl FactSpace {
    pub fn everything() -> FactSpace {
        FactSpace {
            amount: Bounds::new(Fen(1), MAX_PRINCIPAL),
            guarantees: GuaranteeType::ALL.to_vec(),
        }
    }

    pub fn of_product(p: &crate::product::ProductParams) -> FactSpace {
        FactSpace {
            amount: p.amount,
            guarantees: p.guarantee_types.clone(),
        }
    }

    /// One application from each combination of bands the thresholds make.
    fn representatives(&self, amounts: &[Fen], scores: &[i32]) -> Vec<Facts> {
        let mut amount_reps = vec![self.amount.min];
        amount_reps.extend(
            amounts
                .iter()
                .filter_map(|t| t.checked_add(Fen(1)))
                .filter(|a| self.amount.contains(*a)),
        );
        amount_reps.sort();
        amount_reps.dedup();
        let mut score_reps: Vec<Option<i32>> = vec![None];
        let mut s: Vec<i32> = scores.to_vec();
        s.sort();
        s.dedup();
        score_reps.extend(s.into_iter().map(Some));
        let mut out = Vec::new();
        for &amount in &amount_reps {
            for &guarantee in &self.guarantees {
                for &score in &score_reps {
                    out.push(Facts {
                        amount,
                        guarantee,
                        score,
                    });
                }
            }
        }
        out
    }
}

/// Why a flow template is refused. Each names the node(s) to fix; the
/// graph problems carry an example application that shows them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Serialize, Deserialize)]
pub enum FlowError {
    #[error("two nodes are called {node}")]
    DuplicateNode { node: String },
    #[error("there is no node called {node}")]
    UnknownNode { node: String },
    #[error("the end node {node} has edges leaving it")]
    EndHasEdges { node: String },
    #[error("node {node} cannot have the outcome {}", outcome.as_str())]
    OutcomeNotApplicable { node: String, outcome: Outcome },
    #[error("the committee at {node} needs a majority quorum of at least two members")]
    QuorumInvalid { node: String },
    #[error("the flow must handle at least one amount and guarantee type")]
    EmptyFactSpace,
    #[error("no application can ever reach node {node}")]
    Unreachable { node: String },
    #[error("after node {node} ends with {}, some applications have nowhere to go", outcome.as_str())]
    DeadEnd {
        node: String,
        outcome: Outcome,
        example: Facts,
    },
    #[error("nodes {nodes:?} form a loop that some applications can never leave")]
    LoopWithoutExit { nodes: Vec<String>, example: Facts },
    #[error("some applications reach {node} without passing an approval")]
    ApprovalSkipped { node: String, example: Facts },
    /// The automatic pre-screen keeps the id [`PRE_SCREEN_ID`]: the sweeper
    /// that moves on applications left there finds them by it.
    #[error("the automatic pre-screen {node} must keep the id pre_screen")]
    PreScreenRenamed { node: String },
    /// More nodes, edges, conditions or thresholds than a real flow needs:
    /// refused before validating, whose cost grows with their product.
    #[error("the flow is larger than {MAX_NODES} nodes, {MAX_EDGES} edges, {MAX_CONDITIONS} conditions or {MAX_THRESHOLDS} thresholds of amount or score")]
    TooLarge,
}

/// The most nodes a flow template may have.
pub const MAX_NODES: usize = 50;
/// The most edges.
pub const MAX_EDGES: usize = 200;
/// The most conditions over all edges (each term of an `all` counts).
pub const MAX_CONDITIONS: usize = 1_000;
/// The most distinct amount thresholds, and the most distinct score ones.
pub const MAX_THRESHOLDS: usize = 32;

/// The node id of the automatic pre-screen in every flow.
pub const PRE_SCREEN_ID: &str = "pre_screen";

impl FlowError {
    /// Its [`ErrorCode`], which chooses the message the user reads.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::DuplicateNode { .. } => ErrorCode::FlowDuplicateNode,
            Self::UnknownNode { .. } => ErrorCode::FlowUnknownNode,
            Self::EndHasEdges { .. } => ErrorCode::FlowEndHasEdges,
            Self::OutcomeNotApplicable { .. } => ErrorCode::FlowOutcomeNotApplicable,
            Self::QuorumInvalid { .. } => ErrorCode::FlowQuorumInvalid,
            Self::EmptyFactSpace => ErrorCode::FlowEmptyFactSpace,
            Self::Unreachable { .. } => ErrorCode::FlowUnreachableNode,
            Self::DeadEnd { .. } => ErrorCode::FlowDeadEnd,
            Self::LoopWithoutExit { .. } => ErrorCode::FlowLoopWithoutExit,
            Self::ApprovalSkipped { .. } => ErrorCode::FlowApprovalSkipped,
            Self::PreScreenRenamed { .. } => ErrorCode::FlowPreScreenRenamed,
            Self::TooLarge => ErrorCode::FlowTooLarge,
        }
    }

    /// The node(s) to highlight in the flow designer.
    pub fn nodes(&self) -> Vec<&str> {
        match self {
            Self::DuplicateNode { node }
            | Self::UnknownNode { node }
            | Self::EndHasEdges { node }
            | Self::OutcomeNotApplicable { node, .. }
            | Self::QuorumInvalid { node }
            | Self::Unreachable { node }
            | Self::DeadEnd { node, .. }
            | Self::ApprovalSkipped { node, .. }
            | Self::PreScreenRenamed { node } => vec![node.as_str()],
            Self::LoopWithoutExit { nodes, .. } => nodes.iter().map(String::as_str).collect(),
            Self::EmptyFactSpace | Self::TooLarge => vec![],
        }
    }

    /// The same problem whatever example shows it.
    fn same_problem(&self, other: &FlowError) -> bool {
        let outcome = |e: &FlowError| match e {
            Self::DeadEnd { outcome, .. } => Some(*outcome),
            _ => None,
        };
        self.code() == other.code()
            && self.nodes() == other.nodes()
            && outcome(self) == outcome(other)
    }
}

/// Why an application cannot move on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Serialize, Deserialize)]
pub enum RouteError {
    #[error("there is no node called {node}")]
    UnknownNode { node: String },
    #[error("the application has already ended at {node}")]
    AtEnd { node: String },
    #[error("node {node} cannot have the outcome {}", outcome.as_str())]
    OutcomeNotApplicable { node: String, outcome: Outcome },
    /// Only for facts outside the [`FactSpace`] the flow was validated for.
    #[error("no route from {node} for this application")]
    NoRoute { node: String, outcome: Outcome },
}

impl RouteError {
    /// Its [`ErrorCode`], which chooses the message the user reads.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::UnknownNode { .. } => ErrorCode::RouteUnknownNode,
            Self::AtEnd { .. } => ErrorCode::RouteAtEnd,
            Self::OutcomeNotApplicable { .. } => ErrorCode::RouteOutcomeNotApplicable,
            Self::NoRoute { .. } => ErrorCode::RouteNoRoute,
        }
    }
}

/// A flow that passed [`FlowTemplate::validate`] for a [`FactSpace`]: the only
/// kind that routes applications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidFlow {
    template: FlowTemplate,
    space: FactSpace,
    #[serde(skip)]
    graph: Graph,
}

/// Node indices and, per node, its edges in priority order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Graph {
    start: usize,
    out: Vec<Vec<(Outcome, Condition, usize)>>,
}

impl Graph {
    /// The first matching edge's target: exactly what [`ValidFlow::route`] does.
    fn next(&self, node: usize, outcome: Outcome, f: &Facts) -> Option<usize> {
        self.out[node]
            .iter()
            .find(|(on, when, _)| *on == outcome && when.holds(f))
            .map(|&(_, _, to)| to)
    }
}

#[cfg(test)]
mod tests;
