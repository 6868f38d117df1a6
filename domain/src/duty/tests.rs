use super::opinion::*;
use super::pick::*;
use super::*;
use crate::org::Role;
use proptest::prelude::*;
use rstest::rstest;

use DutyMode::{Separated, SingleOfficer};
use Post::*;

fn held(list: &[(Post, &str)]) -> Vec<Assignment> {
    list.iter().map(|(p, s)| Assignment::new(*p, *s)).collect()
}

#[rstest]
// The investigator may not approve, in either mode.
#[case(Separated, &[(Investigation, "li")], "li", Approval, Some("duty_self_check"))]
#[case(SingleOfficer, &[(Investigation, "li")], "li", Approval, Some("duty_self_check"))]
// Nor may the marketer.
#[case(SingleOfficer, &[(Marketing, "li")], "li", Approval, Some("duty_self_check"))]
// The order of assignment does not matter.
#[case(SingleOfficer, &[(Approval, "li")], "li", Investigation, Some("duty_self_check"))]
// Reviewer is not the approver, approver not the disburser.
#[case(SingleOfficer, &[(Review, "li")], "li", Approval, Some("duty_self_check"))]
#[case(SingleOfficer, &[(Approval, "li")], "li", Disbursement, Some("duty_self_check"))]
// Two parallel approvers or investigators are distinct people.
#[case(SingleOfficer, &[(Approval, "li")], "li", Approval, Some("duty_same_person_parallel"))]
#[case(Separated, &[(Investigation, "li")], "li", Investigation, Some("duty_same_person_parallel"))]
// 包办制: the officer markets, investigates and does post-loan.
#[case(SingleOfficer, &[(Marketing, "li")], "li", Investigation, None)]
#[case(SingleOfficer, &[(Marketing, "li"), (Investigation, "li")], "li", PostLoan, None)]
// 三台六岗: not even that.
#[case(Separated, &[(Marketing, "li")], "li", Investigation, Some("duty_posts_not_separated"))]
#[case(Separated, &[(Marketing, "li")], "li", PostLoan, Some("duty_posts_not_separated"))]
// Other people's posts do not matter.
#[case(Separated, &[(Marketing, "wang"), (Investigation, "zhao")], "li", Approval, None)]
#[case(Separated, &[], "li", Approval, None)]
fn assignment_table(
    #[case] mode: DutyMode,
    #[case] so_far: &[(Post, &str)],
    #[case] who: &str,
    #[case] post: Post,
    #[case] expected: Option<&str>,
) {
    let got = check_assignment(mode, &held(so_far), who, post);
    assert_eq!(got.err().map(|e| e.code().as_str()), expected);
}

fn any_post() -> impl Strategy<Value = Post> {
    prop::sample::select(Post::ALL.to_vec())
}

fn any_mode() -> impl Strategy<Value = DutyMode> {
    prop::sample::select(DutyMode::ALL.to_vec())
}

proptest! {
    /// Whatever order posts are filled in, an application built only from
    /// accepted assignments never has one person on a checking post and any
    /// other post, never one person twice on a post, and under 三台六岗 never
    /// one person on two posts.
    #[test]
    fn accepted_assignments_keep_duties_apart(
        mode in any_mode(),
        attempts in prop::collection::vec((any_post(), 0u8..4), 0..30),
    ) {
        let mut so_far: Vec<Assignment> = Vec::new();
        for (post, person) in attempts {
            let person = format!("p{person}");
            if check_assignment(mode, &so_far, &person, post).is_ok() {
                so_far.push(Assignment::new(post, person));
            }
        }
        for (i, a) in so_far.iter().enumerate() {
            for b in &so_far[i + 1..] {
                if a.staff_id != b.staff_id {
                    continue;
                }
                prop_assert_ne!(a.post, b.post);
                prop_assert!(!a.post.is_checking() && !b.post.is_checking());
                prop_assert_eq!(mode, SingleOfficer);
            }
        }
    }
}

