//! Routing through a valid flow: its start, its nodes, where an application
//! made before flows rests, and the next node after an outcome.

use super::{
    EndState, FactSpace, Facts, FlowTemplate, Node, NodeKind, Outcome, RouteError, ValidFlow,
};
use crate::application::ApplicationStatus;

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
