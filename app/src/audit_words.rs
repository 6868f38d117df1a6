//! The audit log in words: each action code and kind of record as a member
//! of staff reads it, in both languages. The codes stay beside the words on
//! the audit page (an auditor searches by them); a code missing here shows
//! as itself, and a test keeps every code the service writes in the table.

use crate::i18n::Locale;

/// (action code, Chinese, English).
const ACTIONS: &[(&str, &str, &str)] = &[
    (
        "application.approved",
        "申请审批通过",
        "Application approved",
    ),
    (
        "application.flow_adopted",
        "申请纳入审批流程",
        "Application placed on its flow",
    ),
    (
        "application.flows_adopted",
        "存量申请纳入审批流程",
        "Earlier applications placed on their flows",
    ),
    (
        "application.investigated",
        "完成贷前调查",
        "Investigation recorded",
    ),
    ("application.rejected", "申请被拒绝", "Application rejected"),
    ("application.routed", "申请流转", "Application routed"),
    (
        "application.screened_out",
        "预审未通过",
        "Application screened out",
    ),
    (
        "application.submitted",
        "提交贷款申请",
        "Application submitted",
    ),
    (
        "bureau.authorisation_recorded",
        "记录征信查询授权",
        "Credit inquiry authorisation recorded",
    ),
    ("bureau.inquired", "查询征信", "Credit bureau queried"),
    (
        "credit_line.cancelled",
        "授信额度注销",
        "Credit line cancelled",
    ),
    ("credit_line.drawn", "额度用信", "Drawdown on a credit line"),
    ("credit_line.expired", "授信额度到期", "Credit line expired"),
    ("credit_line.frozen", "授信额度冻结", "Credit line frozen"),
    ("credit_line.granted", "授信", "Credit line granted"),
    (
        "credit_line.limit_adjusted",
        "调整授信额度",
        "Credit limit adjusted",
    ),
    (
        "credit_line.transferred",
        "额度移交",
        "Credit line transferred",
    ),
    (
        "credit_line.unfrozen",
        "授信额度解冻",
        "Credit line unfrozen",
    ),
    (
        "credit_offer.accepted",
        "客户接受额度邀约",
        "Credit offer accepted",
    ),
    (
        "credit_offer.declined",
        "客户拒绝额度邀约",
        "Credit offer declined",
    ),
    ("credit_offer.made", "发出额度邀约", "Credit offer made"),
    (
        "credit_offer.made_in_bulk",
        "批量发出额度邀约",
        "Credit offers made in bulk",
    ),
    (
        "credit_offer.withdrawn",
        "撤回额度邀约",
        "Credit offer withdrawn",
    ),
    ("customer.login", "客户登录", "Customer signed in"),
    (
        "customer.login_failed",
        "客户登录失败",
        "Customer sign-in failed",
    ),
    (
        "customer.viewed",
        "查看客户画像",
        "Customer portrait viewed",
    ),
    ("decision.made", "决策引擎决策", "Decision made"),
    (
        "demo.rule_sets_seeded",
        "载入演示规则集",
        "Demo rule sets loaded",
    ),
    ("demo.seeded", "载入演示数据", "Demo bank loaded"),
    ("eod.completed", "日终跑批完成", "End of day completed"),
    ("eod.started", "日终跑批开始", "End of day started"),
    ("flow_template.saved", "保存流程模板", "Flow template saved"),
    ("loan.created", "贷款入账", "Loan booked"),
    ("loan.repaid", "还款入账", "Repayment posted"),
    (
        "login.address_blocked",
        "登录来源地址被限制",
        "Sign-ins from an address blocked",
    ),
    ("organisation.created", "新建机构", "Organisation created"),
    ("otp.sent", "发送短信验证码", "Sign-in code sent"),
    ("payment.failed", "支付失败", "Payment failed"),
    ("payment.refunded", "支付退款", "Payment refunded"),
    ("payment.requested", "发起支付", "Payment requested"),
    (
        "pfi.resealed",
        "个人金融信息重新加密",
        "Personal information re-sealed",
    ),
    (
        "precredit.bureau_pulled",
        "批量查询征信",
        "Credit reports pulled in bulk",
    ),
    (
        "precredit.cancel_requested",
        "请求取消预授信任务",
        "Pre-credit job cancellation requested",
    ),
    (
        "precredit.chunk_committed",
        "预授信批次完成",
        "Pre-credit chunk written",
    ),
    (
        "precredit.job_created",
        "新建预授信任务",
        "Pre-credit job created",
    ),
    (
        "precredit.job_started",
        "预授信任务开始",
        "Pre-credit job started",
    ),
    (
        "precredit.pause_requested",
        "请求暂停预授信任务",
        "Pre-credit job pause requested",
    ),
    (
        "precredit.resumed",
        "继续预授信任务",
        "Pre-credit job resumed",
    ),
    (
        "precredit.whitelist_imported",
        "导入白名单",
        "Whitelist imported",
    ),
    ("product.drafted", "产品草稿", "Product drafted"),
    ("product.published", "产品发布", "Product published"),
    ("rule_set.approved", "规则集复核通过", "Rule set approved"),
    (
        "rule_set.draft_created",
        "新建规则集草稿",
        "Rule set draft created",
    ),
    (
        "rule_set.draft_saved",
        "保存规则集草稿",
        "Rule set draft saved",
    ),
    ("rule_set.published", "规则集上线", "Rule set published"),
    ("rule_set.returned", "规则集退回修改", "Rule set returned"),
    (
        "rule_set.self_approval_refused",
        "拒绝自审规则集",
        "Self-approval of a rule set refused",
    ),
    (
        "rule_set.submitted",
        "规则集提交复核",
        "Rule set submitted for approval",
    ),
    ("staff.created", "新建员工账号", "Staff account created"),
    ("staff.locked", "员工账号锁定", "Staff account locked"),
    ("staff.login", "员工登录", "Staff signed in"),
    ("staff.login_failed", "员工登录失败", "Staff sign-in failed"),
    (
        "staff.login_unknown",
        "未知账号登录",
        "Sign-in with an unknown account",
    ),
    (
        "staff.login_while_locked",
        "锁定期间尝试登录",
        "Sign-in while locked",
    ),
    ("staff.password_changed", "修改密码", "Password changed"),
    ("staff.password_reset", "重置密码", "Password reset"),
    ("staff.relation_declared", "回避申报", "Relation declared"),
    (
        "staff.totp_enrolled",
        "绑定身份验证器",
        "Authenticator app added",
    ),
    (
        "staff.totp_failed",
        "动态码错误",
        "Wrong authenticator code",
    ),
    (
        "staff.totp_reset",
        "重置身份验证器",
        "Authenticator app reset",
    ),
    ("staff.unlocked", "员工账号解锁", "Staff account unlocked"),
    ("task.assigned", "分派待办", "Task assigned"),
    ("task.completed", "完成待办", "Task completed"),
    ("task.overdue", "待办超时", "Task overdue"),
    ("task.reassigned", "改派待办", "Task reassigned"),
    ("task.unassigned", "待办退回待分派", "Task unassigned"),
];