#[rstest]
#[case(1, Separated)]
#[case(10_000_000, SingleOfficer)]
#[case(10_000_001, Separated)]
fn duty_policy_by_amount(#[case] fen: i64, #[case] mode: DutyMode) {
    let p = DutyPolicy::single_officer_up_to(Fen(10_000_000));
    // Below the first band is still in it: "up to" includes everything under.
    let expected = if fen == 1 { SingleOfficer } else { mode };
    assert_eq!(p.mode_for(Fen(fen)), expected);
    assert_eq!(DutyPolicy::separated().mode_for(Fen(fen)), Separated);
}

#[test]
fn duty_policy_strictness() {
    let lax = DutyPolicy::single_officer_up_to(Fen(10_000_000));
    let stricter = DutyPolicy::single_officer_up_to(Fen(5_000_000));
    assert!(stricter.at_least_as_strict_as(&lax));
    assert!(!lax.at_least_as_strict_as(&stricter));
    assert!(DutyPolicy::separated().at_least_as_strict_as(&lax));
    assert!(!lax.at_least_as_strict_as(&DutyPolicy::separated()));
    assert!(lax.at_least_as_strict_as(&lax));
}

// --- back-to-back pick -----------------------------------------------------

fn staff(id: &str, role: Role, branch: &str) -> StaffCandidate {
    StaffCandidate {
        staff_id: id.into(),
        role,
        branch_code: branch.into(),
        workload: 0,
        workload_cap: 10,
        related_to_customer: false,
        was_marketer: false,
    }
}

fn investigation_request(count: usize) -> PickRequest {
    PickRequest {
        post: Investigation,
        role: Role::Investigator,
        branch_codes: vec!["B01".into()],
        count,
        mode: Separated,
        posts_so_far: held(&[(Marketing, "officer")]),
    }
}

#[test]
fn pick_records_every_exclusion_reason() {
    let mut busy = staff("busy", Role::Investigator, "B01");
    busy.workload = 10;
    let mut cousin = staff("cousin", Role::Investigator, "B02");
    cousin.related_to_customer = true;
    let mut officer = staff("officer", Role::Investigator, "B01");
    officer.was_marketer = true;
    let list = vec![
        staff("zhang", Role::Investigator, "B01"),
        staff("approver", Role::Approver, "B01"),
        busy,
        cousin,
        officer,
        staff("liu", Role::Investigator, "B01"),
    ];
    let pick = pick_back_to_back(&list, &investigation_request(2), 7).expect("two eligible");
    let mut picked = pick.picked.clone();
    picked.sort();
    assert_eq!(picked, vec!["liu".to_owned(), "zhang".to_owned()]);
    let reasons = |id: &str| -> Vec<&str> {
        let rec = pick
            .candidates
            .iter()
            .find(|c| c.staff_id == id)
            .expect("listed");
        rec.exclusions.iter().map(|e| e.code().as_str()).collect()
    };
    assert_eq!(reasons("approver"), vec!["pick_wrong_role"]);
    assert_eq!(reasons("busy"), vec!["pick_at_workload_cap"]);
    assert_eq!(
        reasons("cousin"),
        vec!["pick_other_branch", "pick_related_to_customer"]
    );
    assert_eq!(
        reasons("officer"),
        vec!["pick_was_marketer", "duty_posts_not_separated"]
    );
    assert_eq!(pick.candidates.len(), 6);
    assert_eq!(pick.seed, 7);
}

#[test]
fn pick_shortfall_still_lists_candidates() {
    let list = vec![
        staff("zhang", Role::Investigator, "B01"),
        staff("wang", Role::Investigator, "B09"),
    ];
    let err = pick_back_to_back(&list, &investigation_request(2), 1).expect_err("one eligible");
    assert_eq!(err.code(), ErrorCode::PickNotEnoughEligible);
    assert_eq!((err.needed, err.eligible), (2, 1));
    assert_eq!(err.candidates.len(), 2);
}

