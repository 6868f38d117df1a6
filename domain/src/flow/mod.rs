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

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::application::ApplicationStatus;
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

impl NodeKind {
    /// Stable snake_case code of the kind (without its mode), for labels
    /// and the task table.
    pub fn code(self) -> &'static str {
        match self {
            NodeKind::PreScreen => "pre_screen",
            NodeKind::Admission => "admission",
            NodeKind::DocumentCollection => "document_collection",
            NodeKind::Investigation { .. } => "investigation",
            NodeKind::Review => "review",
            NodeKind::Approval { .. } => "approval",
            NodeKind::ContractSigning => "contract_signing",
            NodeKind::CollateralRegistration => "collateral_registration",
            NodeKind::Disbursement => "disbursement",
            NodeKind::End { .. } => "end",
        }
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

impl FlowTemplate {
    /// Checks a template a product runs: it must be a sound template for
    /// every application ([`FactSpace::everything`]), and for the product's
    /// own applications (`product`) no dead end, endless loop or skipped
    /// approval. A branch the product never takes (e.g. "above 500,000
    /// yuan" on a product that stops at 300,000) is allowed: a template is
    /// shared by products of different sizes.
    pub fn validate_for_product(self, product: &FactSpace) -> Result<ValidFlow, Vec<FlowError>> {
        let narrow = self.clone().validate(product);
        let valid = self.validate(&FactSpace::everything())?;
        match narrow {
            Ok(_) => Ok(valid),
            Err(errors) => {
                let real: Vec<FlowError> = errors
                    .into_iter()
                    .filter(|e| !matches!(e, FlowError::Unreachable { .. }))
                    .collect();
                if real.is_empty() {
                    Ok(valid)
                } else {
                    Err(real)
                }
            }
        }
    }

    /// Checks the template for every application in `space`, reporting every
    /// problem found (each once, with the first example application).
    pub fn validate(self, space: &FactSpace) -> Result<ValidFlow, Vec<FlowError>> {
        if self.nodes.len() > MAX_NODES
            || self.edges.len() > MAX_EDGES
            || self.edges.iter().map(|e| e.when.size()).sum::<usize>() > MAX_CONDITIONS
        {
            return Err(vec![FlowError::TooLarge]);
        }
        let (mut amounts, mut scores) = (Vec::new(), Vec::new());
        for e in &self.edges {
            e.when.thresholds(&mut amounts, &mut scores);
        }
        let distinct = |mut v: Vec<i64>| {
            v.sort_unstable();
            v.dedup();
            v.len()
        };
        if distinct(amounts.iter().map(|f| f.get()).collect()) > MAX_THRESHOLDS
            || distinct(scores.iter().map(|s| i64::from(*s)).collect()) > MAX_THRESHOLDS
        {
            return Err(vec![FlowError::TooLarge]);
        }
        let graph = self.structure()?;
        let mut errors: Vec<FlowError> = Vec::new();
        if space.guarantees.is_empty() || space.amount.min > space.amount.max {
            return Err(vec![FlowError::EmptyFactSpace]);
        }
        let n = self.nodes.len();
        let mut ever_reached = vec![false; n];
        for facts in space.representatives(&amounts, &scores) {
            for e in self.check_one(&graph, &facts, &mut ever_reached) {
                if !errors.iter().any(|x| x.same_problem(&e)) {
                    errors.push(e);
                }
            }
        }
        for (i, node) in self.nodes.iter().enumerate() {
            if !ever_reached[i] {
                errors.push(FlowError::Unreachable {
                    node: node.id.clone(),
                });
            }
        }
        if errors.is_empty() {
            Ok(ValidFlow {
                template: self,
                space: space.clone(),
                graph,
            })
        } else {
            Err(errors)
        }
    }

