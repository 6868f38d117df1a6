use super::version::*;
use super::*;
use crate::duty::{DutyMode, DutyPolicy};
use proptest::prelude::*;
use rstest::rstest;

/// A house-purchase loan like seed 000's parent product.
fn house_loan() -> ProductParams {
    ProductParams {
        amount: Bounds::new(Fen::from_yuan(50_000), Fen::from_yuan(3_000_000)),
        term_months: Bounds::new(12, 360),
        rate_bp: Bounds::new(350, 800),
        repayment_methods: vec![
            RepaymentMethod::EqualInstalment,
            RepaymentMethod::EqualPrincipal,
        ],
        guarantee_types: vec![GuaranteeType::Mortgage, GuaranteeType::Guarantor],
        target: TargetCustomers {
            region_codes: vec!["220100".into(), "220200".into()],
            branch_codes: vec![],
            age: Bounds::new(18, 65),
            occupations: vec![],
        },
        documents: vec![
            DocumentRequirement {
                code: "id_card".into(),
                label_zh: "身份证".into(),
                required: true,
            },
            DocumentRequirement {
                code: "purchase_contract".into(),
                label_zh: "购房合同".into(),
                required: true,
            },
            DocumentRequirement {
                code: "income_proof".into(),
                label_zh: "收入证明".into(),
                required: false,
            },
        ],
        investigation_fields: vec![FormField {
            key: "house_use".into(),
            label_zh: "房屋用途".into(),
            kind: FieldKind::Choice {
                options: vec!["self_use".into(), "rental".into()],
            },
            required: true,
        }],
        pricing: Pricing {
            base_rate_bp: 490,
            max_discount_bp: 100,
            max_markup_bp: 200,
        },
        revolving: false,
        rule_sets: BTreeMap::from([
            (DecisionStage::PreScreen, "house_pre".into()),
            (DecisionStage::Full, "house_full".into()),
        ]),
        flow: FlowRef {
            template_code: "house_standard".into(),
            version: 1,
        },
        duty: DutyPolicy::single_officer_up_to(Fen::from_yuan(200_000)),
        ltv_cap_bp: Some(7_000),
    }
}

fn policy() -> BankPolicy {
    BankPolicy {
        amount: Bounds::new(Fen::from_yuan(1_000), Fen::from_yuan(10_000_000)),
        term_months: Bounds::new(1, 360),
        rate_bp: Bounds::new(300, 2400),
        applicant_age: Bounds::new(18, 70),
    }
}

fn parent() -> ResolvedProduct {
    ResolvedProduct::root(house_loan(), &policy()).expect("a valid parent")
}

fn codes(errors: &[ProductError]) -> Vec<(&'static str, &'static str)> {
    errors
        .iter()
        .map(|e| (e.code().as_str(), e.field().as_str()))
        .collect()
}

#[test]
fn the_parent_is_valid() {
    assert_eq!(parent().params(), &house_loan());
}

#[rstest]
#[case::amount_inverted(
    |p: &mut ProductParams| p.amount = Bounds::new(Fen(500_000), Fen(100_000)),
    ("product_range_inverted", "amount"))]
#[case::term_inverted(
    |p: &mut ProductParams| p.term_months = Bounds::new(36, 12),
    ("product_range_inverted", "term_months"))]
#[case::rate_above_bank(
    |p: &mut ProductParams| p.rate_bp = Bounds::new(350, 3000),
    ("product_outside_bank_policy", "rate_bp"))]
#[case::amount_above_bank(
    |p: &mut ProductParams| p.amount.max = Fen::from_yuan(20_000_000),
    ("product_outside_bank_policy", "amount"))]
#[case::no_methods(
    |p: &mut ProductParams| p.repayment_methods.clear(),
    ("product_empty_list", "repayment_methods"))]
#[case::method_twice(
    |p: &mut ProductParams| p.repayment_methods.push(RepaymentMethod::EqualInstalment),
    ("product_duplicate_entry", "repayment_methods"))]
#[case::no_guarantee(
    |p: &mut ProductParams| p.guarantee_types.clear(),
    ("product_empty_list", "guarantee_types"))]
#[case::revolving_method_without_line(
    |p: &mut ProductParams| p.repayment_methods.push(RepaymentMethod::Revolving),
    ("product_revolving_method_without_line", "repayment_methods"))]
