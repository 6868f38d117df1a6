//! Texts of the customer's pages, both locales.
//! One area of the key table: see `super` for how the areas make one `Texts`.

macro_rules! texts_customer {
    ($next:ident { $($acc:tt)* } $($rest:ident)*) => {
        $next! { { $($acc)*
            // ---- customer: bank cards (我的银行卡)
            cards_title: "我的银行卡", "My bank cards";
            ev_waiting_payout: "已批准：请签署借款合同，签署后放款到您的银行卡", "Approved: sign the loan contract; the loan is then paid into your bank card";
            cards_none: "还没有绑定银行卡。贷款将发放到您绑定并验证通过的银行卡。", "No card yet. Loans are paid into a card you bind and that passes the check.";
            cards_verified: "已验证", "Verified";
            cards_failed: "未通过验证", "Not verified";
            cards_hint: "只能绑定您本人名下的银行卡：支付通道会核对卡号与您的姓名、身份证号和预留手机号。", "Only a card in your own name: the payment channel checks it against your name, ID number and phone.";
            cards_number: "银行卡号", "Card number";
            cards_bank: "开户银行", "Bank";
            cards_bind: "验证并绑定", "Check and bind";
            cards_bound: "银行卡已验证并绑定", "The card is checked and bound";
            // ---- customer and counter: prepayment (提前还款), settlement certificate
            prepay_title: "提前还款", "Prepay";
            prepay_counter_title: "柜面提前还款", "Prepayment at the counter";
            prepay_hint: "利息按实际天数计算，算至还款日的前一天；有到期未还款项时请先还清，还款日当天不能办理。", "Interest is charged for the actual days, up to the day before; repay anything due first; not on a due date.";
            prepay_kind_payoff: "全部结清", "Pay off in full";
            prepay_kind_shorten: "部分还款，缩短期限", "Part: shorter term";
            prepay_kind_lower: "部分还款，减少月供", "Part: lower instalment";
            prepay_principal: "提前归还本金", "Principal to prepay";
            prepay_quote: "试算", "Calculate";
            prepay_quoting: "正在试算…", "Calculating…";
            prepay_total: "合计应付", "Total to pay";
            prepay_on: "还款日期", "Value date";
            prepay_principal_part: "归还本金", "Principal";
            prepay_interest: "利息（算至前一天）", "Interest to the day before";
            prepay_periods: "剩余期数", "Instalments left";
            prepay_payment: "每期还款", "Instalment";
            prepay_from_to: "{before} → {after}", "{before} → {after}";
            prepay_saved: "预计节省利息", "Interest saved";
            prepay_payoff_note: "结清后贷款关闭，可下载结清证明。", "Once paid off the loan is closed and a settlement certificate can be downloaded.";
            prepay_confirm: "确认提前还款 {total} 元", "Prepay {total} yuan";
            prepay_counter_confirm: "已收款 {total} 元，确认入账", "{total} yuan received: post it";
            prepay_paying: "正在处理…", "Processing…";
            prepay_done: "提前还款成功，已入账", "Prepayment received and posted";
            prepay_history: "提前还款记录", "Prepayments";
            prepay_at_counter: "柜面", "Counter";
            prepay_on_phone: "手机", "Phone";
            prepay_history_line: "本金 {principal}，利息 {interest}，剩余 {before} 期 → {after} 期", "principal {principal}, interest {interest}, {before} → {after} instalments left";
            certificate_title: "结清证明", "Settlement certificate";
            certificate_view: "查看并下载结清证明", "View and download the settlement certificate";
            certificate_back: "返回贷款", "Back to the loan";
            certificate_seal: "银行电子签章指纹", "Bank seal fingerprint";
            certificate_sha256: "文件摘要（SHA-256）", "Document digest (SHA-256)";
            certificate_issued: "开具时间", "Issued";
            // ---- customer: home and products
            tab_home: "首页", "Home";
            tab_loans: "借还款", "My loans";
            tab_me: "我的", "Me";
            hero_title: "普惠金融 · 贷款就在身边", "Loans close to home";
            share_title: "普惠金融 · 手机申请贷款", "Puhui · loans on your phone";
            share_desc: "信用贷、农户贷、随借随还，手机申请，客户经理上门服务", "Credit and farm loans, borrow and repay any time: apply on your phone, an officer visits you";
            carousel_up_to: "最高 {amount} 元", "Up to {amount} yuan";
            carousel_rate: "年利率 {rate} 起", "From {rate} a year";
            hero_sub: "手机申请，客户经理上门服务，审批进度随时可查", "Apply on your phone, an officer visits you, follow every step";
            products_title: "为您推荐", "Loans for you";
            max_amount: "最高额度", "Up to";
            term_range: "期限", "Term";
            apply_now: "立即申请", "Apply now";
            view_detail: "查看详情", "Details";
            no_products: "暂无可申请的贷款产品", "No loan products are open for applications";
            product_guarantee: "担保方式", "Guarantee";
            product_method: "还款方式", "Repayment";
            product_amount_range: "额度范围", "Amount";
            product_rate: "年利率（单利）", "Annual rate (simple)";

            // ---- customer: calculator
            calc_title: "还款试算", "Repayment calculator";
            calc_amount: "借款金额", "Amount";
            calc_term: "借款期限", "Term";
            calc_monthly: "每月还款", "Monthly payment";
            calc_first: "首期还款", "First payment";
            calc_interest: "利息合计", "Total interest";
            calc_total: "还款总额", "Total repaid";
            calc_note: "试算结果仅供参考，以合同约定为准", "An estimate; the contract governs";
            calc_invalid: "请输入有效的金额和期限", "Enter a valid amount and term";

            // ---- customer: login
            login_title: "手机号登录", "Sign in with your phone";
            login_sub: "登录后可申请贷款、查看进度和还款计划", "Sign in to apply, follow progress and see your repayment schedule";
            phone_label: "手机号", "Mobile number";
            phone_placeholder: "请输入11位手机号", "11-digit mobile number";
            code_label: "短信验证码", "SMS code";
            code_placeholder: "6位数字", "6 digits";
            send_code: "获取验证码", "Send code";
            resend_in: "{n}秒后重发", "Resend in {n}s";
            code_sent: "验证码已发送至 {phone}，5分钟内有效", "Code sent to {phone}, valid for 5 minutes";
            login_button: "登录", "Sign in";
            login_new_hint: "首次使用的手机号，验证后即完成注册，再按提示完成实名认证", "A number new to the bank is signed up once the code is checked; then verify your identity";
            login_privacy: "登录即表示您同意我行依法处理您的个人信息", "By signing in you agree that the bank processes your personal information as the law allows";

            // ---- customer: apply
            apply_title: "申请贷款", "Apply for a loan";
            apply_method: "还款方式", "How you repay";
            apply_guarantee: "担保方式", "Security";
            apply_hint_credit: "凭您的信用，无需保证人或抵押物", "On your credit: no guarantor or collateral";
            apply_hint_guarantor: "需要保证人到场签字，并同意查询其征信", "A guarantor signs in person and agrees to a credit check";
            apply_hint_mortgage: "需要以房产等抵押，并办理抵押登记", "Property is mortgaged and the mortgage registered";
            apply_hint_pledge: "需要以存单等质押", "A deposit slip or similar is pledged";
            step_fill: "填写申请", "Details";
            step_consent: "征信授权", "Consent";
            step_review: "等待审批", "Review";
            amount_label: "借款金额", "Amount";
            amount_placeholder: "请输入金额", "Enter an amount";
            amount_range: "可申请 {min} – {max} 元", "From {min} to {max} yuan";
            term_label: "借款期限", "Term";
            purpose_label: "借款用途", "Purpose";
            purpose_choose: "请选择借款用途", "Choose a purpose";
            purpose_farming: "购买种子化肥等农资", "Seeds, fertiliser and farm inputs";
            purpose_livestock: "畜禽养殖", "Livestock";
            purpose_machinery: "购置农机具", "Farm machinery";
            purpose_business: "个体经营周转", "Working capital for my business";
            purpose_home: "房屋修缮", "Home repair";
            purpose_education: "子女教育", "Education";
            consent_title: "个人征信查询授权书", "Credit-bureau inquiry authorisation";
            consent_text: "本人授权本行在办理本次贷款业务（含贷前审查、贷后管理）期间，向中国人民银行征信中心金融信用信息基础数据库查询、打印、保存本人的信用报告，并将本人的信贷信息依法报送该数据库。本授权自签署之日起至本次贷款结清之日止有效。", "I authorise the bank, for this loan (assessment and post-loan management), to query, print and keep my credit report from the People's Bank of China Credit Reference Center, and to report my credit information to it as the law requires. This authorisation is valid from today until this loan is settled.";
            consent_checkbox: "我已阅读并同意《个人征信查询授权书》", "I have read and agree to the credit-bureau inquiry authorisation";
            submit_application: "提交申请", "Submit application";
            draft_restored: "已恢复您上次未提交的填写内容", "We restored what you filled in last time";
            apply_login_needed: "请先登录再申请", "Please sign in to apply";
            estimated_monthly: "预计每月还款 {amount} 元", "About {amount} yuan a month";

            // ---- customer: progress and loans
            progress_title: "申请进度", "Application progress";
            ev_submitted: "提交申请", "Application submitted";
            ev_investigated: "客户经理完成上门调查", "The officer finished the on-site visit";
            ev_approved: "审批通过，贷款已发放", "Approved; the loan is granted";
            ev_rejected: "很抱歉，本次申请未通过审批", "Sorry, this application was not approved";
            ev_waiting_investigation: "客户经理将联系您预约上门调查", "Your officer will call you to arrange a visit";
            ev_waiting_approval: "审批中，请耐心等待", "Under approval";
            your_officer: "您的客户经理", "Your officer";
            view_schedule: "查看还款计划", "View repayment schedule";
            my_loans_title: "我的贷款", "My loans";
            my_applications_title: "我的申请", "My applications";
            no_loans: "您还没有贷款", "You have no loans";
            no_applications: "暂无申请，去首页看看适合您的贷款", "No applications yet: see the loans on the home page";
            outstanding: "剩余本金", "Outstanding principal";
            next_due: "下期还款", "Next payment";
            principal: "借款本金", "Principal";
            schedule_title: "还款计划", "Repayment schedule";
            col_period: "期数", "No.";
            col_due_date: "还款日", "Due";
            col_payment: "应还金额", "Payment";
            col_principal: "本金", "Principal";
            col_interest: "利息", "Interest";
            col_balance: "剩余本金", "Balance";
            period_n: "第{n}期", "Period {n}";
            total_interest: "利息合计", "Total interest";
            total_payment: "还款总额", "Total repaid";
            loan_term: "贷款期限", "Term";
            maturity: "到期日", "Maturity";
            me_title: "我的", "Me";
            large_font: "大字模式", "Large text";
            large_font_hint: "放大文字，看得更清楚", "Bigger text, easier to read";
            language: "语言", "Language";
            applied_on: "申请时间", "Applied";

            // ---- customer: 实名认证 (identity)
            id_title: "实名认证", "Verify your identity";
            id_step_photos: "拍身份证", "ID card";
            id_step_confirm: "核对信息", "Check details";
            id_step_face: "刷脸认证", "Face check";
            id_referred_by: "客户经理 {name} 为您服务", "Your account officer: {name}";
            id_dev_ocr: "开发环境：身份证识别为模拟服务，识别结果为示例数据，请自行核对", "Development: ID reading is simulated; the reading is sample data, check it yourself";
            id_dev_face: "开发环境：人脸核验为模拟服务，不比对真实人脸", "Development: the face check is simulated and compares no real face";
            id_reading: "正在识别…", "Reading…";
            id_read_again: "已识别 ✓ 点此重拍", "Read ✓ Tap to retake";
            id_photos_title: "拍摄身份证", "Photograph your ID card";
            id_photos_sub: "请将身份证放在深色桌面上，光线充足，四角完整，无反光", "Lay the card on a dark table in good light, all four corners in view, no glare";
            id_front: "人像面", "Photo side";
            id_back: "国徽面", "Emblem side";
            id_tap_front: "点此拍摄人像面", "Tap to photograph the photo side";
            id_tap_back: "点此拍摄国徽面", "Tap to photograph the emblem side";
            id_photos_privacy: "照片仅用于本人实名认证，加密保存，不会用于其他用途", "The photos are used only to verify you, kept encrypted, and used for nothing else";
            id_confirm_title: "核对身份信息", "Check your details";
            id_confirm_sub: "以下内容由照片识别，请逐项核对，有误请直接修改", "Read from your photos: check each field and correct anything wrong";
            id_name: "姓名", "Name";
            id_number_label: "身份证号", "ID number";
            id_address: "住址", "Address";
            id_valid_from: "有效期起", "Valid from";
            id_valid_to: "有效期至", "Valid until";
            id_for_life: "长期有效", "Valid for life";
            id_confirm_button: "确认无误，下一步", "Correct, next";
            id_retake: "重新拍摄身份证", "Photograph the ID card again";
            id_face_title: "刷脸认证", "Face check";
            id_face_sub: "请 {name}（{id}）本人正对镜头，摘下帽子和眼镜，在光线充足处拍摄", "{name} ({id}): face the camera yourself, without hat or glasses, in good light";
            id_face_take: "点此拍摄本人正脸", "Tap to take your photo";
            id_face_checking: "正在核验…", "Checking…";
            id_face_hint: "使用前置摄像头，保持面部在画面中央", "Use the front camera; keep your face in the middle";
            id_edit: "返回修改身份信息", "Back to your details";
            id_done_title: "实名认证已完成", "You are verified";
            id_done_sub: "您已成为我行客户。请绑定用于收款的银行卡，然后继续申请", "You are now a customer of the bank. Bind the card to be paid into, then go on";
            id_continue: "继续", "Continue";
        } $($rest)* }
    };
}
