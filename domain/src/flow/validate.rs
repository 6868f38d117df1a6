//! Validating a template: its structure, then every combination of facts
//! the product can receive (see the module's doc) for dead ends, loops
//! without an exit, unreachable nodes and skipped approvals.

use super::{
    ApprovalMode, FactSpace, Facts, FlowError, FlowTemplate, Graph, NodeKind, Outcome, ValidFlow,
    MAX_CONDITIONS, MAX_EDGES, MAX_NODES, MAX_THRESHOLDS, PRE_SCREEN_ID,
};

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
    pub(super) fn structure(&self) -> Result<Graph, Vec<FlowError>> {
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
