//! 一口式收费 (unified fee collection at the approval centre): an item's fee standard as lines
//! with amounts; the payment notice (缴款通知书) a handler issues on an application — its lines,
//! total and 20-digit payment code, mailed and texted to the applicant; payment and refund through
//! a payment provider, the notice's transitions on the workflow kernel; completion refused while a
//! notice is unpaid; statistics by department and fee item and the reconciliation export.
//!
//! Payment providers: [`PaymentProvider`] is what a payment platform plugs in as (the 非税收入
//! platform's callback, a bank's POS); the default [`Cashier`] records what the cashier at the
//! window took and prints a receipt. Services holds the list; adding a provider touches only the
//! line that builds the module.
//!
//! Layout: `domain` (pure: amounts, lines, payment codes, states), this file (storage and
//! operations), `admin`, `api`.

pub mod admin;
pub mod api;
pub mod domain;

use platform::accounts;
use platform::db::{Db, Exec, Scalar, sql};
use platform::module::BoxFuture;
use platform::roles::Perm;
use platform::web::error::FieldError;
use platform::web::{AppError, AppState, Auth, Ctx};
use platform::workflow::{self, Change, Effect, Flow, Transition};
use serde::{Deserialize, Serialize};

use crate::service::{Case, item_scope};
use crate::store::Item;
use domain::{Action, FeeLine, FeeLineInput, State};

pub static FLOW: Flow = Flow { name: "fee_notice", table: "fee_notice", versioned: true };

/// One line of an item's fee standard.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Fee {
    pub id: i64,
    pub item_id: i64,
    pub name: String,
    pub amount: i64,
    pub basis: String,
    pub sort_order: i64,
}

pub async fn fees_of(db: &Db, item_id: i64) -> Result<Vec<Fee>, AppError> {
    Ok(db.fetch_all(sql("SELECT * FROM service_fee WHERE item_id = $1 ORDER BY sort_order, id").bind(item_id)).await?)
}

/// Replaces an item's fee standard (an administrator of the item's unit).
pub async fn set_fees(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    item: &Item,
    rows: &[FeeLineInput],
) -> Result<Vec<FeeLine>, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    auth.require(Perm::ServiceManage, &item_scope(&orgs, item.org_id))?;
    let lines =
        domain::check_lines(rows).map_err(|e| AppError::Invalid(e.into_iter().map(FieldError::from).collect()))?;
    let mut tx = state.db.begin().await?;
    tx.execute(sql("DELETE FROM service_fee WHERE item_id = $1").bind(item.id)).await?;
    for (i, l) in lines.iter().enumerate() {
        tx.execute(
            sql("INSERT INTO service_fee (item_id, name, amount, basis, sort_order) VALUES ($1, $2, $3, $4, $5)")
                .bind(item.id)
                .bind(&l.name)
                .bind(l.amount)
                .bind(&l.basis)
                .bind(i as i64),
        )
        .await?;
    }
    tx.commit().await?;
    let summary: Vec<String> = lines.iter().map(|l| format!("{} {} 元", l.name, domain::yuan(l.amount))).collect();
    let summary = if summary.is_empty() { "不收费".to_owned() } else { summary.join("；") };
    state.audit(ctx, "service_item.fees", &format!("service_item:{}", item.code), "success", summary).await;
    Ok(lines)
}

/// A payment notice.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Notice {
    pub id: i64,
    pub no: String,
    pub application_id: i64,
    pub item_id: i64,
    pub org_id: i64,
    pub payment_code: String,
    pub total: i64,
    pub state: String,
    pub provider: String,
    pub method: String,
    pub receipt_no: String,
    pub issued_by: String,
    pub issued_at: i64,
    pub paid_by: String,
    pub paid_at: Option<i64>,
    pub refunded_by: String,
    pub refunded_at: Option<i64>,
    pub reason: String,
    pub updated_at: i64,
}

platform::template_value!(Notice);