#[case::minors(
    |p: &mut ProductParams| p.target.age = Bounds::new(16, 65),
    ("product_outside_bank_policy", "age"))]
#[case::blank_region(
    |p: &mut ProductParams| p.target.region_codes.push(" ".into()),
    ("product_blank_entry", "region_codes"))]
#[case::document_twice(
    |p: &mut ProductParams| { let d = p.documents[0].clone(); p.documents.push(d); },
    ("product_duplicate_entry", "documents"))]
#[case::document_without_a_name(
    |p: &mut ProductParams| p.documents[0].label_zh = "  ".into(),
    ("product_blank_entry", "documents"))]
#[case::choice_without_options(
    |p: &mut ProductParams| p.investigation_fields[0].kind = FieldKind::Choice { options: vec![] },
    ("product_empty_list", "investigation_fields"))]
#[case::base_rate_outside(
    |p: &mut ProductParams| p.pricing.base_rate_bp = 900,
    ("product_base_rate_outside_range", "pricing"))]
#[case::discount_below_range(
    |p: &mut ProductParams| p.pricing.max_discount_bp = 200,
    ("product_adjustment_outside_range", "pricing"))]
#[case::markup_above_range(
    |p: &mut ProductParams| p.pricing.max_markup_bp = 400,
    ("product_adjustment_outside_range", "pricing"))]
#[case::blank_rule_set(
    |p: &mut ProductParams| { p.rule_sets.insert(DecisionStage::Full, "".into()); },
    ("product_blank_entry", "rule_sets"))]
#[case::no_flow(
    |p: &mut ProductParams| p.flow.template_code = " ".into(),
    ("product_missing_reference", "flow"))]
#[case::duty_bands_unordered(
    |p: &mut ProductParams| p.duty.bands = vec![
        crate::duty::DutyBand { up_to: Fen(900), mode: DutyMode::SingleOfficer },
        crate::duty::DutyBand { up_to: Fen(100), mode: DutyMode::Separated },
    ],
    ("product_duty_bands_unordered", "duty"))]
fn contradictions_are_refused(
    #[case] spoil: fn(&mut ProductParams),
    #[case] expected: (&str, &str),
) {
    let mut p = house_loan();
    spoil(&mut p);
    let errors = ResolvedProduct::root(p, &policy()).expect_err("refused");
    assert_eq!(codes(&errors), vec![expected]);
}

#[test]
fn every_problem_is_reported_at_once() {
    let mut p = house_loan();
    p.amount = Bounds::new(Fen(9), Fen(1));
    p.guarantee_types.clear();
    p.pricing.base_rate_bp = 100;
    let errors = ResolvedProduct::root(p, &policy()).expect_err("refused");
    assert_eq!(
        codes(&errors),
        vec![
            ("product_range_inverted", "amount"),
            ("product_empty_list", "guarantee_types"),
            ("product_base_rate_outside_range", "pricing"),
        ]
    );
}

#[test]
fn a_regional_sub_product_inherits_and_overrides() {
    // Like seed 000's eight house-loan sub-products: one per city.
    let child = ProductOverride {
        region_codes: Some(vec!["220200".into()]),
        amount: Some(Bounds::new(
            Fen::from_yuan(50_000),
            Fen::from_yuan(1_000_000),
        )),
        pricing: Some(Pricing {
            base_rate_bp: 450,
            max_discount_bp: 50,
            max_markup_bp: 100,
        }),
        ..ProductOverride::default()
    };
    let sub = resolve(&parent(), &child, &policy()).expect("narrower");
    let s = sub.params();
    assert_eq!(s.target.region_codes, vec!["220200".to_owned()]);
    assert_eq!(s.amount.max, Fen::from_yuan(1_000_000));
    assert_eq!(s.pricing.base_rate_bp, 450);
    // Everything not named comes from the parent.
    assert_eq!(s.term_months, house_loan().term_months);
    assert_eq!(s.guarantee_types, house_loan().guarantee_types);
    assert_eq!(s.flow, house_loan().flow);
    assert_eq!(s.documents, house_loan().documents);
}