    /// Names, endpoints, outcomes and quorums; builds the graph.
    fn structure(&self) -> Result<Graph, Vec<FlowError>> {
        let mut errors = Vec::new();
        for (i, node) in self.nodes.iter().enumerate() {
            if self.nodes[..i].iter().any(|m| m.id == node.id) {
                errors.push(FlowError::DuplicateNode {
                    node: node.id.clone(),
                });
            }
            if node.kind == NodeKind::PreScreen && node.id != PRE_SCREEN_ID {
                errors.push(FlowError::PreScreenRenamed {
                    node: node.id.clone(),
                });
            }
            if let NodeKind::Approval {
                mode: ApprovalMode::Committee { members, quorum },
            } = node.kind
            {
                if !crate::duty::opinion::quorum_is_valid(members, quorum) {
                    errors.push(FlowError::QuorumInvalid {
                        node: node.id.clone(),
                    });
                }
            }
        }
        let index = |id: &str| self.nodes.iter().position(|m| m.id == id);
        let unknown = |id: &str, errors: &mut Vec<FlowError>| {
            let e = FlowError::UnknownNode {
                node: id.to_owned(),
            };
            if index(id).is_none() && !errors.contains(&e) {
                errors.push(e);
            }
        };
        unknown(&self.start, &mut errors);
        for e in &self.edges {
            unknown(&e.from, &mut errors);
            unknown(&e.to, &mut errors);
        }
        let mut out = vec![Vec::new(); self.nodes.len()];
        for e in &self.edges {
            let (Some(from), Some(to)) = (index(&e.from), index(&e.to)) else {
                continue;
            };
            let kind = self.nodes[from].kind;
            if let NodeKind::End { .. } = kind {
                let err = FlowError::EndHasEdges {
                    node: e.from.clone(),
                };
                if !errors.contains(&err) {
                    errors.push(err);
                }
            } else if !kind.outcomes().contains(&e.on) {
                errors.push(FlowError::OutcomeNotApplicable {
                    node: e.from.clone(),
                    outcome: e.on,
                });
            }
            out[from].push((e.on, e.when.clone(), to));
        }
        match index(&self.start) {
            Some(start) if errors.is_empty() => Ok(Graph { start, out }),
            _ => Err(errors),
        }
    }

    /// The graph problems for one representative application.
    fn check_one(&self, g: &Graph, f: &Facts, ever_reached: &mut [bool]) -> Vec<FlowError> {
        let n = self.nodes.len();
        let id = |i: usize| self.nodes[i].id.clone();
        let kind = |i: usize| self.nodes[i].kind;
        let succ = |i: usize| -> Vec<usize> {
            kind(i)
                .outcomes()
                .iter()
                .filter_map(|&o| g.next(i, o, f))
                .collect()
        };
        let mut errors = Vec::new();

        let reached = reach(n, g.start, succ);
        for i in 0..n {
            ever_reached[i] |= reached[i];
        }

        let mut dead = vec![false; n];
        for i in (0..n).filter(|&i| reached[i]) {
            for &o in kind(i).outcomes() {
                if g.next(i, o, f).is_none() {
                    dead[i] = true;
                    errors.push(FlowError::DeadEnd {
                        node: id(i),
                        outcome: o,
                        example: *f,
                    });
                }
            }
        }

        // Nodes from which some sequence of outcomes reaches an end.
        let mut finishes: Vec<bool> = (0..n)
            .map(|i| matches!(kind(i), NodeKind::End { .. }))
            .collect();
        let mut changed = true;
        while changed {
            changed = false;
            for i in 0..n {
                if !finishes[i] && succ(i).iter().any(|&j| finishes[j]) {
                    finishes[i] = true;
                    changed = true;
                }
            }
        }
        let trapped: Vec<bool> = (0..n).map(|i| reached[i] && !finishes[i]).collect();
        let in_loop: Vec<String> = (0..n)
            .filter(|&i| trapped[i] && !dead[i])
            .filter(|&i| {
                // On a cycle: i can come back to itself through trapped nodes.
                succ(i).into_iter().any(|j| {
                    trapped[j]
                        && reach(n, j, |k| {
                            succ(k).into_iter().filter(|&m| trapped[m]).collect()
                        })[i]
                })
            })
            .map(id)
            .collect();
        if !in_loop.is_empty() {
            errors.push(FlowError::LoopWithoutExit {
                nodes: in_loop,
                example: *f,
            });
        }

        // Money or credit must not be reachable without an approval's Pass.
        let unapproved = reach(n, g.start, |i| {
            kind(i)
                .outcomes()
                .iter()
                .filter(|&&o| !(kind(i).is_approval() && o == Outcome::Pass))
                .filter_map(|&o| g.next(i, o, f))
                .collect()
        });
        for i in (0..n).filter(|&i| unapproved[i] && kind(i).grants()) {
            errors.push(FlowError::ApprovalSkipped {
                node: id(i),
                example: *f,
            });
        }
        errors
    }
}

/// Which nodes can be reached from `from` (including itself).
fn reach(n: usize, from: usize, succ: impl Fn(usize) -> Vec<usize>) -> Vec<bool> {
    let mut seen = vec![false; n];
    let mut stack = vec![from];
    seen[from] = true;
    while let Some(i) = stack.pop() {
        for j in succ(i) {
            if !seen[j] {
                seen[j] = true;
                stack.push(j);
            }
        }
    }
    seen
}

impl ValidFlow {
    pub fn template(&self) -> &FlowTemplate {
        &self.template
    }