impl Notice {
    pub fn state(&self) -> State {
        State::parse(&self.state).unwrap_or(State::Unpaid)
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct NoticeLine {
    pub name: String,
    pub amount: i64,
    pub basis: String,
}

pub async fn notice(db: &Db, id: i64) -> Result<Notice, AppError> {
    db.fetch_optional(sql("SELECT * FROM fee_notice WHERE id = $1").bind(id)).await?.ok_or(AppError::NotFound)
}

pub async fn lines(db: &Db, notice_id: i64) -> Result<Vec<NoticeLine>, AppError> {
    Ok(db
        .fetch_all(
            sql("SELECT name, amount, basis FROM fee_notice_line WHERE notice_id = $1 ORDER BY id").bind(notice_id),
        )
        .await?)
}

/// An application's notices, newest first.
pub async fn notices_of(db: &Db, application_id: i64) -> Result<Vec<Notice>, AppError> {
    Ok(db
        .fetch_all(sql("SELECT * FROM fee_notice WHERE application_id = $1 ORDER BY id DESC").bind(application_id))
        .await?)
}

/// Whether an application has a notice still to pay (completion waits for it).
pub async fn outstanding(db: &Db, application_id: i64) -> Result<bool, AppError> {
    Ok(db
        .count(
            sql("SELECT COUNT(*) FROM fee_notice WHERE application_id = $1 AND state = 'unpaid'").bind(application_id),
        )
        .await?
        > 0)
}

/// Issues the payment notice of an application from its item's fee standard; the applicant is
/// mailed and texted the amount and the payment code.
pub async fn issue(state: &AppState, ctx: &Ctx, auth: &Auth, case: &Case) -> Result<Notice, AppError> {
    let (a, item) = (&case.app, &case.item);
    let orgs = accounts::list_orgs(&state.db).await?;
    auth.require(Perm::ApplicationHandle, &item_scope(&orgs, a.org_id))?;
    if !matches!(
        crate::domain::State::parse(&a.state),
        Some(crate::domain::State::Reviewing | crate::domain::State::Approved)
    ) {
        return Err(AppError::Conflict("受理后、办结前才能开具缴款通知书".into()));
    }
    let fees = fees_of(&state.db, item.id).await?;
    if fees.is_empty() {
        return Err(AppError::Conflict("该事项没有设置收费标准，请先在事项的“收费标准”中填写收费项目和金额".into()));
    }
    let total: i64 = fees.iter().map(|f| f.amount).sum();
    let now = platform::db::now();
    let mut tx = state.db.begin().await?;
    let inserted = tx
        .fetch_one::<Scalar<i64>>(
            sql("INSERT INTO fee_notice (no, application_id, item_id, org_id, payment_code, total, state, issued_by, issued_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'unpaid', $7, $8, $8) RETURNING id")
            .bind(platform::intake::temporary_number())
            .bind(a.id)
            .bind(item.id)
            .bind(a.org_id)
            .bind(platform::intake::temporary_number())
            .bind(total)
            .bind(&auth.user.display_name)
            .bind(now),
        )
        .await;
    let id = match inserted {
        Ok(id) => id.0,
        Err(e) if e.is_unique_violation() => {
            return Err(AppError::Conflict("这件申请已有待缴或已缴的缴款通知书".into()));
        }
        Err(e) => return Err(e.into()),
    };
    let no = platform::intake::assign_number(&mut tx, "fee_notice", id, "JK", 8).await?;
    let code = domain::payment_code(&platform::fmt_date(now).replace('-', ""), id);
    tx.execute(sql("UPDATE fee_notice SET payment_code = $1 WHERE id = $2").bind(&code).bind(id)).await?;
    for f in &fees {
        tx.execute(
            sql("INSERT INTO fee_notice_line (notice_id, name, amount, basis) VALUES ($1, $2, $3, $4)")
                .bind(id)
                .bind(&f.name)
                .bind(f.amount)
                .bind(&f.basis),
        )
        .await?;
    }
    let t = Transition {
        action: "issue",
        from: "",
        to: State::Unpaid.code(),
        step: 0,
        actor: &auth.user.display_name,
        actor_id: Some(auth.user.id),
        comment: &format!("{} 元", domain::yuan(total)),
    };
    workflow::record(&mut tx, &FLOW, id, &t, now).await?;
    let m = format!(
        "您申请的{}（受理编号 {}）需缴纳费用 {} 元，缴款码 {}。请持缴款码到政务服务中心收费窗口缴纳。",
        item.name,
        a.no,
        domain::yuan(total),
        code
    );
    let effects = [
        Effect::Mail {
            to: a.email.to_string(),
            subject: format!("【网上办事】缴款通知（受理编号 {}）", a.no),
            body: format!("{}：\n\n{m}\n\n凭受理编号和查询码可查看缴款通知书。", a.applicant_name),
        },
        Effect::Sms { to: a.phone.to_string(), text: format!("【网上办事】{m}") },
    ];
    let queued = workflow::queue_effects(state, &mut tx, &effects).await?;
    tx.commit().await?;
    if queued {
        state.wake_outbox();
    }
    state
        .audit(
            ctx,
            "fee_notice.create",
            &format!("application:{}", a.no),
            "success",
            format!("{no} {} 元", domain::yuan(total)),
        )
        .await;
    notice(&state.db, id).await
}

/// What the cashier (or a provider's callback) says about a payment or a refund.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ActInput {
    /// 收款方式：cash 现金，card 银行卡，qr 扫码支付（收款时）
    #[serde(default)]
    pub method: String,
    /// 实收金额（元，收款时须与应缴金额一致）
    #[serde(default)]
    pub received: String,
    /// 收款渠道（默认 cashier 窗口收费）
    #[serde(default)]
    pub provider: String,
    /// 理由（作废、退费时必填）
    #[serde(default)]
    pub comment: String,
}

/// What a provider confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmation {
    pub method: String,
    /// The provider's receipt or transaction number.
    pub receipt_no: String,
}