#[rstest]
#[case("", Ok(vec![]))]
#[case("220102, 220122", Ok(vec!["220102".to_string(), "220122".to_string()]))]
#[case("220102，220122、 220183", Ok(vec!["220102".to_string(), "220122".to_string(), "220183".to_string()]))]
#[case("220102, 22O122", Err("22O122".to_string()))]
#[case("2201020", Err("2201020".to_string()))]
fn region_codes_are_six_digits(#[case] typed: &str, #[case] parsed: Result<Vec<String>, String>) {
    assert_eq!(parse_region_codes(typed), parsed);
}

#[test]
fn a_prefilled_form_keeps_only_what_was_changed() {
    let p = house_loan();
    let posted = ProductOverride {
        amount: Some(p.amount),
        term_months: Some(Bounds::new(24, p.term_months.max)),
        rate_bp: Some(p.rate_bp),
        guarantee_types: Some(p.guarantee_types.clone()),
        region_codes: Some(vec!["220200".into()]),
        documents: Some(p.documents.clone()),
        pricing: Some(p.pricing),
        ..ProductOverride::default()
    };
    assert_eq!(
        posted.changes_from(&p),
        ProductOverride {
            term_months: Some(Bounds::new(24, p.term_months.max)),
            region_codes: Some(vec!["220200".into()]),
            ..ProductOverride::default()
        }
    );
}

#[test]
fn an_empty_override_is_the_parent() {
    let sub = resolve(&parent(), &ProductOverride::default(), &policy()).expect("same");
    assert_eq!(sub, parent());
}

#[rstest]
#[case::amount(ProductOverride { amount: Some(Bounds::new(Fen::from_yuan(50_000), Fen::from_yuan(5_000_000))), ..Default::default() }, "amount")]
#[case::term(ProductOverride { term_months: Some(Bounds::new(6, 120)), ..Default::default() }, "term_months")]
#[case::rate(ProductOverride { rate_bp: Some(Bounds::new(300, 800)), pricing: Some(Pricing { base_rate_bp: 490, max_discount_bp: 0, max_markup_bp: 0 }), ..Default::default() }, "rate_bp")]
#[case::methods(ProductOverride { repayment_methods: Some(vec![RepaymentMethod::Bullet]), ..Default::default() }, "repayment_methods")]
#[case::guarantee(ProductOverride { guarantee_types: Some(vec![GuaranteeType::Credit]), ..Default::default() }, "guarantee_types")]
#[case::regions_to_anywhere(ProductOverride { region_codes: Some(vec![]), ..Default::default() }, "region_codes")]
#[case::other_region(ProductOverride { region_codes: Some(vec!["110000".into()]), ..Default::default() }, "region_codes")]
#[case::age(ProductOverride { age: Some(Bounds::new(18, 70)), ..Default::default() }, "age")]
#[case::drops_required_document(ProductOverride { documents: Some(vec![]), ..Default::default() }, "documents")]
#[case::bigger_markup(ProductOverride { pricing: Some(Pricing { base_rate_bp: 490, max_discount_bp: 100, max_markup_bp: 300 }), ..Default::default() }, "pricing")]
#[case::revolving(ProductOverride { revolving: Some(true), ..Default::default() }, "revolving")]
#[case::looser_duty(ProductOverride { duty: Some(DutyPolicy::single_officer_up_to(Fen::from_yuan(500_000))), ..Default::default() }, "duty")]
fn a_sub_product_may_not_widen_its_parent(#[case] child: ProductOverride, #[case] field: &str) {
    let errors = resolve(&parent(), &child, &policy()).expect_err("wider");
    assert_eq!(codes(&errors), vec![("product_widens_parent", field)]);
}

#[test]
fn a_sub_product_is_also_checked_on_its_own() {
    let child = ProductOverride {
        amount: Some(Bounds::new(
            Fen::from_yuan(900_000),
            Fen::from_yuan(100_000),
        )),
        ..Default::default()
    };
    let errors = resolve(&parent(), &child, &policy()).expect_err("inverted");
    assert_eq!(codes(&errors)[0], ("product_range_inverted", "amount"));
}

#[test]
fn a_sub_product_may_tighten_duty_and_drop_optional_papers() {
    let child = ProductOverride {
        duty: Some(DutyPolicy::separated()),
        documents: Some(house_loan().documents[..2].to_vec()),
        ..Default::default()
    };
    assert!(resolve(&parent(), &child, &policy()).is_ok());
}

