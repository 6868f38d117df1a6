//! The flow templates every bank starts with, and the parameters of a
//! product made before the product factory (its first version).

use std::collections::BTreeMap;

use domain::duty::DutyPolicy;
use domain::flow::{
    ApprovalMode, Condition, Edge, EndState, FlowTemplate, InvestigationMode, Node, NodeKind,
    Outcome,
};
use domain::money::Fen;
use domain::product::{
    Bounds, DocumentRequirement, FieldKind, FlowRef, FormField, GuaranteeType, Pricing,
    ProductParams, TargetCustomers,
};
use domain::rules::lifecycle::DecisionStage;
use domain::schedule::RepaymentMethod;

/// A starter template: its code, names and body.
pub struct Starter {
    pub code: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    pub body: FlowTemplate,
}

fn node(id: &str, kind: NodeKind, sla_hours: Option<u32>) -> Node {
    Node {
        id: id.to_string(),
        kind,
        sla_hours,
    }
}

fn edge(from: &str, on: Outcome, to: &str) -> Edge {
    Edge {
        from: from.to_string(),
        on,
        when: Condition::Always,
        to: to.to_string(),
    }
}

fn edge_if(from: &str, on: Outcome, when: Condition, to: &str) -> Edge {
    Edge {
        from: from.to_string(),
        on,
        when,
        to: to.to_string(),
    }
}

/// Where an approval leads: the contract step.
const GRANTED: &str = "contract";

/// Pre-screen, investigation, then `approval` nodes in a chain, then the
/// contract, the payout and the end; every rejection ends the application. `extra` edges go first (priority).
fn chain(code: &str, approvals: Vec<Node>, extra: Vec<Edge>, tail: Vec<Edge>) -> FlowTemplate {
    let mut nodes = vec![
        node("pre_screen", NodeKind::PreScreen, None),
        node(
            "investigation",
            NodeKind::Investigation {
                mode: InvestigationMode::Single,
            },
            Some(48),
        ),
    ];
    nodes.extend(approvals);
    // After approval: the customer signs the contract, the desk pays out.
    nodes.push(node(GRANTED, NodeKind::ContractSigning, Some(72)));
    nodes.push(node("disbursement", NodeKind::Disbursement, Some(24)));
    nodes.push(node(
        "disbursed",
        NodeKind::End {
            state: EndState::Disbursed,
        },
        None,
    ));
    nodes.push(node(
        "rejected",
        NodeKind::End {
            state: EndState::Rejected,
        },
        None,
    ));
    let mut edges = vec![
        edge("pre_screen", Outcome::Pass, "investigation"),
        edge("pre_screen", Outcome::Reject, "rejected"),
        edge("investigation", Outcome::Reject, "rejected"),
    ];
    edges.extend(extra);
    edges.extend(tail);
    edges.push(edge(GRANTED, Outcome::Pass, "disbursement"));
    edges.push(edge("disbursement", Outcome::Pass, "disbursed"));
    FlowTemplate {
        code: code.to_string(),
        start: "pre_screen".to_string(),
        nodes,
        edges,
    }
}

/// 标准审批: one approver; above 500,000 yuan a second approver after the first.
pub fn standard() -> FlowTemplate {
    let big = Condition::AmountAbove {
        fen: Fen::from_yuan(500_000),
    };
    chain(
        "standard",
        vec![
            node(
                "approval",
                NodeKind::Approval {
                    mode: ApprovalMode::Single,
                },
                Some(24),
            ),
            node(
                "approval_2",
                NodeKind::Approval {
                    mode: ApprovalMode::Single,
                },
                Some(24),
            ),
        ],
        vec![edge("investigation", Outcome::Pass, "approval")],
        vec![
            edge_if("approval", Outcome::Pass, big, "approval_2"),
            edge("approval", Outcome::Pass, GRANTED),
            edge("approval", Outcome::Reject, "rejected"),
            edge("approval_2", Outcome::Pass, GRANTED),
            edge("approval_2", Outcome::Reject, "rejected"),
        ],
    )
}

/// 双人背对背审批: two approvers picked at random decide apart; a disagreement
/// goes to the loan committee (贷审会, three members, two to approve).
pub fn dual_approval() -> FlowTemplate {
    chain(
        "dual_approval",
        vec![
            node(
                "approval",
                NodeKind::Approval {
                    mode: ApprovalMode::BackToBack,
                },
                Some(24),
            ),
            node(
                "committee",
                NodeKind::Approval {
                    mode: ApprovalMode::Committee {
                        members: 3,
                        quorum: 2,
                    },
                },
                Some(72),
            ),
        ],
        vec![edge("investigation", Outcome::Pass, "approval")],
        vec![
            edge("approval", Outcome::Pass, GRANTED),
            edge("approval", Outcome::Reject, "rejected"),
            edge("approval", Outcome::Escalate, "committee"),
            edge("committee", Outcome::Pass, GRANTED),
            edge("committee", Outcome::Reject, "rejected"),
        ],
    )
}