#[test]
fn a_staff_id_listed_twice_is_not_picked() {
    let list = vec![
        staff("zhang", Role::Investigator, "B01"),
        staff("zhang", Role::Investigator, "B01"),
    ];
    let err = pick_back_to_back(&list, &investigation_request(1), 3).expect_err("ambiguous");
    assert_eq!(err.eligible, 0);
    assert!(err
        .candidates
        .iter()
        .all(|c| c.exclusions == vec![Exclusion::DuplicateEntry]));
}

#[test]
fn every_eligible_person_gets_picked_sometimes_and_about_equally() {
    let list: Vec<StaffCandidate> = (0..4)
        .map(|i| staff(&format!("s{i}"), Role::Investigator, "B01"))
        .collect();
    let mut counts = [0u32; 4];
    for seed in 0..4000 {
        let pick = pick_back_to_back(&list, &investigation_request(1), seed).expect("eligible");
        let i: usize = pick.picked[0][1..].parse().expect("index");
        counts[i] += 1;
    }
    // 1000 expected each; ±15 % is over 9 standard deviations.
    for c in counts {
        assert!((850..=1150).contains(&c), "{counts:?}");
    }
}

#[test]
fn splitmix64_matches_the_reference_sequence() {
    // First outputs for seed 1234567 from the reference C implementation.
    let mut r = SplitMix64::new(1_234_567);
    assert_eq!(r.next_u64(), 6_457_827_717_110_365_317);
    assert_eq!(r.next_u64(), 3_203_168_211_198_807_973);
}

fn any_staff() -> impl Strategy<Value = Vec<StaffCandidate>> {
    prop::collection::vec(
        (
            0u8..12,
            prop::sample::select(vec![Role::Investigator, Role::Approver]),
            prop::sample::select(vec!["B01", "B02"]),
            0u32..4,
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(id, role, branch, workload, related, marketer)| {
                let mut s = staff(&format!("s{id}"), role, branch);
                s.workload = workload;
                s.workload_cap = 3;
                s.related_to_customer = related;
                s.was_marketer = marketer;
                s
            }),
        0..16,
    )
}

proptest! {
    #[test]
    fn picks_are_eligible_distinct_replayable_and_order_free(
        list in any_staff(),
        count in 1usize..4,
        seed in any::<u64>(),
    ) {
        let req = PickRequest {
            post: Approval,
            role: Role::Approver,
            branch_codes: vec![],
            count,
            mode: SingleOfficer,
            posts_so_far: held(&[(Investigation, "s1")]),
        };
        let first = pick_back_to_back(&list, &req, seed);
        let mut reversed = list.clone();
        reversed.reverse();
        prop_assert_eq!(&first, &pick_back_to_back(&reversed, &req, seed));
        match first {
            Ok(pick) => {
                prop_assert_eq!(pick.picked.len(), count);
                let mut ids = pick.picked.clone();
                ids.sort();
                ids.dedup();
                prop_assert_eq!(ids.len(), count);
                for rec in &pick.candidates {
                    prop_assert_eq!(rec.picked, pick.picked.contains(&rec.staff_id));
                    if rec.picked {
                        prop_assert!(rec.exclusions.is_empty());
                    }
                }
                for id in &pick.picked {
                    let s = list.iter().find(|s| &s.staff_id == id).expect("from the list");
                    prop_assert!(s.role == Role::Approver && s.workload < 3);
                    prop_assert!(!s.related_to_customer && !s.was_marketer && id != "s1");
                }
            }
            Err(short) => prop_assert!(short.eligible < count),
        }
    }

    #[test]
    fn below_stays_in_range(seed in any::<u64>(), n in 1u64..1000) {
        let mut r = SplitMix64::new(seed);
        for _ in 0..20 {
            prop_assert!(r.below(n) < n);
        }
    }
}

// --- sealed opinions ----------------------------------------------------------

fn opinion(verdict: Verdict) -> Opinion {
    Opinion {
        verdict,
        comment: String::new(),
    }
}