#[rstest]
#[case("220100", "B01", 30, "farmer", true)]
#[case("110000", "B01", 30, "farmer", false)]
#[case("220100", "B01", 66, "farmer", false)]
#[case("220100", "B01", 17, "farmer", false)]
fn offered_only_to_target_customers(
    #[case] region: &str,
    #[case] branch: &str,
    #[case] age: u32,
    #[case] occupation: &str,
    #[case] offered: bool,
) {
    let a = Applicant {
        region_code: region.into(),
        branch_code: branch.into(),
        age,
        occupation: occupation.into(),
    };
    assert_eq!(parent().offered_to(&a), offered);
}

#[rstest]
#[case(0, 490)]
#[case(-100, 390)]
#[case(-500, 390)]
#[case(150, 640)]
#[case(900, 690)]
fn pricing_stays_within_its_bounds(#[case] adjustment: i32, #[case] rate: u32) {
    assert_eq!(house_loan().pricing.apply(adjustment), rate);
}

fn sub_bounds(outer: Bounds<u32>) -> impl Strategy<Value = Bounds<u32>> {
    (outer.min..=outer.max, outer.min..=outer.max)
        .prop_map(|(a, b)| Bounds::new(a.min(b), a.max(b)))
}

proptest! {
    /// Any override that stays inside the parent resolves, and the result
    /// lies inside the parent.
    #[test]
    fn narrowing_overrides_resolve(
        term in sub_bounds(Bounds::new(12, 360)),
        amount in sub_bounds(Bounds::new(50_000, 3_000_000)),
        methods in prop::sample::subsequence(house_loan().repayment_methods, 1..=2),
        guarantees in prop::sample::subsequence(house_loan().guarantee_types, 1..=2),
        age in sub_bounds(Bounds::new(18, 65)),
    ) {
        let child = ProductOverride {
            term_months: Some(term),
            amount: Some(Bounds::new(
                Fen::from_yuan(i64::from(amount.min)),
                Fen::from_yuan(i64::from(amount.max)),
            )),
            repayment_methods: Some(methods),
            guarantee_types: Some(guarantees),
            age: Some(age),
            ..Default::default()
        };
        let sub = resolve(&parent(), &child, &policy());
        prop_assert!(sub.is_ok(), "{:?}", sub);
        let sub = sub.expect("checked");
        let (s, p) = (sub.params(), house_loan());
        prop_assert!(s.amount.within(&p.amount) && s.term_months.within(&p.term_months));
        prop_assert!(s.target.age.within(&p.target.age));
    }

    /// Any term range reaching past the parent's is refused as widening.
    #[test]
    fn widening_terms_are_refused(min in 1u32..12, max in 12u32..=360) {
        let child = ProductOverride {
            term_months: Some(Bounds::new(min, max)),
            ..Default::default()
        };
        let errors = resolve(&parent(), &child, &policy()).expect_err("wider");
        prop_assert_eq!(codes(&errors), vec![("product_widens_parent", "term_months")]);
    }
}

// --- versions -----------------------------------------------------------------

#[rstest]
#[case(
    VersionStatus::Draft,
    VersionAction::Edit,
    true,
    Ok(VersionStatus::Draft)
)]
#[case(
    VersionStatus::Draft,
    VersionAction::Edit,
    false,
    Err("product_not_author")
)]
#[case(
    VersionStatus::Draft,
    VersionAction::Publish,
    true,
    Err("product_self_publish")
)]
#[case(
    VersionStatus::Draft,
    VersionAction::Publish,
    false,
    Ok(VersionStatus::Published)
)]
#[case(
    VersionStatus::Draft,
    VersionAction::Retire,
    false,
    Err("product_version_state_changed")
)]
#[case(
    VersionStatus::Published,
    VersionAction::Edit,
    true,
    Err("product_version_immutable")
)]
#[case(
    VersionStatus::Published,
    VersionAction::Publish,
    false,
    Err("product_version_state_changed")
)]
#[case(
    VersionStatus::Published,
    VersionAction::Retire,
    false,
    Ok(VersionStatus::Retired)
)]
#[case(
    VersionStatus::Retired,
    VersionAction::Edit,
    true,
    Err("product_version_immutable")
)]
#[case(
    VersionStatus::Retired,
    VersionAction::Publish,
    false,
    Err("product_version_state_changed")
)]
fn version_life_cycle(
    #[case] from: VersionStatus,
    #[case] action: VersionAction,
    #[case] by_author: bool,
    #[case] expected: Result<VersionStatus, &str>,
) {
    assert_eq!(
        version_transition(from, action, by_author).map_err(|e| e.code().as_str()),
        expected
    );
}

