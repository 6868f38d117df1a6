//! Texts of common words, statuses and labels, both locales.
//! One area of the key table: see `super` for how the areas make one `Texts`.

macro_rules! texts_common {
    ($next:ident { $($acc:tt)* } $($rest:ident)*) => {
        $next! { { $($acc)*
            // ---- common
            app_name: "普惠金融", "Puhui Lending";
            bank_name: "松江农商银行", "Songjiang RCB";
            loading: "加载中…", "Loading…";
            back: "返回", "Back";
            yuan: "元", "yuan";
            months: "个月", "months";
            months_n: "{n}个月", "{n} months";
            logout: "退出登录", "Sign out";
            submit: "提交", "Submit";
            retry: "重试", "Retry";
            lang_zh: "中文", "中文";
            lang_en: "English", "English";
            not_found_title: "页面不存在", "Page not found";
            not_found_body: "您访问的页面不存在或已被移除。", "The page you asked for does not exist or was removed.";
            go_home: "返回首页", "Go to the home page";
            per_year: "年利率", "Annual rate";
            processing: "处理中…", "Working…";

            // ---- statuses and labels
            status_submitted: "待调查", "Awaiting investigation";
            status_investigated: "待审批", "Awaiting approval";
            status_approved: "已批准", "Approved";
            status_rejected: "未通过", "Declined";
            status_withdrawn: "已撤回", "Withdrawn";
            loan_settled: "已结清", "Settled";
            method_equal_instalment: "等额本息", "Equal instalment";
            method_equal_principal: "等额本金", "Equal principal";
            method_interest_only: "先息后本", "Interest first, principal at end";
            method_bullet: "到期一次还本付息", "All at maturity";
            method_revolving: "随借随还", "Draw and repay any time";
            guarantee_credit: "信用", "Unsecured";
            guarantee_guarantor: "保证", "Guarantor";
            guarantee_mortgage: "抵押", "Mortgage";
            guarantee_pledge: "质押", "Pledge";
            gender_male: "男", "Male";
            gender_female: "女", "Female";
            relation_head: "户主", "Head";
            relation_spouse: "配偶", "Spouse";
            relation_child: "子女", "Child";
            relation_parent: "父母", "Parent";
            relation_other: "其他", "Other";
            role_officer: "客户经理", "Account officer";
            role_investigator: "调查岗", "Investigator";
            role_reviewer: "审查岗", "Reviewer";
            role_approver: "审批岗", "Approver";
            role_disburser: "放款岗", "Disbursement";
            role_post_loan: "贷后岗", "Post-loan";
            role_risk_manager: "风险经理", "Risk manager";
            role_product_manager: "产品经理", "Product manager";
            role_marketing_manager: "营销经理", "Marketing manager";
            role_branch_head: "支行行长", "Branch head";
            role_admin: "系统管理员", "Administrator";


            // ---- the development environment strip
            dev_banner: "开发环境：{providers}为模拟服务，不会真实发送短信、查询征信、扣款、电子签名或核验人脸", "Development environment: {providers} simulated; no real SMS, bureau inquiry, payment, e-signature or face check";
            dev_ocr: "身份证识别", "ID card reading";
            dev_face: "人脸核验", "face check";
            dev_sms: "短信", "SMS";
            dev_bureau: "征信", "credit bureau";
            dev_payments: "支付", "payments";
            dev_esign: "电子签名", "e-signature";
        } $($rest)* }
    };
}