    /// The applications this flow was checked for.
    pub fn space(&self) -> &FactSpace {
        &self.space
    }

    /// Where every application starts.
    pub fn start(&self) -> &Node {
        &self.template.nodes[self.graph.start]
    }

    pub fn node(&self, id: &str) -> Option<&Node> {
        self.template.nodes.iter().find(|n| n.id == id)
    }

    /// Where an application made before flows rests in this flow, from the
    /// status it reached without one, following the "pass" edges from the
    /// start: an open file waiting for its investigation at the first
    /// investigation (else the first node worked by people), an
    /// investigated one at the first review or approval, an approved one at
    /// the end the passes lead to, a rejected one at a rejection end, a
    /// withdrawn one where its investigation was. `None` when the flow has
    /// no such place (a flow without a rejection end, say).
    pub fn resting_place(&self, status: ApplicationStatus, facts: &Facts) -> Option<&Node> {
        use ApplicationStatus as S;
        if status == S::Rejected {
            return self.template.nodes.iter().find(|n| {
                n.kind
                    == NodeKind::End {
                        state: EndState::Rejected,
                    }
            });
        }
        let path = self.pass_path(facts);
        let first =
            |wanted: &dyn Fn(NodeKind) -> bool| path.iter().copied().find(|n| wanted(n.kind));
        match status {
            S::Submitted | S::Withdrawn => first(&|k| matches!(k, NodeKind::Investigation { .. }))
                .or_else(|| first(&|k| k.post().is_some())),
            S::Investigated => {
                first(&|k| matches!(k, NodeKind::Review | NodeKind::Approval { .. }))
            }
            S::Approved => first(&|k| {
                matches!(
                    k,
                    NodeKind::End {
                        state: EndState::Approved | EndState::Disbursed
                    }
                )
            }),
            S::Rejected => None,
        }
    }

    /// The nodes an application passes through when every node passes, from
    /// the start to an end (or until a node repeats).
    fn pass_path(&self, facts: &Facts) -> Vec<&Node> {
        let mut path = vec![self.start()];
        while let Some(last) = path.last() {
            let Ok(next) = self.route(&last.id, Outcome::Pass, facts) else {
                break;
            };
            if path.iter().any(|n| n.id == next.id) {
                break;
            }
            path.push(next);
        }
        path
    }

    /// The next node after `current` ended with `outcome`, for an application
    /// with these facts: the first matching edge, so always the same answer
    /// for the same input.
    pub fn route(
        &self,
        current: &str,
        outcome: Outcome,
        facts: &Facts,
    ) -> Result<&Node, RouteError> {
        let i = self
            .template
            .nodes
            .iter()
            .position(|n| n.id == current)
            .ok_or_else(|| RouteError::UnknownNode {
                node: current.to_owned(),
            })?;
        let kind = self.template.nodes[i].kind;
        if let NodeKind::End { .. } = kind {
            return Err(RouteError::AtEnd {
                node: current.to_owned(),
            });
        }
        if !kind.outcomes().contains(&outcome) {
            return Err(RouteError::OutcomeNotApplicable {
                node: current.to_owned(),
                outcome,
            });
        }
        self.graph
            .next(i, outcome, facts)
            .map(|j| &self.template.nodes[j])
            .ok_or_else(|| RouteError::NoRoute {
                node: current.to_owned(),
                outcome,
            })
    }
}

#[cfg(test)]
mod tests;