/// A way money is taken and given back. The default records the cashier's entry; a payment
/// platform's provider confirms with the platform instead.
pub trait PaymentProvider: Send + Sync {
    fn code(&self) -> &'static str;
    fn label(&self) -> &'static str;
    /// Confirms payment of `notice`, or says why not (a wrong amount, a method it does not take).
    fn pay<'a>(&'a self, notice: &'a Notice, input: &'a ActInput) -> BoxFuture<'a, Result<Confirmation, AppError>>;
    /// Gives the money back; returns the refund's reference.
    fn refund<'a>(&'a self, notice: &'a Notice, reason: &'a str) -> BoxFuture<'a, Result<String, AppError>>;
}

/// 窗口收费: the cashier enters how the payer paid and what was received; the receipt number is
/// made from the notice (SJ + its number).
pub struct Cashier;

impl PaymentProvider for Cashier {
    fn code(&self) -> &'static str {
        "cashier"
    }

    fn label(&self) -> &'static str {
        "窗口收费（收银员登记）"
    }

    fn pay<'a>(&'a self, notice: &'a Notice, input: &'a ActInput) -> BoxFuture<'a, Result<Confirmation, AppError>> {
        Box::pin(async move {
            let mut errs = Vec::new();
            if domain::method_label(input.method.trim()).is_none() {
                errs.push(FieldError::new("method", "请选择收款方式（现金、银行卡或扫码支付）"));
            }
            match domain::parse_yuan(&input.received) {
                Some(r) if r == notice.total => {}
                Some(r) => errs.push(FieldError::new(
                    "received",
                    format!("实收 {} 元与应缴 {} 元不一致", domain::yuan(r), domain::yuan(notice.total)),
                )),
                None => errs.push(FieldError::new("received", "请填写实收金额（元）")),
            }
            if !errs.is_empty() {
                return Err(AppError::Invalid(errs));
            }
            Ok(Confirmation { method: input.method.trim().to_owned(), receipt_no: format!("SJ{}", &notice.no[2..]) })
        })
    }

    fn refund<'a>(&'a self, notice: &'a Notice, _reason: &'a str) -> BoxFuture<'a, Result<String, AppError>> {
        Box::pin(async move { Ok(format!("TF{}", &notice.no[2..])) })
    }
}

/// Pays, cancels or refunds a notice (a handler of the item's unit), through `provider`.
pub async fn act(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    providers: &[std::sync::Arc<dyn PaymentProvider>],
    n: &Notice,
    action: Action,
    input: &ActInput,
) -> Result<Notice, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    auth.require(Perm::ApplicationHandle, &item_scope(&orgs, n.org_id))?;
    let reason = input.comment.trim();
    let to = domain::next(n.state(), action, reason).map_err(|e| AppError::Conflict(e.to_string()))?;
    let now = platform::db::now();
    let who = auth.user.display_name.as_str();
    let provider_for = |code: &str| {
        let code = if code.trim().is_empty() { "cashier" } else { code.trim() };
        providers
            .iter()
            .find(|p| p.code() == code)
            .cloned()
            .ok_or_else(|| AppError::Invalid(vec![FieldError::new("provider", "没有这个收款渠道")]))
    };
    let t = Transition {
        action: action.code(),
        from: n.state().code(),
        to: to.code(),
        step: 0,
        actor: who,
        actor_id: Some(auth.user.id),
        comment: reason,
    };
    let mut change = Change::new(&FLOW, n.id, n.updated_at, t);
    let summary = match action {
        Action::Pay => {
            let p = provider_for(&input.provider)?;
            let c = p.pay(n, input).await?;
            change = change
                .set("provider", p.code())
                .set("method", c.method.as_str())
                .set("receipt_no", c.receipt_no.as_str())
                .set("paid_by", who)
                .set("paid_at", now);
            format!(
                "{} 收款 {} 元（{}，收据 {}）",
                n.no,
                domain::yuan(n.total),
                domain::method_label(&c.method).unwrap_or(""),
                c.receipt_no
            )
        }
        Action::Refund => {
            let p = provider_for(&n.provider)?;
            let reference = p.refund(n, reason).await?;
            change = change.set("refunded_by", who).set("refunded_at", now).set("reason", reason);
            format!("{} 退费 {} 元（{}）：{reason}", n.no, domain::yuan(n.total), reference)
        }
        Action::Cancel => {
            change = change.set("reason", reason);
            format!("{} 作废：{reason}", n.no)
        }
    };
    if !workflow::apply(state, change).await? {
        return Err(AppError::Conflict("缴款通知书刚被他人处理过，请刷新后再试".into()));
    }
    state
        .audit(ctx, &format!("fee_notice.{}", action.code()), &format!("fee_notice:{}", n.no), "success", summary)
        .await;
    notice(&state.db, n.id).await
}