/// (kind of record, Chinese, English).
const ENTITIES: &[(&str, &str, &str)] = &[
    ("application", "申请", "application"),
    ("bureau_inquiry", "征信查询", "credit inquiry"),
    ("credit_line", "授信额度", "credit line"),
    ("credit_offer", "额度邀约", "credit offer"),
    ("customer", "客户", "customer"),
    ("decision", "决策", "decision"),
    ("eod_run", "日终跑批", "end of day"),
    ("flow_task", "待办", "task"),
    ("flow_template", "流程模板", "flow template"),
    ("loan", "贷款", "loan"),
    ("organisation", "机构", "organisation"),
    ("payment", "支付", "payment"),
    ("pfi_key", "加密密钥", "sealing key"),
    ("precredit_job", "预授信任务", "pre-credit job"),
    ("product", "产品", "product"),
    ("rule_set", "规则集", "rule set"),
    ("sms_code", "短信验证码", "sign-in code"),
    ("staff_user", "员工", "member of staff"),
];

fn lookup(
    table: &[(&str, &'static str, &'static str)],
    locale: Locale,
    code: &str,
) -> Option<&'static str> {
    table
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, zh, en)| locale.pick(zh, en))
}

/// An audit action in words, if known.
pub fn action(locale: Locale, code: &str) -> Option<&'static str> {
    lookup(ACTIONS, locale, code)
}

/// A kind of record in words, or the code itself.
pub fn entity(locale: Locale, code: &str) -> String {
    lookup(ENTITIES, locale, code).map_or_else(|| code.to_string(), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `"x.y"` literal in the service's shipped code that names an
    /// audit action has words (a new action without them fails here).
    #[test]
    fn every_audit_action_the_service_writes_has_words() {
        let entities: Vec<&str> = ENTITIES.iter().map(|e| e.0).collect();
        let mut found = std::collections::BTreeSet::new();
        for text in crate::sources::shipped("service/src") {
            for part in text.split('"').skip(1).step_by(2) {
                let Some((kind, what)) = part.split_once('.') else {
                    continue;
                };
                let word = |s: &str| {
                    !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                };
                if word(kind) && word(what) {
                    found.insert(part.to_string());
                }
            }
        }
        assert!(found.len() > 60, "the sources were not read: {found:?}");
        let missing: Vec<&String> = found
            .iter()
            .filter(|a| action(Locale::Zh, a).is_none())
            .collect();
        assert!(
            missing.is_empty(),
            "audit actions without words: {missing:?}"
        );
        for (code, zh, en) in ACTIONS {
            assert!(!zh.is_empty() && !en.is_empty(), "{code}");
        }
        assert!(entities.contains(&"application"));
    }
}