/// 审查后审批: a reviewer checks the file before one approver decides.
pub fn reviewed() -> FlowTemplate {
    chain(
        "reviewed",
        vec![
            node("review", NodeKind::Review, Some(24)),
            node(
                "approval",
                NodeKind::Approval {
                    mode: ApprovalMode::Single,
                },
                Some(24),
            ),
        ],
        vec![edge("investigation", Outcome::Pass, "review")],
        vec![
            edge("review", Outcome::Pass, "approval"),
            edge("review", Outcome::Reject, "rejected"),
            edge("approval", Outcome::Pass, GRANTED),
            edge("approval", Outcome::Reject, "rejected"),
        ],
    )
}

/// Every bank's starter library.
pub fn starters() -> Vec<Starter> {
    vec![
        Starter {
            code: "standard",
            name_zh: "标准审批（50万元以上加审）",
            name_en: "Standard (second approver above 500,000 yuan)",
            body: standard(),
        },
        Starter {
            code: "dual_approval",
            name_zh: "双人背对背审批",
            name_en: "Two approvers, back-to-back",
            body: dual_approval(),
        },
        Starter {
            code: "reviewed",
            name_zh: "审查后审批",
            name_en: "Review, then approval",
            body: reviewed(),
        },
    ]
}

/// What a product made before the factory is, as its first version:
/// the stored ranges and rate, the standard flow, 包办制 up to 300,000 yuan.
pub struct LegacyProduct<'a> {
    pub code: &'a str,
    pub min_amount: Fen,
    pub max_amount: Fen,
    pub min_term: u32,
    pub max_term: u32,
    pub rate_bp: u32,
    pub method: RepaymentMethod,
    pub guarantee: GuaranteeType,
}

pub fn legacy_params(p: &LegacyProduct<'_>) -> ProductParams {
    let mut documents = vec![
        DocumentRequirement {
            code: "id_card".into(),
            label_zh: "居民身份证".into(),
            required: true,
        },
        DocumentRequirement {
            code: "household_register".into(),
            label_zh: "户口簿".into(),
            required: true,
        },
    ];
    match p.guarantee {
        GuaranteeType::Mortgage => documents.push(DocumentRequirement {
            code: "property_deed".into(),
            label_zh: "房产证明（宅基地使用权证）".into(),
            required: true,
        }),
        GuaranteeType::Guarantor => documents.push(DocumentRequirement {
            code: "guarantor_id".into(),
            label_zh: "担保人身份证".into(),
            required: true,
        }),
        GuaranteeType::Pledge => documents.push(DocumentRequirement {
            code: "pledge_certificate".into(),
            label_zh: "质押物权属证明".into(),
            required: true,
        }),
        GuaranteeType::Credit => {}
    }
    let rule_sets: BTreeMap<DecisionStage, String> = DecisionStage::ALL
        .into_iter()
        .map(|s| (s, p.code.to_string()))
        .collect();
    let discount = 100.min(p.rate_bp.saturating_sub(1));
    ProductParams {
        amount: Bounds::new(p.min_amount, p.max_amount),
        term_months: Bounds::new(p.min_term, p.max_term),
        rate_bp: Bounds::new(p.rate_bp - discount, p.rate_bp + 200),
        repayment_methods: vec![p.method],
        guarantee_types: vec![p.guarantee],
        target: TargetCustomers {
            region_codes: Vec::new(),
            branch_codes: Vec::new(),
            age: Bounds::new(18, 65),
            occupations: Vec::new(),
        },
        documents,
        investigation_fields: vec![
            FormField {
                key: "household_income".into(),
                label_zh: "家庭年收入".into(),
                kind: FieldKind::Money,
                required: true,
            },
            FormField {
                key: "household_assets".into(),
                label_zh: "家庭资产".into(),
                kind: FieldKind::Money,
                required: true,
            },
            FormField {
                key: "household_debts".into(),
                label_zh: "家庭负债".into(),
                kind: FieldKind::Money,
                required: true,
            },
        ],
        pricing: Pricing {
            base_rate_bp: p.rate_bp,
            max_discount_bp: discount,
            max_markup_bp: 200,
        },
        revolving: false,
        rule_sets,
        flow: FlowRef {
            template_code: "standard".into(),
            version: 1,
        },
        duty: DutyPolicy::single_officer_up_to(Fen::from_yuan(300_000)),
        ltv_cap_bp: None,
    }
}

/// Where a new top-level product starts before the product manager's form
/// is applied: the bank's standard papers (ID card, household register)
/// and investigation form (household income, assets and debts), applicants
/// 18 to 65, every decision stage on rule sets of its own code, and duties
/// separated (三台六岗) for every amount. The form gives the amount, term,
/// rate, pricing, methods and guarantee types.
pub fn starting_params(code: &str) -> ProductParams {
    let mut p = legacy_params(&LegacyProduct {
        code,
        min_amount: Fen(1),
        max_amount: Fen(1),
        min_term: 1,
        max_term: 1,
        rate_bp: 435,
        method: RepaymentMethod::EqualInstalment,
        guarantee: GuaranteeType::Credit,
    });
    p.duty = DutyPolicy::separated();
    p
}
