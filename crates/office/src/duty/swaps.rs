//! 调班 (shift swaps): a person on duty asks to trade their day with a colleague's day in the same
//! role, giving a reason; the duty office approves — the two shifts trade people in the approving
//! transaction and both are told by SMS through the outbox — or refuses with a reason. The names
//! on both shifts when it was asked are kept, so approving a request the roster has since
//! overtaken is refused as stale.

use platform::db::{Db, Exec, Scalar, sql};
use platform::web::error::FieldError;
use platform::web::{AppError, AppState, Auth, Ctx};
use platform::workflow::{self, Change, Effect, Flow, Transition};
use serde::{Deserialize, Serialize};

use super::Shift;
use super::domain::{self, Role};

pub static SWAP_FLOW: Flow = Flow { name: "office_duty_swap", table: "office_duty_swap", versioned: true };

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Swap {
    pub id: i64,
    pub role: String,
    pub day: String,
    pub with_day: String,
    pub requester: String,
    pub counterpart: String,
    pub reason: String,
    pub state: String,
    pub requested_by: String,
    #[serde(skip)]
    pub requested_by_user: Option<i64>,
    pub decided_by: String,
    pub decision_note: String,
    pub created_at: i64,
    pub updated_at: i64,
}

platform::template_value!(Swap);

impl Swap {
    pub fn state_label(&self) -> &'static str {
        match self.state.as_str() {
            "pending" => "待审批",
            "approved" => "已同意",
            "rejected" => "未同意",
            _ => "",
        }
    }

    pub fn role_label(&self) -> &'static str {
        Role::parse(&self.role).map_or("", Role::label)
    }
}

/// A request to trade one's day for a colleague's.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["role", "day", "with_day", "reason"]))]
pub struct SwapInput {
    /// leader（带班领导）或 officer（值班员）
    #[serde(default)]
    #[schemars(extend("enum" = ["leader", "officer"]))]
    pub role: String,
    /// 自己的值班日期
    #[serde(default)]
    #[schemars(regex(pattern = platform::web::api::DATE_OR_EMPTY))]
    pub day: String,
    /// 要换到的日期（同一岗位另一人的值班日）
    #[serde(default)]
    #[schemars(regex(pattern = platform::web::api::DATE_OR_EMPTY))]
    pub with_day: String,
    /// 调班理由
    #[serde(default)]
    #[schemars(length(max = 200))]
    pub reason: String,
}

async fn shift_of(db: &Db, day: &str, role: Role) -> Result<Option<Shift>, AppError> {
    Ok(db
        .fetch_optional(sql("SELECT * FROM office_duty_shift WHERE day = $1 AND role = $2").bind(day).bind(role.code()))
        .await?)
}

pub async fn get(db: &Db, id: i64) -> Result<Swap, AppError> {
    db.fetch_optional(sql("SELECT * FROM office_duty_swap WHERE id = $1").bind(id)).await?.ok_or(AppError::NotFound)
}

/// The latest requests, pending first.
pub async fn list(db: &Db, limit: i64) -> Result<Vec<Swap>, AppError> {
    Ok(db
        .fetch_all(
            sql("SELECT * FROM office_duty_swap ORDER BY CASE WHEN state = 'pending' THEN 0 ELSE 1 END, id DESC LIMIT $1")
                .bind(limit),
        )
        .await?)
}

fn transition<'a>(auth: &'a Auth, action: &'a str, from: &'a str, to: &'a str, comment: &'a str) -> Transition<'a> {
    Transition { action, from, to, step: 0, actor: &auth.user.display_name, actor_id: Some(auth.user.id), comment }
}