/// The notices of the units given, by state, newest first (`before`: an id to page from).
pub async fn list(
    db: &Db,
    orgs: Option<&[i64]>,
    state: Option<State>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Notice>, AppError> {
    let mut q = sql("SELECT * FROM fee_notice WHERE 1=1").and_within("org_id", orgs);
    if let Some(s) = state {
        q = q.push(" AND state = ").push_bind(s.code());
    }
    if let Some(b) = before {
        q = q.push(" AND id < ").push_bind(b);
    }
    Ok(db.fetch_all(q.push(" ORDER BY id DESC LIMIT ").push_bind(limit)).await?)
}

/// The units whose notices a user reads: everything for those who read statistics, else the
/// units they handle applications for.
pub fn readable(auth: &Auth, orgs: &[accounts::OrgUnit]) -> Result<Option<Vec<i64>>, AppError> {
    if auth.holds_anywhere(Perm::ContentStats) {
        return Ok(None);
    }
    auth.require_anywhere(Perm::ApplicationHandle)?;
    Ok(auth.units_with(Perm::ApplicationHandle, orgs))
}

/// A period from the form (`from` and `to` as dates, `to` inclusive); this year so far by default.
pub fn period(q: &crate::admin::StatsQuery) -> Result<(String, String, i64, i64), AppError> {
    let today = platform::fmt_date(platform::db::now());
    let from = if q.from.trim().is_empty() { format!("{}-01-01", &today[..4]) } else { q.from.trim().to_owned() };
    let to = if q.to.trim().is_empty() { today } else { q.to.trim().to_owned() };
    match (platform::parse_date(&from), platform::parse_date(&to)) {
        (Some(f), Some(t)) if f <= t => Ok((from, to, f, t + 86_400)),
        _ => Err(AppError::invalid("from", "日期格式应为 2026-01-01，且起始日期不晚于截止日期")),
    }
}

/// One row of the fee statistics: a unit's fee item over a period (分).
#[derive(Debug, Clone, Default, Serialize, sqlx::FromRow)]
pub struct StatRow {
    pub org_id: i64,
    pub name: String,
    pub notices: i64,
    pub collected: i64,
    pub refunded: i64,
    pub outstanding: i64,
}

/// Amounts by unit and fee item for notices issued in `[from, to)`.
pub async fn stats(db: &Db, orgs: Option<&[i64]>, from: i64, to: i64) -> Result<Vec<StatRow>, AppError> {
    let q = sql("SELECT n.org_id, l.name, CAST(COUNT(*) AS BIGINT) AS notices, \
                 CAST(SUM(CASE WHEN n.state IN ('paid', 'refunded') THEN l.amount ELSE 0 END) AS BIGINT) AS collected, \
                 CAST(SUM(CASE WHEN n.state = 'refunded' THEN l.amount ELSE 0 END) AS BIGINT) AS refunded, \
                 CAST(SUM(CASE WHEN n.state = 'unpaid' THEN l.amount ELSE 0 END) AS BIGINT) AS outstanding \
                 FROM fee_notice n JOIN fee_notice_line l ON l.notice_id = n.id \
                 WHERE n.state <> 'cancelled' AND n.issued_at >= $1 AND n.issued_at < $2")
    .bind(from)
    .bind(to)
    .and_within("n.org_id", orgs)
    .push(" GROUP BY n.org_id, l.name ORDER BY n.org_id, l.name");
    Ok(db.fetch_all(q).await?)
}

/// The notices paid or refunded in `[from, to)`, for reconciliation with the bank or the 非税收入
/// platform, oldest first.
pub async fn settled(db: &Db, orgs: Option<&[i64]>, from: i64, to: i64) -> Result<Vec<Notice>, AppError> {
    let q = sql(
        "SELECT * FROM fee_notice WHERE ((paid_at >= $1 AND paid_at < $2) OR (refunded_at >= $1 AND refunded_at < $2))",
    )
    .bind(from)
    .bind(to)
    .and_within("org_id", orgs)
    .push(" ORDER BY COALESCE(paid_at, refunded_at), id");
    Ok(db.fetch_all(q).await?)
}