#[test]
fn retiring_strands_no_application() {
    for s in VersionStatus::ALL {
        if s.accepts_new_applications() {
            assert!(s.serves_open_applications());
        }
    }
    assert!(!VersionStatus::Retired.accepts_new_applications());
    assert!(VersionStatus::Retired.serves_open_applications());
    assert!(!VersionStatus::Draft.serves_open_applications());
}

#[rstest]
#[case("HOUSE-CC@3", Ok(("HOUSE-CC", 3)))]
#[case("agri_loan@12", Ok(("agri_loan", 12)))]
#[case("HOUSE@0", Err("product_version_invalid"))]
#[case("HOUSE@", Err("product_version_invalid"))]
#[case("HOUSE@+3", Err("product_version_invalid"))]
#[case("HOUSE", Err("product_version_invalid"))]
#[case("@3", Err("product_code_invalid"))]
#[case("房贷@3", Err("product_code_invalid"))]
fn version_ids(#[case] s: &str, #[case] expected: Result<(&str, u32), &str>) {
    let got = ProductVersionId::parse(s);
    assert_eq!(
        got.as_ref()
            .map(|id| (id.code(), id.version()))
            .map_err(|e| e.code().as_str()),
        expected
    );
    if let Ok(id) = got {
        assert_eq!(id.to_string(), s);
        let json = serde_json::to_string(&id).expect("serialises");
        assert_eq!(json, format!("\"{s}\""));
        assert_eq!(
            serde_json::from_str::<ProductVersionId>(&json).ok(),
            Some(id.clone())
        );
        assert_eq!(id.next().version(), id.version() + 1);
    }
}

#[test]
fn the_applicant_chooses_only_what_the_product_offers() {
    use RepaymentMethod as M;
    let offered = [M::EqualInstalment, M::EqualPrincipal];
    assert_eq!(choose(&offered, None), Some(M::EqualInstalment));
    assert_eq!(
        choose(&offered, Some(M::EqualPrincipal)),
        Some(M::EqualPrincipal)
    );
    assert_eq!(choose(&offered, Some(M::Bullet)), None);
    assert_eq!(choose::<M>(&[], None), None);
}

#[test]
fn a_version_applies_its_changes_and_the_narrowing_check_reads_them() {
    let base = house_loan();
    let changes = ProductOverride {
        repayment_methods: Some(vec![RepaymentMethod::Bullet]),
        age: Some(Bounds::new(20, 60)),
        ..ProductOverride::default()
    };
    let next = changes.apply_to(&base);
    assert_eq!(next.repayment_methods, vec![RepaymentMethod::Bullet]);
    assert_eq!(next.target.age, Bounds::new(20, 60));
    assert_eq!(next.amount, base.amount);
    // What changed, and only that, comes back out against the base.
    assert_eq!(
        ProductOverride::default().apply_to(&base),
        base,
        "no change is the same product"
    );
    assert_eq!(changes.clone().changes_from(&base), changes);
    // A sub-product with the old methods no longer fits inside `next`.
    let widened = check_narrows(&next, &base);
    assert!(widened.contains(&ProductError::WidensParent {
        field: ProductField::RepaymentMethods
    }));
}

#[test]
fn a_sub_product_may_lower_the_ltv_cap_but_not_raise_or_drop_it() {
    let parent = parent();
    let lower = ProductOverride {
        ltv_cap_bp: Some(Some(6_000)),
        ..ProductOverride::default()
    };
    assert!(resolve(&parent, &lower, &policy()).is_ok());
    for wider in [Some(8_000), None] {
        let o = ProductOverride {
            ltv_cap_bp: Some(wider),
            ..ProductOverride::default()
        };
        let errors = resolve(&parent, &o, &policy()).unwrap_err();
        assert!(errors.contains(&ProductError::WidensParent {
            field: ProductField::LtvCap
        }));
    }
    let mut zero = house_loan();
    zero.ltv_cap_bp = Some(0);
    assert!(
        check_params(&zero, &policy()).contains(&ProductError::OutsideBankPolicy {
            field: ProductField::LtvCap
        })
    );
}