/// Files a request: the person on `day`'s shift (or the duty office for them) asks to trade it
/// with `with_day`'s, same role.
pub async fn request(state: &AppState, ctx: &Ctx, auth: &Auth, input: &SwapInput) -> Result<i64, AppError> {
    let mut errs = Vec::new();
    let role = Role::parse(input.role.trim());
    if role.is_none() {
        errs.push(FieldError::new("role", "请选择带班领导或值班员"));
    }
    let today = platform::calendar::today();
    let days = domain::swap_days(
        today,
        platform::calendar::date(input.day.trim()),
        platform::calendar::date(input.with_day.trim()),
    );
    if let Err((field, message)) = days {
        errs.push(FieldError::new(field, message));
    }
    let reason = input.reason.trim();
    if !(2..=200).contains(&reason.chars().count()) {
        errs.push(FieldError::new("reason", "请写明调班理由（200 字以内）"));
    }
    let (Some(role), Ok((day, with_day))) = (role, days) else { return Err(AppError::Invalid(errs)) };
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let (day, with_day) = (platform::calendar::date_text(day), platform::calendar::date_text(with_day));
    let Some(mine) = shift_of(&state.db, &day, role).await? else {
        return Err(AppError::invalid("day", format!("{day} 还没有排{}", role.label())));
    };
    let Some(theirs) = shift_of(&state.db, &with_day, role).await? else {
        return Err(AppError::invalid("with_day", format!("{with_day} 还没有排{}", role.label())));
    };
    if mine.user_id != Some(auth.user.id) && super::require_office(auth).is_err() {
        return Err(AppError::Forbidden("只能为自己的值班申请调班".into()));
    }
    if theirs.person == mine.person {
        return Err(AppError::invalid("with_day", format!("{with_day} 也是{}值班，无需对调", mine.person)));
    }
    let open = state
        .db
        .count(
            sql("SELECT COUNT(*) FROM office_duty_swap WHERE state = 'pending' AND role = $1 \
                 AND (day IN ($2, $3) OR with_day IN ($2, $3))")
            .bind(role.code())
            .bind(day.as_str())
            .bind(with_day.as_str()),
        )
        .await?;
    if open > 0 {
        return Err(AppError::Conflict("这两天中已有待审批的调班申请，请等审批后再申请".into()));
    }
    let now = platform::db::now();
    let mut tx = state.db.begin().await?;
    let id = tx
        .fetch_one::<Scalar<i64>>(
            sql("INSERT INTO office_duty_swap (role, day, with_day, requester, counterpart, reason, state, requested_by, requested_by_user, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9, $9) RETURNING id")
            .bind(role.code())
            .bind(day.as_str())
            .bind(with_day.as_str())
            .bind(mine.person.as_str())
            .bind(theirs.person.as_str())
            .bind(reason)
            .bind(&auth.user.display_name)
            .bind(auth.user.id)
            .bind(now),
        )
        .await?
        .0;
    workflow::record(&mut tx, &SWAP_FLOW, id, &transition(auth, "request", "", "pending", reason), now).await?;
    tx.commit().await?;
    let summary = format!("{}：{day} {} ↔ {with_day} {}", role.label(), mine.person, theirs.person);
    state.audit(ctx, "duty.swap_request", &format!("office_duty_swap:{id}"), "success", summary).await;
    Ok(id)
}

/// The duty office's decision: `approve` trades the two shifts' people, `reject` needs a reason.
pub async fn decide(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
    decision: &str,
    note: &str,
) -> Result<(), AppError> {
    super::require_office(auth)?;
    let s = get(&state.db, id).await?;
    if s.state != "pending" {
        return Err(AppError::Conflict(format!("这个调班申请{}，不能再审批", s.state_label())));
    }
    let note = note.trim();
    if note.chars().count() > 200 {
        return Err(AppError::invalid("note", "审批意见不能超过 200 字"));
    }
    let role = Role::parse(&s.role).ok_or(AppError::NotFound)?;
    let change = match decision {
        "approve" => {
            let (a, b) = (shift_of(&state.db, &s.day, role).await?, shift_of(&state.db, &s.with_day, role).await?);
            let (Some(a), Some(b)) = (a.filter(|a| a.person == s.requester), b.filter(|b| b.person == s.counterpart))
            else {
                return Err(AppError::Conflict("值班表在申请后有变动，这个调班申请已失效，请重新申请".into()));
            };
            let now = platform::db::now();
            let give = |to: &Shift, from: &Shift| {
                sql("UPDATE office_duty_shift SET person = $1, phone = $2, user_id = $3, updated_by = $4, updated_at = $5 WHERE id = $6")
                    .bind(from.person.as_str())
                    .bind(from.phone.as_str())
                    .bind(from.user_id)
                    .bind(&auth.user.display_name)
                    .bind(now)
                    .bind(to.id)
            };
            let text = format!(
                "【政务值班】调班已同意：{}，{} 由 {} 值班，{} 由 {} 值班。",
                role.label(),
                s.day,
                b.person,
                s.with_day,
                a.person
            );
            let sms = [&a, &b]
                .into_iter()
                .filter(|x| !x.phone.is_empty())
                .map(|x| Effect::Sms { to: x.phone.clone(), text: text.clone() });
            Change::new(&SWAP_FLOW, id, s.updated_at, transition(auth, "approve", "pending", "approved", note))
                .also(give(&a, &b))
                .also(give(&b, &a))
                .effects(sms)
        }
        "reject" => {
            if note.chars().count() < 2 {
                return Err(AppError::invalid("note", "不同意调班时请写明理由"));
            }
            Change::new(&SWAP_FLOW, id, s.updated_at, transition(auth, "reject", "pending", "rejected", note))
        }
        _ => return Err(AppError::invalid("decision", "审批结果只能是 approve（同意）或 reject（不同意）")),
    };
    let change = change.set("decided_by", auth.user.display_name.as_str()).set("decision_note", note);
    if !workflow::apply(state, change).await? {
        return Err(AppError::Conflict("这个调班申请已被他人审批，请刷新后查看".into()));
    }
    let summary = format!("{}：{} {} ↔ {} {}", role.label(), s.day, s.requester, s.with_day, s.counterpart);
    state.audit(ctx, &format!("duty.swap_{decision}"), &format!("office_duty_swap:{id}"), "success", summary).await;
    Ok(())
}