#[test]
fn opinions_are_hidden_until_all_are_in() {
    let mut o =
        SealedOpinions::new(OpinionRule::Unanimous, vec!["a".into(), "b".into()]).expect("valid");
    o.give("a", opinion(Verdict::Approve)).expect("assigned");
    assert_eq!(o.revealed(), None);
    assert_eq!(o.outcome(), None);
    assert_eq!(o.own("b"), None);
    assert!(o.own("a").is_some());
    assert_eq!(o.pending(), vec!["b"]);
    o.give("b", opinion(Verdict::Approve)).expect("assigned");
    assert_eq!(o.revealed().map(|v| v.len()), Some(2));
    assert_eq!(o.outcome(), Some(ParallelOutcome::Agreed(Verdict::Approve)));
}

#[rstest]
#[case(Verdict::Approve, Verdict::Reject, ParallelOutcome::Disagreement)]
#[case(Verdict::Reject, Verdict::Approve, ParallelOutcome::Disagreement)]
#[case(
    Verdict::Reject,
    Verdict::Reject,
    ParallelOutcome::Agreed(Verdict::Reject)
)]
fn back_to_back_disagreement_escalates(
    #[case] a: Verdict,
    #[case] b: Verdict,
    #[case] expected: ParallelOutcome,
) {
    let mut o =
        SealedOpinions::new(OpinionRule::Unanimous, vec!["a".into(), "b".into()]).expect("valid");
    o.give("a", opinion(a)).expect("assigned");
    o.give("b", opinion(b)).expect("assigned");
    assert_eq!(o.outcome(), Some(expected));
}

#[test]
fn committee_decides_by_quorum() {
    let members: Vec<String> = ["a", "b", "c", "d", "e"].map(String::from).to_vec();
    let mut o = SealedOpinions::new(OpinionRule::Quorum { quorum: 3 }, members).expect("valid");
    for (who, v) in [
        ("a", Verdict::Approve),
        ("b", Verdict::Reject),
        ("c", Verdict::Approve),
    ] {
        o.give(who, opinion(v)).expect("assigned");
    }
    assert_eq!(o.outcome(), None);
    o.give("d", opinion(Verdict::Reject)).expect("assigned");
    o.give("e", opinion(Verdict::Approve)).expect("assigned");
    assert_eq!(o.outcome(), Some(ParallelOutcome::Agreed(Verdict::Approve)));
}

#[rstest]
#[case(OpinionRule::Unanimous, &["a"], "opinion_too_few_people")]
#[case(OpinionRule::Unanimous, &["a", "a"], "opinion_duplicate_person")]
#[case(OpinionRule::Quorum { quorum: 1 }, &["a", "b", "c"], "opinion_quorum_invalid")]
#[case(OpinionRule::Quorum { quorum: 4 }, &["a", "b", "c"], "opinion_quorum_invalid")]
fn bad_opinion_setups(#[case] rule: OpinionRule, #[case] who: &[&str], #[case] code: &str) {
    let who = who.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(
        SealedOpinions::new(rule, who)
            .err()
            .map(|e| e.code().as_str()),
        Some(code)
    );
}

#[test]
fn only_the_assigned_give_one_opinion_each() {
    let mut o =
        SealedOpinions::new(OpinionRule::Unanimous, vec!["a".into(), "b".into()]).expect("valid");
    assert_eq!(
        o.give("x", opinion(Verdict::Approve))
            .err()
            .map(|e| e.code()),
        Some(ErrorCode::OpinionNotAssigned)
    );
    o.give("a", opinion(Verdict::Approve)).expect("assigned");
    assert_eq!(
        o.give("a", opinion(Verdict::Reject))
            .err()
            .map(|e| e.code()),
        Some(ErrorCode::OpinionAlreadyGiven)
    );
    assert_eq!(o.own("a").map(|o| o.verdict), Some(Verdict::Approve));
}
